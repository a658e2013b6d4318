import pRetry from "p-retry";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseEther, parseUnits, type Address } from "viem";
import { createAgent } from "../agent/createAgent.js";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { registerAgent } from "../chain/actions/registerAgent.js";
import { connectGuild, type GuildConnection } from "../chain/connectGuild.js";
import { createGuildClient } from "../chain/createGuildClient.js";
import { followLogs, type LogFollower } from "../chain/logs/followLogs.js";
import { createSqliteCursorStore } from "../chain/logs/sqliteCursorStore.js";
import { resolveToken } from "../chain/resolveToken.js";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { InvalidInputError } from "../errors/input.js";
import { RpcUnavailableError } from "../errors/transaction.js";
import { approvalQueue } from "../guard/approvers.js";
import { openSpendingGuard } from "../guard/openSpendingGuard.js";
import { workLoopTask } from "../guard/TaskContext.js";
import type { Logger } from "../log/createLogger.js";
import { registerSecret } from "../log/secrets.js";
import { BUILTIN_SKILLS } from "../skills/builtinSkills.js";
import { wrongResults } from "../skills/demo/wrongResults.js";
import { recordToolCallTransaction } from "../tools/toolCallTransactions.js";
import { createLlmJudge, createLlmSkills, LLM_SKILL_NAMES } from "../skills/llmSkills.js";
import { createChatModel } from "../llm/createChatModel.js";
import { openAgentWallet } from "../wallet/openAgentWallet.js";
import type { PromptPassword } from "../wallet/promptPassword.js";
import { startControlApi, type ControlApi } from "./controlApi.js";
import { DEV_ACCEPTANCE, PUBLIC_ACCEPTANCE, type AcceptancePolicy } from "./acceptTerms.js";
import { openDaemonState } from "./daemonState.js";
import { DAEMON_EVENTS, ingestEvents, type DaemonRole } from "./ingestEvents.js";
import { renderMetrics } from "./metrics.js";
import { currentAction, type WorkContext } from "./processWorkItem.js";
import { runWorkLoop } from "./runWorkLoop.js";

export type DaemonOptions = {
  name: string;
  /** Skills sold (worker) and checked (checker); built-in skill names. */
  skills: string[];
  roles: DaemonRole[];
  /** Price per job in token units, e.g. "0.001". */
  price: string;
  /** Price token: "ETH" (default), a known symbol, or an address. */
  token?: string;
  /** Control API port on 127.0.0.1; 0 picks a free one. */
  apiPort: number;
  /** Checker stake per check, in percent of the job's budget. Default 20. */
  stakePercent?: number;
  /**
   * Most a checker stakes on one job, in percent of its budget. Default 1000: at a 50% bond, room for one full
   * answer to a stake that took the lead from it, even when two checkers took the lead together at first.
   */
  maxStakePercent?: number;
  /**
   * Most held in stakes not yet claimed, over all jobs ("0.5 ETH, 500 gUSD"): the spending guard's open-stakes
   * ceiling for this daemon. Default: GUILD_MAX_OPEN_STAKES.
   */
  maxOpenStakes?: string;
  /** Smallest judge confidence to stake on (deterministic re-computation counts as 1). Default 0.8. */
  minConfidence?: number;
  /**
   * Demo only: sell the skills through their wrong-result versions (src/skills/demo/wrongResults.ts), for the demo's
   * cheating worker and the tests of the staked check. Checking still uses the real skills.
   */
  deliverWrong?: boolean;
  /** How often to poll the chain. Default 250 ms on dev chains, 2 s elsewhere. */
  pollIntervalMs?: number;
  /**
   * The terms this agent takes jobs and stakes on checks under; fields left out take the chain's defaults
   * ({@link DEV_ACCEPTANCE} on dev chains, {@link PUBLIC_ACCEPTANCE} elsewhere).
   */
  acceptance?: Partial<AcceptancePolicy>;
};

/** What `<agent folder>/daemon.json` says to the CLI and the demo (mode 0600: it holds the API token). */
export type DaemonFile = {
  pid: number;
  name: string;
  address: Address;
  apiUrl: string;
  token: string;
  startedAt: string;
};

