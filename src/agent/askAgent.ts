/*
 * The core of `guild ask "<task>"`: one task through one agent's loop, end to end. The CLI adapter
 * (src/cli/commands/askCommand.ts) parses the arguments, passes its I/O in and maps the outcome to an exit code.
 */
import { join } from "node:path";
import { formatEther, type LocalAccount } from "viem";
import { formatAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { connectGuild, type GuildConnection } from "../chain/connectGuild.js";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { GuildError } from "../errors/GuildError.js";
import { terminalApprover, type Approver } from "../guard/approvers.js";
import { parseTask } from "../llm/parseTask.js";
import { unknownTaskAnswer } from "../llm/planTask.js";
import type { Logger } from "../log/createLogger.js";
import { commandFunding, openAgentWallet } from "../wallet/openAgentWallet.js";
import type { PromptPassword } from "../wallet/promptPassword.js";
import { validateWalletName } from "../wallet/walletFile.js";
import { createAgent } from "./createAgent.js";
import { fileTranscript, type Transcript, type TranscriptEntry } from "./transcript.js";

export type AskAgentParameters = {
  config: GuildConfig;
  logger: Logger;
  /** The agent (wallet) name, e.g. "alice". */
  agentName: string;
  task: string;
  /** A progress line for people (stderr): the chain, the agent, each tool call, the transcript's path. */
  say: (line: string) => void;
  /** Asks for the keystore password when GUILD_KEYSTORE_PASSWORD is unset (the CLI passes a terminal prompt). */
  promptPassword?: PromptPassword;
  /** Decides what needs a person's approval; default a terminal prompt (refuses without a terminal). */
  approver?: Approver;
  /** Model turns before giving up; default the loop's (20). */
  maxSteps?: number;
  /** scrypt cost of a wallet created on a dev chain; default GUILD_KEYSTORE_SCRYPT_N. Lower only in tests. */
  scryptN?: number;
};

/**
 * How a task ended: `usage` (nothing started: no task, a bad agent name, or, offline, a task the planner does
 * not understand); `refused` (the spending guard refused something); `failed` (a tool's last answer was a
 * failure, or the loop ran out of turns); `done`.
 */
export type AskOutcome =
  | { status: "usage"; message: string }
  | {
      status: "done" | "refused" | "failed";
      answer: string;
      /** Tools the spending guard refused, in order. */
      refused: string[];
      transcriptPath: string | undefined;
    };

/**
 * The core of `guild ask "<task>"`: connects to Guild (GUILD_RPC_URL, or the embedded local chain, deploying
 * the contracts there when needed), unlocks the agent's wallet, runs the task through the agent's loop (the
 * configured LLM, or the offline planner without OPENAI_API_KEY) with a task context of its own (the budget
 * its words give; a question spends nothing), and reports progress, each tool call and the transcript's path
 * through `say`. Connection, wallet and model errors are thrown (typed), after saying the transcript's path.
 *
 * Wallets: the keystore `<home>/wallets/<agent>.json` (or GUILD_PRIVATE_KEY when it has none). On a local dev
 * chain (31337/1337) a missing wallet is created with GUILD_KEYSTORE_PASSWORD (or a password typed twice), never
 * by handing the agent one of the public dev keys; and a wallet with no native currency there (new, or the dev
 * chain restarted) is topped up from dev account 0 with 1 ETH and 100 of the test token. Elsewhere a missing
 * wallet is an error, and funding is the user's.
 *
 * @example
 * const outcome = await askAgent({ config, logger, agentName: "alice", task: "What is my balance?", say: console.error });
 * // { status: "done", answer: "Wallet 0x... holds 1 ETH, 100 gUSD.", refused: [], transcriptPath: "..." }
 */
export async function askAgent({
  config,
  logger,
  agentName,
  task,
  say,
  promptPassword,
  approver = terminalApprover(),
  maxSteps,
  scryptN,
}: AskAgentParameters): Promise<AskOutcome> {
  const text = task.trim();
  if (text === "") {
    return {
      status: "usage",
      message: 'Usage: guild ask --as <agent> "<task>"   e.g. guild ask --as alice "What is my balance?"',
    };
  }
  try {
    validateWalletName(agentName);
  } catch (error) {
    return { status: "usage", message: error instanceof GuildError ? error.message : String(error) };
  }
  if (!config.openai.apiKey) {
    // Offline, a task the planner cannot parse is a usage error: say so before starting anything.
    const parsed = parseTask(text);
    if (parsed.kind === "unknown") return { status: "usage", message: unknownTaskAnswer() };
    if (parsed.kind === "incomplete") {
      return {
        status: "usage",
        message: `The offline planner cannot do this ${parsed.form} task: ${parsed.problem} For example: ${parsed.example}`,
      };
    }
  }

  let guild: GuildConnection | undefined;
  let transcript: Transcript | undefined;
  try {
    guild = await connectGuild({ config, logger });
    const { connection } = guild;
    say(
      `Chain ${connection.chainId} at ${connection.url ?? "an in-process provider"}` +
        (guild.embedded
          ? " (embedded chain started for this run; it stops, and forgets its state, when the run ends: run `guild chain` to keep one)"
          : ""),
    );
    const account = await agentAccount({ config, logger, guild, name: agentName, promptPassword, scryptN, say });
    const agent = await createAgent({
      config,
      logger,
      reader: guild,
      name: agentName,
      account,
      approver,
      onProgress: (message) => say(`  ... ${message}`),
    });
    say(`Agent ${agentName} (${account.address}); model: ${agent.modelDescription}`);
    transcript = echoToolCalls(fileTranscript(join(guildPaths(config.home).agent(agentName), "transcripts")), say);
    say(`Transcript: ${transcript.path}`);
    const result = await agent.ask(text, { transcript, ...(maxSteps ? { maxSteps } : {}) });
    const tools = transcript
      .entries()
      .filter((entry): entry is Extract<TranscriptEntry, { type: "tool" }> => entry.type === "tool");
    const refused = tools.filter((entry) => typeof entry.data.refusedBy === "string").map((entry) => entry.name);
    const status = refused.length > 0 ? "refused" : !result.finished || tools.at(-1)?.ok === false ? "failed" : "done";
    return { status, answer: result.answer, refused, transcriptPath: transcript.path };
  } catch (error) {
    if (transcript?.path) say(`Transcript: ${transcript.path}`);
    throw error;
  } finally {
    await guild?.close();
  }
}

/** The agent's account (see openAgentWallet), saying on stderr what was created and funded. */
async function agentAccount({
  config,
  logger,
  guild,
  name,
  promptPassword,
  scryptN,
  say,
}: {
  config: GuildConfig;
  logger: Logger;
  guild: GuildConnection;
  name: string;
  promptPassword: PromptPassword | undefined;
  scryptN: number | undefined;
  say: (line: string) => void;
}): Promise<LocalAccount> {
  const token = guild.addresses.testToken ? await getTokenInfo(guild, guild.addresses.testToken) : undefined;
  const { account, created, funded } = await openAgentWallet({
    config: scryptN === undefined ? config : { ...config, keystoreScryptN: scryptN },
    logger,
    name,
    chain: { chainId: guild.connection.chainId, url: guild.connection.url, testToken: token?.address },
    ...(promptPassword ? { promptPassword } : {}),
    funding: commandFunding(token),
  });
  if (created) say(`Created wallet ${name} ${account.address} (${created}).`);
  if (funded && funded.transactions.length > 0) {
    say(
      `Funded ${account.address} from dev account 0 on this local dev chain: ${formatEther(funded.nativeSent)} ETH` +
        (token && funded.tokenMinted > 0n
          ? ` and ${formatAmount(funded.tokenMinted, token.decimals, token.symbol)}.`
          : "."),
    );
  }
  return account;
}

/** The transcript, also echoing each tool call and its answer on stderr as it happens. */
function echoToolCalls(transcript: Transcript, say: (line: string) => void): Transcript {
  return {
    ...transcript,
    write(entry) {
      transcript.write(entry);
      if (entry.type === "tool") {
        const hashes = entry.txHashes.length > 0 ? ` [tx ${entry.txHashes.join(", ")}]` : "";
        say(`${entry.ok ? "+" : "x"} ${entry.name}: ${entry.message}${hashes}`);
      }
    },
  };
}
