import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { getAddress, isAddressEqual, parseEther, parseEventLogs, zeroAddress, type Address, type Hash } from "viem";
import type { ChainConnection } from "../../src/chain/createConnection.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import { pollUntil } from "../../src/chain/pollUntil.js";
import type { GuildReader } from "../../src/chain/GuildClient.js";
import { guildPaths } from "../../src/config/loadConfig.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import type { DaemonFile } from "../../src/daemon/startDaemon.js";
import { createWallet } from "../../src/wallet/createWallet.js";
import { fundFromDevAccount } from "../../src/wallet/fundFromDevAccount.js";
import { startGuildNode, type TestNode } from "../support/nodes.js";
import { startRpcProxy, type RpcProxy } from "../support/rpcProxy.js";

/** The `guild` executable the daemons and CLI tests run (Node 22 + tsx, as users run it). */
export const GUILD_BIN = join(PACKAGE_ROOT, "bin", "guild.js");
export const TEST_PASSWORD = "guild-test-password";
/** `guild start` with pauses before chosen actions, for tests that kill a daemon at a known point. */
const PAUSING_GUILD = join(PACKAGE_ROOT, "test", "daemon", "fixtures", "guildWithPauses.ts");

/**
 * Agents' wallets hold this much so a (re)started daemon never tops itself up from a dev account (its target
 * is 10 ETH): every wei that moves in a test is then a Guild event or gas.
 */
const WALLET_ETH = parseEther("100");

/** One Hardhat node with Guild deployed, a temp GUILD_HOME with the agents' wallets, and the daemons started on it. */
export type TestGuild = {
  home: string;
  node: TestNode;
  /** What daemons and CLI commands use as GUILD_RPC_URL: the node, or a proxy in front of it. */
  rpcUrl: string;
  proxy: RpcProxy | undefined;
  /** The test's own view of the chain, always direct to the node. */
  reader: GuildReader;
  connection: ChainConnection;
  address: (name: string) => Address;
  /** Environment for a `guild` child process (nothing inherited from the developer's GUILD_* or OpenAI settings). */
  env: (extra?: Record<string, string>) => NodeJS.ProcessEnv;
  daemons: Set<DaemonHandle>;
  /** Kills what is left (daemons, proxy, node) and removes the home folder. */
  stop: () => Promise<void>;
};

/**
 * Starts a Hardhat node on a free port with Guild deployed ({@link startGuildNode}), and creates and funds a wallet
 * per name in Guild's home (100 ETH and 1000 gUSD each), so daemons only load them. With `proxy`, daemons reach the
 * node through an {@link RpcProxy}.
 */
export async function startTestGuild({
  wallets,
  proxy: withProxy = false,
}: {
  wallets: string[];
  proxy?: boolean;
}): Promise<TestGuild> {
  const node = await startGuildNode("hardhat");
  const { home, reader, addresses } = node.guild;
  const addressOf = new Map<string, Address>();
  let proxy: RpcProxy | undefined;
  try {
    for (const name of wallets) {
      const { address } = await createWallet({ home, name, password: TEST_PASSWORD, scryptN: 1024 });
      addressOf.set(name, getAddress(address));
      await fundFromDevAccount({
        rpcUrl: node.url,
        address,
        nativeTarget: WALLET_ETH,
        token: { address: addresses.testToken, target: 1_000_000_000n },
      });
    }
    proxy = withProxy ? await startRpcProxy(node.url) : undefined;
  } catch (error) {
    await node.stop();
    throw error;
  }
  const rpcUrl = proxy?.url ?? node.url;
  const daemons = new Set<DaemonHandle>();
  return {
    home,
    node,
    rpcUrl,
    proxy,
    reader,
    connection: node.connection,
    address: (name) => {
      const address = addressOf.get(name);
      if (!address) throw new Error(`no test wallet named ${name}`);
      return address;
    },
    env: (extra = {}) => guildEnv({ GUILD_HOME: home, GUILD_RPC_URL: rpcUrl, ...extra }),
    daemons,
    stop: async () => {
      await Promise.all([...daemons].map((daemon) => daemon.kill9()));
      await proxy?.close();
      // Also removes the home folder.
      await node.stop();
    },
  };
}

/**
 * The environment of a `guild` child process: the parent's, minus every GUILD_* and OPENAI_* variable, plus the
 * test keystore settings and `vars`. OPENAI_API_KEY is set empty so a developer's .env cannot switch the offline
 * planner for a real model (dotenv does not override variables that exist).
 */