export type Daemon = {
  name: string;
  address: Address;
  api: ControlApi;
  /** Stops taking work, finishes the item in progress, closes the API and the database. */
  stop: () => Promise<void>;
  /** Settles when the daemon has stopped. */
  done: Promise<void>;
};

/**
 * Starts an agent daemon: loads (or, on a dev chain, creates and funds) its wallet, lists it in the
 * registry, then follows the chain and works its queue until stopped — as a worker (delivers funded jobs
 * addressed to it within its acceptance terms, declines the rest with the reason, posts its bond), a checker
 * (re-computes deliveries and stakes on checks whose terms it accepts), and a client (takes refunds of abandoned
 * jobs, withdraws credits, serves delegated tasks). Each settles the checks that pay it. All state is in node:sqlite; every action is re-derived from the
 * chain, so a restart after a crash does nothing twice.
 *
 * @example
 * const daemon = await startDaemon({ config, logger, options: { name: "bob", skills: ["word-count"], roles: ["worker"], price: "0.001", apiPort: 0 } });
 * process.on("SIGTERM", () => daemon.stop());
 */
export async function startDaemon({
  config,
  logger,
  options,
  promptPassword,
  beforeAction,
}: {
  config: GuildConfig;
  logger: Logger;
  options: DaemonOptions;
  promptPassword?: PromptPassword;
  /** Tests only: awaited before each action that sends a transaction (see {@link WorkContext.beforeAction}). */
  beforeAction?: (action: string) => Promise<void>;
}): Promise<Daemon> {
  const log = logger.child({ agent: options.name });
  // Model-backed skills and the model judge exist only when a model is configured.
  const model = config.openai.apiKey ? createChatModel({ config, logger: log }).model : undefined;
  const skills = new Map(BUILTIN_SKILLS);
  if (model) for (const skill of createLlmSkills(model)) skills.set(skill.name, skill);
  for (const skill of options.skills) {
    if (!skills.has(skill)) {
      const hint = (LLM_SKILL_NAMES as readonly string[]).includes(skill)
        ? " (it needs a model: set OPENAI_API_KEY)"
        : "";
      throw new InvalidInputError(
        "skills",
        `"${skill}" is not a skill this daemon can do${hint}`,
        `Use some of: ${[...skills.keys()].join(", ")}.`,
      );
    }
  }
  const guild = await connectWithRetry(config, log);
  const { connection } = guild;
  const agentDir = guildPaths(config.home).agent(options.name);
  mkdirSync(agentDir, { recursive: true });

  const { account } = await openAgentWallet({
    config,
    logger: log,
    name: options.name,
    chain: { chainId: connection.chainId, url: connection.url, testToken: guild.addresses.testToken },
    ...(promptPassword ? { promptPassword } : {}),
    funding: { native: parseEther("10"), testToken: parseUnits("1000", 6) },
  });
  // State belongs to one deployment: a restarted dev chain redeploys at the same addresses, so the
  // deployment block's hash names the file and a new chain starts from a clean state.
  const deploymentBlock = await connection.publicClient.getBlock({ blockNumber: guild.fromBlock });
  const statePath = join(agentDir, `state-${connection.chainId}-${deploymentBlock.hash.slice(2, 10)}.sqlite`);
  const state = openDaemonState(statePath);
  const ingestState = openDaemonState(statePath);
  state.failStaleTasks();

  const client = createGuildClient(guild, {
    account,
    timeoutMs: config.txTimeoutMs,
    onSubmitted: (submitted) => {
      // The work loop's actions are recorded for crash recovery; the agent's tool calls for its transcripts.
      const key = currentAction.getStore();
      if (key) state.recordAction(key, submitted.hash);
      recordToolCallTransaction(submitted.hash);
    },
  });
  const approvals = approvalQueue();
  const guard = await openSpendingGuard({
    config:
      options.maxOpenStakes === undefined
        ? config
        : { ...config, spending: { ...config.spending, maxOpenStakes: options.maxOpenStakes } },
    reader: guild,
    agentName: options.name,
    account: account.address,
    logger: log,
  }).catch((error: unknown) => {
    if (options.maxOpenStakes === undefined || !(error instanceof InvalidInputError)) throw error;
    if (error.field !== "GUILD_MAX_OPEN_STAKES") throw error;
    throw new InvalidInputError(
      "max-open-stakes",
      `"${options.maxOpenStakes}" is not a list of limits`,
      'Write limits like "0.5 ETH, 500 gUSD", or "none".',
    );
  });

  const priceToken = await resolveToken(guild, options.token, "token");
  const price = parseAmount(options.price, priceToken.decimals, "price", true);
  if (options.roles.includes("worker")) {
    const listed = await registerAgent(client, {
      name: options.name,
      skills: options.skills,
      price,
      priceToken: priceToken.address,
    });
    log.info(
      {
        action: listed.action,
        txHash: listed.hash,
        skills: options.skills,
        price: options.price,
        token: priceToken.symbol,
      },
      "registry listing checked",
    );
  }

  const roles = new Set(options.roles);
  const agent = await createAgent({
    config,
    logger,
    reader: guild,
    name: options.name,
    account,
    approver: approvals.approver,
    shared: { client, guard },
  });
  const context: WorkContext = {
    client,
    guard,
    task: workLoopTask(guard.policy, approvals.approver),
    state,
    roles,
    skills,
    offering: {
      // Every name was checked against `skills` above.
      skills: new Map(
        [...skills]
          .filter(([name]) => options.skills.includes(name))
          .map(([name, skill]) => [name, options.deliverWrong ? wrongResults(skill) : skill]),
      ),
      price,
      priceToken: priceToken.address,
    },
    checker: {
      stakeBps: BigInt(Math.round((options.stakePercent ?? 20) * 100)),
      maxStakeBps: BigInt(Math.round((options.maxStakePercent ?? 1000) * 100)),
      minConfidence: options.minConfidence ?? 0.8,
    },
    acceptance: { ...(connection.isDevChain ? DEV_ACCEPTANCE : PUBLIC_ACCEPTANCE), ...options.acceptance },
    ...(beforeAction ? { beforeAction } : {}),
    judge: model ? createLlmJudge(model) : undefined,
    logger: log,
  };

  const pollIntervalMs = options.pollIntervalMs ?? (connection.isDevChain ? 250 : 2_000);
  const store = createSqliteCursorStore({ database: ingestState.db, name: "daemon" });
  const follower: LogFollower = followLogs(connection.publicClient, {
    address: [guild.addresses.escrow, guild.addresses.evaluator],
    events: DAEMON_EVENTS,
    store,
    fromBlock: guild.fromBlock,
    confirmations: config.confirmations ?? (connection.isDevChain ? 0 : 2),
    pollingIntervalMs: pollIntervalMs,
    // Resume soon after a node comes back: local nodes restart fast, remote ones get more room.
    maxBackoffMs: connection.isDevChain ? 2_000 : 15_000,
    onLogs: (batch) =>
      ingestEvents(batch, { me: account.address, roles, evaluator: guild.addresses.evaluator, state: ingestState }),
    onReorg: ({ fromBlock }) => {
      log.warn({ fromBlock: fromBlock.toString() }, "chain reorganisation: undoing derived state from this block");
      ingestState.undoFrom(fromBlock);
    },
    logger: log,
  });

  const startedAt = Date.now();
  const workLoop = runWorkLoop({ connection, state, context, pollIntervalMs, logger: log });

  const token = config.apiToken ?? randomBytes(24).toString("hex");
  registerSecret(token);
  const runningTasks = new Set<Promise<void>>();
  const api = await startControlApi({
    port: options.apiPort,
    token,
    logger: log,
    handlers: {
      health: async () => ({
        status: workLoop.chainReachable() ? "ok" : "degraded",
        name: options.name,
        address: account.address,
        chainId: connection.chainId,
        roles: [...roles],
        skills: options.skills,
        cursorBlock: follower.cursor()?.blockNumber.toString(),
        workItems: state.itemCounts(),
        model: agent.modelDescription,
      }),
      metrics: async () =>
        renderMetrics(state, account.address, {
          rpcErrors: workLoop.rpcErrors(),
          uptimeSeconds: (Date.now() - startedAt) / 1000,
        }),
      jobs: async () =>
        state
          .myJobs(account.address)
          .map((job) => ({ ...job, jobId: job.jobId.toString(), updatedBlock: job.updatedBlock.toString() })),
      createTask: async ({ task }) => {
        const id = randomUUID();
        state.addTask(id, task);
        log.info({ taskId: id }, "delegated task received");
        const run = agent
          .ask(task)
          .then((result) => state.endTask(id, result.finished ? "done" : "failed", JSON.stringify(result)))
          .catch((error: unknown) =>
            state.endTask(
              id,
              "failed",
              JSON.stringify({ error: error instanceof Error ? error.message : String(error) }),
            ),
          )
          .finally(() => runningTasks.delete(run));
        runningTasks.add(run);
        return { id };
      },
      task: async (id) => {
        const row = state.task(id);
        return row && { ...row, result: row.result === undefined ? undefined : (JSON.parse(row.result) as unknown) };
      },
      approvals: async () => approvals.pending(),
      decideApproval: async (id, approved) => approvals.decide(id, approved),
    },
  });
  const daemonFile = join(agentDir, "daemon.json");
  const file: DaemonFile = {
    pid: process.pid,
    name: options.name,
    address: account.address,
    apiUrl: api.url,
    token,
    startedAt: new Date(startedAt).toISOString(),
  };
  // Written aside and renamed, so a reader (the CLI, the demo) never sees half a file.
  const temp = `${daemonFile}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, daemonFile);
  log.info(
    {
      address: account.address,
      api: api.url,
      roles: [...roles],
      skills: options.skills,
      model: agent.modelDescription,
      ...(roles.has("checker")
        ? {
            // The checker's exposure ceilings: per job (--max-stake-percent) and over all open stakes (--max-open-stakes).
            maxStakePercent: Number(context.checker.maxStakeBps) / 100,
            maxOpenStakes: [...guard.policy.maxOpenStakes.values()].map((limit) =>
              formatAmount(limit.amount, limit.token.decimals, limit.token.symbol),
            ),
          }
        : {}),
      ...(options.deliverWrong ? { demo: "delivers wrong results on purpose (--deliver-wrong)" } : {}),
      acceptance: Object.fromEntries(
        Object.entries(context.acceptance ?? {}).map(([term, value]) => [
          term,
          typeof value === "bigint" ? value.toString() : value,
        ]),
      ),
    },
    "daemon started",
  );

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      log.info("stopping: finishing the work in progress");
      await workLoop.stop();
      await follower.stop();
      // Delegated tasks get a few seconds to finish; a task still running then fails on restart.
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...runningTasks]),
        new Promise((resolve) => (grace = setTimeout(resolve, 5_000))),
      ]);
      clearTimeout(grace);
      await api.close();
      rmSync(daemonFile, { force: true });
      state.close();
      ingestState.close();
      await guild.close();
      log.info("daemon stopped");
      resolveDone();
    })());
  follower.done.catch((error: unknown) => {
    log.error({ err: error }, "the chain follower stopped on an error; stopping the daemon");
    void stop();
  });
  return { name: options.name, address: account.address, api, stop, done };
}

async function connectWithRetry(config: GuildConfig, log: Logger): Promise<GuildConnection> {
  let announced = false;
  return pRetry(() => connectGuild({ config, logger: log, startEmbeddedChain: false }), {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 1_000,
    factor: 1,
    shouldRetry: ({ error }) => {
      if (!(error instanceof RpcUnavailableError)) return false;
      if (!announced) {
        log.warn("no chain answers yet; waiting for it (start one with `guild chain`, or set GUILD_RPC_URL)");
        announced = true;
      }
      return true;
    },
  });
}
