import { join } from "node:path";
import type { LocalAccount } from "viem";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { createGuildClient } from "../chain/createGuildClient.js";
import type { GuildClient, GuildReader } from "../chain/GuildClient.js";
import { createSpendingGuard, type SpendingGuard } from "../guard/createSpendingGuard.js";
import type { Approver } from "../guard/approvers.js";
import { fileNativePaymentLedger } from "../guard/nativePaymentLedger.js";
import { loadSpendingPolicy } from "../guard/SpendingPolicy.js";
import { createChatModel, type ChatModelProvider } from "../llm/createChatModel.js";
import type { Logger } from "../log/createLogger.js";
import { BUILTIN_SKILLS } from "../skills/builtinSkills.js";
import { ALL_TOOLS } from "../tools/allTools.js";
import type { GuildTool, ToolContext } from "../tools/GuildTool.js";
import { recordToolCallTransaction } from "../tools/toolCallTransactions.js";
import { runAgent, type RunAgentReturnType } from "./runAgent.js";
import { systemPrompt } from "./systemPrompt.js";
import { fileTranscript, type Transcript } from "./transcript.js";
import type { BaseChatModel } from "@langchain/core/language_models/chat_models";

export type Agent = {
  name: string;
  client: GuildClient;
  guard: SpendingGuard;
  provider: ChatModelProvider;
  modelDescription: string;
  /** Runs one task through the LLM loop; the transcript goes under the agent's folder. */
  ask: (
    task: string,
    options?: { transcript?: Transcript; maxSteps?: number },
  ) => Promise<RunAgentReturnType & { transcriptPath: string | undefined }>;
};

export type CreateAgentParameters = {
  config: GuildConfig;
  logger: Logger;
  reader: GuildReader;
  name: string;
  account: LocalAccount;
  approver: Approver;
  onProgress?: (message: string) => void;
  /** Overrides the configured model (tests). */
  model?: BaseChatModel;
  tools?: GuildTool[];
  /** How often waits (deliveries, check windows) poll the chain; default the connection's polling interval. */
  pollIntervalMs?: number;
  /**
   * An existing client and guard for the same account (a daemon shares one transaction sender and one
   * guard between its work loop and its agent). Its `onSubmitted` should call recordToolCallTransaction.
   */
  shared?: { client: GuildClient; guard: SpendingGuard };
};

/**
 * Assembles an agent: its chain client, its spending guard (policy from configuration, spending counted
 * from the chain), its chat model (OpenAI-compatible or the offline planner) and its tools.
 *
 * @example
 * const agent = await createAgent({ config, logger, reader: guild, name: "alice", account, approver: terminalApprover() });
 * const { answer } = await agent.ask("Report spending");
 */
export async function createAgent({
  config,
  logger,
  reader,
  name,
  account,
  approver,
  onProgress,
  model: modelOverride,
  tools = ALL_TOOLS,
  pollIntervalMs = reader.connection.pollingIntervalMs,
  shared,
}: CreateAgentParameters): Promise<Agent> {
  const log = logger.child({ agent: name });
  // Every transaction the client submits is credited to the tool call that sent it (the transcript names it).
  const client =
    shared?.client ??
    createGuildClient(
      { ...reader, logger: log },
      { account, timeoutMs: config.txTimeoutMs, onSubmitted: (tx) => recordToolCallTransaction(tx.hash) },
    );
  const agentDir = guildPaths(config.home).agent(name);
  const guard =
    shared?.guard ??
    createSpendingGuard({
      reader,
      account: account.address,
      policy: await loadSpendingPolicy(reader, config.spending, log),
      approver,
      ledger: fileNativePaymentLedger(join(agentDir, "native-payments.jsonl")),
      logger: log,
    });
  const policy = guard.policy;
  const chosen = modelOverride
    ? { model: modelOverride, provider: "offline" as const, description: "injected model" }
    : createChatModel({ config, logger: log });
  const context: ToolContext = {
    client,
    guard,
    skills: BUILTIN_SKILLS,
    logger: log,
    pollIntervalMs,
    ...(onProgress ? { onProgress } : {}),
  };
  const prompt = systemPrompt({ name, address: account.address, chainId: reader.connection.chainId, policy });
  return {
    name,
    client,
    guard,
    provider: chosen.provider,
    modelDescription: chosen.description,
    async ask(task, options = {}) {
      const transcript = options.transcript ?? fileTranscript(join(agentDir, "transcripts"));
      transcript.write({
        type: "run",
        task,
        provider: chosen.provider,
        agent: name,
        address: account.address,
        chainId: reader.connection.chainId,
      });
      const result = await runAgent({
        task,
        model: chosen.model,
        tools,
        context,
        systemPrompt: prompt,
        transcript,
        logger: log,
        ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
      });
      return { ...result, transcriptPath: transcript.path };
    },
  };
}