export function guildEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("GUILD_") && !key.startsWith("OPENAI_")) env[key] = value;
  }
  return {
    ...env,
    OPENAI_API_KEY: "",
    GUILD_KEYSTORE_PASSWORD: TEST_PASSWORD,
    GUILD_KEYSTORE_SCRYPT_N: "1024",
    FORCE_COLOR: "0",
    ...vars,
  };
}

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export type ApiResponse = { status: number; text: string; json: <T = unknown>() => T };

/** A daemon running as a child process (`guild start ...`). */
export type DaemonHandle = {
  name: string;
  child: ChildProcess;
  /** What the daemon wrote to daemon.json when it started. */
  info: DaemonFile;
  /** Everything it printed so far (JSON log lines on stderr). */
  output: () => string;
  exited: Promise<Exit>;
  running: () => boolean;
  /** A control API request; `token: null` sends none, a string sends that one instead of the daemon's. */
  request: (method: string, path: string, options?: { body?: unknown; token?: string | null }) => Promise<ApiResponse>;
  waitForOutput: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill9: () => Promise<void>;
  /** SIGTERM, then waits for the exit (SIGKILL after `timeoutMs`); says how it ended and how long it took. */
  terminate: (timeoutMs?: number) => Promise<Exit & { ms: number }>;
};

/**
 * Starts `guild start --name <name> <args>` as a child process and waits until it wrote its daemon.json (with its
 * own pid: a killed daemon leaves a stale one) and answers GET /health.
 */
