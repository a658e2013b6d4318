import { join } from "node:path";
import type { LocalAccount } from "viem";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { createGuildClient } from "../chain/createGuildClient.js";
import type { GuildClient, GuildReader } from "../chain/GuildClient.js";
import type { SpendingGuard } from "../guard/createSpendingGuard.js";
import type { Approver } from "../guard/approvers.js";
import { loadAddressBook, openSpendingGuard } from "../guard/openSpendingGuard.js";
import { createTaskContext, describeTaskBudget, type TaskContext } from "../guard/TaskContext.js";
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
  /**
   * Runs one task through the LLM loop; the transcript goes under the agent's folder. Each call gets its
   * own {@link TaskContext} (budget and trusted addresses from the task's words), unless one is given.
   */
  ask: (
    task: string,
    options?: { transcript?: Transcript; maxSteps?: number; context?: TaskContext },
  ) => Promise<RunAgentReturnType & { transcriptPath: string | undefined; task: TaskContext }>;
  /** The context a task's words give (what `ask` builds when none is passed). */
  taskContext: (task: string) => Promise<TaskContext>;
};

export type CreateAgentParameters = {
  config: GuildConfig;
  logger: Logger;
  reader: GuildReader;
  name: string;
  account: LocalAccount;
  /** Decides what needs a person's approval, in every task of this agent. */
  approver: Approver;
  onProgress?: (message: string) => void;
  /** Overrides the configured model (tests). */
  model?: BaseChatModel;
  tools?: readonly GuildTool[];
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
 * from the chain), its chat model (OpenAI-compatible or the offline planner) and its tools. Every task it
 * runs gets its own task context: the budget and the trusted payees come from the task's words.
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
    (await openSpendingGuard({ config, reader, agentName: name, account: account.address, logger: log }));
  const policy = guard.policy;
  // The address book is read per task: a wallet created since (`guild wallet new`) counts at once.
  const taskContext = async (text: string) =>
    createTaskContext({ text, policy, approver, addressBook: await loadAddressBook(config.home) });
  const chosen = modelOverride
    ? { model: modelOverride, provider: "offline" as const, description: "injected model" }
    : createChatModel({ config, logger: log });
  const prompt = systemPrompt({ name, address: account.address, chainId: reader.connection.chainId, policy });
  return {
    name,
    client,
    guard,
    provider: chosen.provider,
    modelDescription: chosen.description,
    taskContext,
    async ask(task, options = {}) {
      const thisTask = options.context ?? (await taskContext(task));
      const context: ToolContext = {
        client,
        guard,
        task: thisTask,
        skills: BUILTIN_SKILLS,
        logger: log,
        pollIntervalMs,
        ...(onProgress ? { onProgress } : {}),
      };
      const transcript = options.transcript ?? fileTranscript(join(agentDir, "transcripts"));
      transcript.write({
        type: "run",
        task,
        provider: chosen.provider,
        agent: name,
        address: account.address,
        chainId: reader.connection.chainId,
        taskId: thisTask.id,
        budget: describeTaskBudget(thisTask),
      });
      const result = await runAgent({
        task,
        model: chosen.model,
        tools,
        context,
        systemPrompt: `${prompt}\n${describeTaskBudget(thisTask)}`,
        transcript,
        logger: log,
        ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
      });
      return { ...result, transcriptPath: transcript.path, task: thisTask };
    },
  };
}