export async function startDaemonProcess(
  guild: TestGuild,
  name: string,
  args: string[],
  {
    env = {},
    timeoutMs = 90_000,
    pauseBefore,
  }: {
    env?: Record<string, string>;
    timeoutMs?: number;
    /**
     * Hold the daemon before these actions (`action:ms` pairs, e.g. "claim:120000"): runs it through the test-only
     * entry point fixtures/guildWithPauses.ts, which injects the pause through the daemon's `beforeAction` hook.
     */
    pauseBefore?: string;
  } = {},
): Promise<DaemonHandle> {
  const command = pauseBefore ? ["--import", "tsx", PAUSING_GUILD] : [GUILD_BIN];
  const child = spawn(process.execPath, [...command, "start", "--name", name, "--log-level", "info", ...args], {
    cwd: PACKAGE_ROOT,
    env: guild.env({ ...env, ...(pauseBefore ? { PAUSE_BEFORE: pauseBefore } : {}) }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<Exit>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const file = join(guildPaths(guild.home).agent(name), "daemon.json");
  const running = () => child.exitCode === null && child.signalCode === null;
  const kill9 = async () => {
    if (!running()) return;
    child.kill("SIGKILL");
    await exited;
  };

  let info: DaemonFile | undefined;
  const request: DaemonHandle["request"] = async (method, path, options = {}) => {
    const current = info ?? readDaemonFile(file);
    const token = options.token === undefined ? current.token : options.token;
    const response = await fetch(`${current.apiUrl}${path}`, {
      method,
      headers: {
        ...(token === null ? {} : { authorization: `Bearer ${token}` }),
        ...(options.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    return { status: response.status, text, json: <T>() => JSON.parse(text) as T };
  };
  const handle: DaemonHandle = {
    name,
    child,
    get info() {
      if (!info) throw new Error(`${name} has not started`);
      return info;
    },
    output: () => output,
    exited,
    running,
    request,
    waitForOutput: (pattern, ms = 30_000) =>
      waitFor(`${name} to log ${pattern}`, async () => pattern.test(output) || undefined, ms).then(() => undefined),
    kill9,
    terminate: async (ms = 15_000) => {
      const started = Date.now();
      if (running()) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), ms);
        const exit = await exited;
        clearTimeout(timer);
        return { ...exit, ms: Date.now() - started };
      }
      return { ...(await exited), ms: 0 };
    },
  };
  guild.daemons.add(handle);
  try {
    info = await waitFor(
      `${name}'s daemon to start`,
      async () => {
        if (!running()) throw new Error(`${name}'s daemon exited early:\n${tail(output)}`);
        if (!existsSync(file)) return undefined;
        const written = readDaemonFile(file);
        if (written.pid !== child.pid) return undefined;
        const health = await request("GET", "/health", { token: written.token }).catch(() => undefined);
        return health?.status === 200 ? written : undefined;
      },
      timeoutMs,
      250,
    );
  } catch (error) {
    await kill9();
    throw error;
  }
  return handle;
}

function readDaemonFile(file: string): DaemonFile {
  return JSON.parse(readFileSync(file, "utf8")) as DaemonFile;
}

export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/**
 * Polls `check` until it returns a value other than undefined/false; throws after `timeoutMs` with the last error
 * `check` threw. An error saying a daemon "exited early" ends the wait at once.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
  intervalMs = 200,
): Promise<T> {
  let lastError: unknown;
  const { value, done } = await pollUntil(
    async () => {
      try {
        return await check();
      } catch (error) {
        if (error instanceof Error && /exited early/.test(error.message)) throw error;
        lastError = error;
        return undefined;
      }
    },
    (checked) => checked !== undefined && checked !== false,
    { intervalMs, timeoutMs },
  );
  if (done) return value as T;
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`,
  );
}

/** An escrow or evaluator event, decoded. */
export type GuildEvent = {
  eventName: string;
  args: Record<string, unknown>;
  address: Address;
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hash;
};

const GUILD_ABI = [...jobEscrowAbi, ...stakedEvaluatorAbi];

/** Every escrow and evaluator event in `(afterBlock, toBlock]`, in chain order; only those of `jobId` when given. */
export async function guildEvents(
  guild: TestGuild,
  { afterBlock, toBlock, jobId }: { afterBlock?: bigint; toBlock?: bigint; jobId?: bigint } = {},
): Promise<GuildEvent[]> {
  const logs = await guild.connection.publicClient.getLogs({
    address: [guild.reader.addresses.escrow, guild.reader.addresses.evaluator],
    fromBlock: afterBlock === undefined ? guild.reader.fromBlock : afterBlock + 1n,
    toBlock: toBlock ?? "latest",
  });
  const events = parseEventLogs({ abi: GUILD_ABI, logs }).map(
    (log) =>
      ({
        eventName: log.eventName,
        args: log.args as Record<string, unknown>,
        address: log.address,
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        transactionHash: log.transactionHash,
      }) satisfies GuildEvent,
  );
  return jobId === undefined ? events : events.filter((event) => event.args.jobId === jobId);
}

/** Events named `name` (optionally whose `field` is `address`). */
export function named(events: GuildEvent[], name: string, field?: string, address?: Address): GuildEvent[] {
  return events.filter(
    (event) =>
      event.eventName === name && (field === undefined || isAddressEqual(event.args[field] as Address, address!)),
  );
}

/** What Guild's events moved in or out of `account`'s native balance (positive: in). */
export function nativeFlow(events: GuildEvent[], account: Address): bigint {
  let flow = 0n;
  const is = (value: unknown) => typeof value === "string" && isAddressEqual(value as Address, account);
  for (const { eventName, args } of events) {
    if (args.token !== undefined && !isAddressEqual(args.token as Address, zeroAddress)) continue;
    const amount = args.amount as bigint;
    if (eventName === "JobFunded" && is(args.client)) flow -= amount;
    if (eventName === "Refunded" && is(args.client)) flow += amount;
    if (eventName === "PaymentReleased" && is(args.provider)) flow += amount;
    if (eventName === "Staked" && is(args.staker)) flow -= amount;
    if (eventName === "StakeClaimed" && is(args.to)) flow += amount;
    if (eventName === "Withdrawn" && is(args.to)) flow += amount;
  }
  return flow;
}

/** Gas `account` paid for its transactions in `(afterBlock, toBlock]`, from the receipts. */
export async function gasPaid(
  guild: TestGuild,
  account: Address,
  afterBlock: bigint,
  toBlock: bigint,
): Promise<bigint> {
  const client = guild.connection.publicClient;
  let total = 0n;
  for (let number = afterBlock + 1n; number <= toBlock; number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
    for (const tx of block.transactions) {
      if (!isAddressEqual(tx.from, account)) continue;
      const receipt = await client.getTransactionReceipt({ hash: tx.hash });
      total += receipt.gasUsed * receipt.effectiveGasPrice;
    }
  }
  return total;
}

/**
 * Balance change of each agent over `(afterBlock, toBlock]` next to what the events and gas explain: equal when
 * every wei that moved is accounted for.
 */
export async function balanceAccounts(guild: TestGuild, names: string[], afterBlock: bigint, toBlock: bigint) {
  const events = await guildEvents(guild, { afterBlock, toBlock });
  const client = guild.connection.publicClient;
  const out: Record<string, { change: bigint; explained: bigint; flow: bigint; gas: bigint }> = {};
  for (const name of names) {
    const address = guild.address(name);
    const before = await client.getBalance({ address, blockNumber: afterBlock });
    const after = await client.getBalance({ address, blockNumber: toBlock });
    const flow = nativeFlow(events, address);
    const gas = await gasPaid(guild, address, afterBlock, toBlock);
    out[name] = { change: after - before, explained: flow - gas, flow, gas };
  }
  return out;
}

/**
 * What each claim of a settled check should pay, replaying the evaluator's rule in claim order: a winner gets its
 * stake plus `stake * rewardLeft / winnersLeft` (the last winner the remainder), a loser 0.
 */
export function expectedClaims(events: GuildEvent[]): Map<Address, bigint> {
  const settled = events.find((event) => event.eventName === "CheckSettled");
  if (!settled) throw new Error("the check is not settled");
  const passed = settled.args.passed as boolean;
  let winners = (passed ? settled.args.passTotal : settled.args.failTotal) as bigint;
  let reward = (passed ? settled.args.failTotal : settled.args.passTotal) as bigint;
  const sides = new Map<Address, boolean>();
  for (const event of named(events, "Staked"))
    sides.set(getAddress(event.args.staker as Address), event.args.pass as boolean);
  const expected = new Map<Address, bigint>();
  for (const claim of named(events, "StakeClaimed")) {
    const staker = getAddress(claim.args.staker as Address);
    const stake = claim.args.stake as bigint;
    if (sides.get(staker) !== passed) {
      expected.set(staker, 0n);
      continue;
    }
    const share = stake === winners ? reward : (stake * reward) / winners;
    winners -= stake;
    reward -= share;
    expected.set(staker, stake + share);
  }
  return expected;
}

/** A read-only look into a daemon's SQLite state (WAL: does not disturb the daemon). */
export function queryDaemonState<T>(guild: TestGuild, name: string, sql: string): T[] {
  const dir = guildPaths(guild.home).agent(name);
  const files = (existsSync(dir) ? readdirSync(dir) : []).filter((file) => /^state-.*\.sqlite$/.test(file));
  if (files.length !== 1) throw new Error(`expected one state database in ${dir}, found ${files.length}`);
  const db = new DatabaseSync(join(dir, files[0]!), { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

/** The sentence the offline planner turns into a hire that lets the staked check decide. */
export function hireSentence(
  skill: "word-count" | "sort",
  input: string,
  { windowSeconds, budget = "0.002" }: { windowSeconds: number; budget?: string },
): string {
  const verb = skill === "word-count" ? "count the words in" : "sort";
  return `Hire an agent for ${skill} to ${verb}: ${input}. Budget ${budget} ETH, bond 50%, check window ${windowSeconds}s. Let the check decide.`;
}

/** Delegates `task` to a client daemon through POST /tasks; returns the task id. */
export async function delegate(daemon: DaemonHandle, task: string): Promise<string> {
  const response = await daemon.request("POST", "/tasks", { body: { task } });
  if (response.status !== 202) throw new Error(`POST /tasks answered ${response.status}: ${response.text}`);
  return response.json<{ id: string }>().id;
}

/** Waits for the job `client` funds for `provider` after `afterBlock` (the n-th such job, 0-based). */
export async function waitForJob(
  guild: TestGuild,
  client: Address,
  provider: Address,
  afterBlock: bigint,
  timeoutMs = 60_000,
  index = 0,
): Promise<bigint> {
  return waitFor(
    "the job to be funded",
    async () => {
      const events = await guildEvents(guild, { afterBlock });
      const created = named(events, "JobCreated", "client", client).filter((event) =>
        isAddressEqual(event.args.provider as Address, provider),
      );
      const funded = created
        .map((event) => event.args.jobId as bigint)
        .filter((jobId) => named(events, "JobFunded").some((e) => e.args.jobId === jobId));
      return funded[index];
    },
    timeoutMs,
  );
}

/** Waits until the job's check is settled and every stake on it was claimed (the daemons claim on their own). */
export async function waitForJobDone(guild: TestGuild, jobId: bigint, timeoutMs = 60_000): Promise<GuildEvent[]> {
  return waitFor(
    `job ${jobId} to settle and every stake to be claimed`,
    async () => {
      const events = await guildEvents(guild, { jobId });
      if (!events.some((event) => event.eventName === "CheckSettled")) return undefined;
      const stakers = new Set(named(events, "Staked").map((event) => getAddress(event.args.staker as Address)));
      const claimed = new Set(named(events, "StakeClaimed").map((event) => getAddress(event.args.staker as Address)));
      return [...stakers].every((staker) => claimed.has(staker)) ? events : undefined;
    },
    timeoutMs,
    300,
  );
}

/** The transaction's sender. */
export async function senderOf(guild: TestGuild, hash: Hash): Promise<Address> {
  return getAddress((await guild.connection.publicClient.getTransaction({ hash })).from);
}
