/**
 * `guild audit` benchmark on the embedded chain (a Hardhat node, as `guild chain` runs it).
 *
 *   npm run bench:audit [-- --jobs 20000 --other-jobs 40000 --per-round 100 --sample 12 --repeat 3 --keep]
 *                          [-- --compare ../other-checkout]
 *
 * 1. Generates (or reuses, with --keep) a history in which the audited agent took part in `--jobs` jobs
 *    among other agents' traffic: jobs as client, provider and checker, ERC-20 jobs, direct payments both
 *    ways (the incoming ones emit no event), failed transactions.
 * 2. Runs the audit, reconciliation included, in a fresh child process (so its memory is its own) over
 *    the whole history and over its first half: wall time, peak RSS and peak heap.
 * 3. Runs a naive reconstruction that asks the node block by block (the block with its transactions, one
 *    receipt per transaction) over a sample of the range, twice: through the audit's own transport (the
 *    same client: 50 requests per HTTP batch, as many blocks and receipts in flight as the audit asks at
 *    once) and through that client with batching off, one request at a time. Each must agree with the audit
 *    over that sample; each runs three times (the median is kept) and is extrapolated to the whole range by
 *    transaction count. The first ratio is the audit's method alone; the second, method and transport.
 * 4. Measures the audit's floor: the node's receipts per second through the same transport (median of
 *    three reads of the agent's receipts in 400 blocks), times one receipt per transaction the agent sent
 *    (gas cannot be known without them), next to where the audit's time went: its phases and requests.
 * 5. With --compare <dir> (another checkout of Guild, e.g. the commit before a change, with its
 *    node_modules), runs that checkout's audit and this one's over the whole history, alternately, --repeat
 *    times each, on the same node: wall time and CPU seconds, the audit's process and the node's, compare
 *    like with like however busy the machine is.
 *
 * CPU seconds come from /proc (Linux): the audit child's from this process's reaped-children counters
 * (startup included), the node's from the process listening on the node's port.
 *
 * Generation takes minutes (Hardhat cannot dump its state, so a history cannot be saved to a file). With
 * --keep the node is left running on --port and its history recorded in tmp/bench-audit/history.json;
 * the next run with --keep reuses it while that node still answers with the same blocks.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  createPublicClient,
  createWalletClient,
  decodeFunctionData,
  encodeFunctionData,
  getAbiItem,
  hexToBigInt,
  http,
  maxUint256,
  parseEther,
  parseEventLogs,
  toEventSelector,
  zeroAddress,
  type Address,
  type Hex,
  type RpcTransactionReceipt,
} from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import { auditAgent } from "../../src/audit/auditAgent.js";
import { pickEvents } from "../../src/audit/auditEvents.js";
import { createAuditRpc, mapLimit } from "../../src/audit/auditRpc.js";
import { BLOCK_CONCURRENCY, RECEIPTS_IN_FLIGHT } from "../../src/audit/findAgentTransactions.js";
import { readFullBlock } from "../../src/audit/readFullBlock.js";
import { readReceipt } from "../../src/audit/readReceipt.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { deployContracts } from "../../src/chain/deployContracts.js";
import { ensureEmbeddedChain, PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { DEV_MNEMONIC } from "../../src/wallet/devAccounts.js";
import { freePort } from "../../test/support/nodes.js";
import { median } from "./stats.js";

const { values } = parseArgs({
  options: {
    jobs: { type: "string", default: "20000" },
    "other-jobs": { type: "string", default: "40000" },
    "per-round": { type: "string", default: "100" },
    sample: { type: "string", default: "12" },
    port: { type: "string", default: "8611" },
    keep: { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
    compare: { type: "string" },
    child: { type: "string" },
  },
});

/** What the generator leaves behind: where the history lies and what it holds. */
type BenchHistory = {
  url: string;
  chainId: number;
  agent: Address;
  escrow: Address;
  evaluator: Address;
  registry: Address;
  token: Address;
  fromBlock: string;
  toBlock: string;
  toBlockHash: Hex;
  agentJobs: number;
  otherJobs: number;
  transactions: number;
  agentTransactions: number;
  generationSeconds: number;
};

/** One audit run, measured in its own process. */
type AuditRun = {
  toBlock: string;
  seconds: number;
  maxRssMb: number;
  peakHeapMb: number;
  /** Peak of the heap sampled right after a forced collection every 250 ms: what the audit holds. */
  liveHeapMb: number | undefined;
  reportMb: number;
  reconciled: boolean;
  jobs: number;
  transactions: number;
  logs: number;
  requests: Record<string, number>;
  phasesMs: Record<string, number>;
  /** CPU seconds of the audit's process (startup included) and of the node meanwhile, where /proc tells. */
  cpuSeconds?: number | undefined;
  nodeCpuSeconds?: number | undefined;
};

async function main(): Promise<void> {
  const stateDir = join(PACKAGE_ROOT, "tmp", "bench-audit");
  const stateFile = join(stateDir, "history.json");
  const agentJobs = Number(values.jobs);
  const otherJobs = Number(values["other-jobs"]);
  const port = values.keep ? Number(values.port) : await freePort();
  mkdirSync(stateDir, { recursive: true });
  const chain = values.keep
    ? await keptChain(port, join(stateDir, "chain.log"))
    : await ensureEmbeddedChain({ port, logFile: join(stateDir, "chain.log") });
  let history: BenchHistory | undefined;
  try {
    if (values.keep && existsSync(stateFile))
      history = await reusable(
        JSON.parse(readFileSync(stateFile, "utf8")) as BenchHistory,
        chain.url,
        agentJobs,
        otherJobs,
      );
    if (history) console.error(`Reusing the history on ${chain.url} (blocks ${history.fromBlock}-${history.toBlock}).`);
    else {
      if (!chain.started)
        throw new Error(
          `A node already runs on ${chain.url} without the recorded history: stop it or pick another --port.`,
        );
      console.error(`Generating: the agent in ${agentJobs} jobs, ${otherJobs} other jobs, on ${chain.url} ...`);
      history = await generate(chain.url, agentJobs, otherJobs, Number(values["per-round"]));
      writeFileSync(stateFile, `${JSON.stringify(history, null, 2)}\n`);
    }

    const from = BigInt(history.fromBlock);
    const to = BigInt(history.toBlock);
    const half = from + (to - from) / 2n;
    const events = await countEvents(history);
    console.error(
      `History: blocks ${from}-${to}, ${history.transactions} transactions (${history.agentTransactions} by the agent), ${events} events.`,
    );

    const runs: Record<"full" | "half" | "fullLive" | "halfLive", AuditRun> = {} as never;
    const repeats = Math.max(1, Number(values.repeat));
    const wallTimes: number[] = [];
    for (const [key, end, live, label] of [
      ["full", to, false, "whole range"],
      ["half", half, false, "first half"],
      ["fullLive", to, true, "whole range, heap sampled after forced collections"],
      ["halfLive", half, true, "first half, heap sampled after forced collections"],
    ] as const) {
      // The timed run over the whole range is repeated: the median is reported (other work shares the machine).
      const times = key === "full" ? repeats : 1;
      const results: AuditRun[] = [];
      for (let attempt = 0; attempt < times; attempt++) {
        console.error(
          `Audit over the ${label} (child process${times > 1 ? `, run ${attempt + 1}/${times}` : ""}), load average ${loadavg()[0]?.toFixed(1)} ...`,
        );
        const result = await runChild(history, end, live);
        console.error(`  ${result.seconds.toFixed(2)} s, reconciled: ${result.reconciled}`);
        results.push(result);
      }
      results.sort((a, b) => a.seconds - b.seconds);
      runs[key] = results[Math.floor(results.length / 2)] as AuditRun;
      if (key === "full") wallTimes.push(...results.map((result) => result.seconds));
    }
    const full = runs.full;
    const halfRun = runs.half;

    const sampleBlocks = BigInt(Number(values.sample));
    // The sample starts in the middle of the history, past the setup blocks.
    const sampleFrom = half;
    const sampleTo = half + sampleBlocks - 1n;
    const check = await auditAgent({
      reader: await readerFor(history),
      agent: history.agent,
      fromBlock: sampleFrom,
      toBlock: sampleTo,
    });
    const native = check.tokens.find((token) => token.token === zeroAddress);
    const agrees = (scan: NaiveScan) =>
      native !== undefined &&
      native.gas === scan.gas &&
      native.inflow === scan.inflow &&
      native.outflow === scan.outflow;
    const totalTxs = await countTransactions(history, from, to);
    // Each naive scan runs three times, the two transports alternately; the median time is kept.
    const scans: Record<NaiveTransport, NaiveScan[]> = { batched: [], sequential: [] };
    for (let attempt = 0; attempt < 3; attempt++) {
      for (const transport of ["batched", "sequential"] as const) {
        console.error(
          `Naive block-by-block reconstruction over blocks ${sampleFrom}-${sampleTo}, ${transport}, run ${attempt + 1}/3 ...`,
        );
        scans[transport].push(await naiveScan(history, sampleFrom, sampleTo, transport));
      }
    }
    const naive: Record<NaiveTransport, NaiveScan> = {} as never;
    for (const transport of ["batched", "sequential"] as const) {
      const sorted = [...scans[transport]].sort((a, b) => a.seconds - b.seconds);
      naive[transport] = sorted[1] as NaiveScan;
    }
    const extrapolate = (scan: NaiveScan) => scan.seconds * (totalTxs / Math.max(1, scan.transactions));
    console.error("The node's receipts per second through the audit's transport ...");
    const receipts = await receiptRate(history, half, to);
    const floorSeconds = history.agentTransactions / receipts.perSecond;

    console.log(
      `\nAudit of one agent on the embedded chain (Hardhat node over HTTP), ${new Date().toISOString().slice(0, 10)}\n`,
    );
    console.log(
      `History: ${history.agentJobs} jobs with the agent, ${history.otherJobs} other jobs; blocks ${from}-${to}; ${totalTxs} transactions (${history.agentTransactions} sent by the agent); ${events} events in range.`,
    );
    console.log(
      `Generated in ${history.generationSeconds.toFixed(0)} s${values.keep ? " (kept running for the next --keep run)" : ""}.\n`,
    );
    console.log("| run | range | wall time | peak RSS | peak heap | live heap | report (JSON) | reconciled |");
    console.log("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |");
    for (const [name, run, live] of [
      ["audit, first half", halfRun, runs.halfLive],
      ["audit, whole history", full, runs.fullLive],
    ] as const) {
      console.log(
        `| ${name} | ${from}-${run.toBlock} | ${run.seconds.toFixed(2)} s | ${run.maxRssMb.toFixed(0)} MB | ${run.peakHeapMb.toFixed(0)} MB | ${(live.liveHeapMb ?? 0).toFixed(0)} MB | ${run.reportMb.toFixed(1)} MB | ${run.reconciled ? "yes" : "NO"} |`,
      );
    }
    for (const [transport, label] of [
      [
        "batched",
        `the audit's transport: batches of 50, ${BLOCK_CONCURRENCY} blocks or ${RECEIPTS_IN_FLIGHT} receipts in flight`,
      ],
      ["sequential", "one request at a time, unbatched"],
    ] as const) {
      const scan = naive[transport];
      console.log(
        `| naive scan, ${label}, sample (median of 3) | ${sampleFrom}-${sampleTo} (${scan.transactions} txs) | ${scan.seconds.toFixed(2)} s | | | | | agrees with the audit on the sample: ${scans[transport].every(agrees) ? "yes" : "NO"} |`,
      );
      console.log(
        `| naive scan, ${label}, extrapolated | ${from}-${to} (${totalTxs} txs) | ~${extrapolate(scan).toFixed(0)} s (extrapolated) | | | | | |`,
      );
    }
    console.log(
      "\nPeak heap: sampled every 50 ms. Live heap: the largest heap right after a forced collection (every 250 ms, separate runs): what the audit holds.",
    );
    console.log(
      "The naive scan reads each block with its transactions and one receipt per transaction (it asks nothing it does not use); extrapolated by transaction count.",
    );
    console.log(
      `\nSpeed-up over the naive scan: method alone (same transport and batching) ${(extrapolate(naive.batched) / full.seconds).toFixed(1)}x; method and transport (naive one request at a time) ${(extrapolate(naive.sequential) / full.seconds).toFixed(1)}x. Audit under 20 s: ${full.seconds < 20 ? "yes" : "NO"}.`,
    );
    console.log(
      `Floor: the agent sent ${history.agentTransactions} transactions, and its gas needs one receipt each; the node served ${receipts.perSecond.toFixed(0)} receipts/s through the audit's transport (${receipts.count} receipts in ${receipts.seconds.toFixed(2)} s), so receipts alone take ${floorSeconds.toFixed(2)} s: the audit takes ${(full.seconds / floorSeconds).toFixed(2)}x its floor. (Reads of the ${receipts.count} receipts: ${receipts.runs.map((seconds) => `${seconds.toFixed(2)} s`).join(", ")}; median used.)`,
    );
    console.log(
      `Audit requests (whole history): ${Object.entries(full.requests)
        .map(([method, count]) => `${method} ${count}`)
        .join(", ")}; logs read: ${full.logs}.`,
    );
    console.log(
      `Audit phases (whole history, ms, in order): ${Object.entries(full.phasesMs)
        .map(([phase, ms]) => `${phase} ${ms}`)
        .join(", ")}.`,
    );
    const seconds = (value: number | undefined) => (value === undefined ? "n/a" : `${value.toFixed(2)} s`);
    const floorCpu = receipts.cpuPerReceipt * history.agentTransactions;
    const floorNodeCpu =
      receipts.nodeCpuPerReceipt === undefined ? undefined : receipts.nodeCpuPerReceipt * history.agentTransactions;
    console.log(
      `CPU, whole history (the median run): the audit's process ${seconds(full.cpuSeconds)} (startup included), the node ${seconds(full.nodeCpuSeconds)}; the floor's ${history.agentTransactions} receipts at the rate measured above: this process ${seconds(floorCpu)}, the node ${seconds(floorNodeCpu)}.`,
    );
    console.log(
      `Whole-history runs: ${wallTimes.map((seconds) => `${seconds.toFixed(2)} s`).join(", ")} (median in the table); load average at the end ${loadavg()
        .map((value) => value.toFixed(1))
        .join(" ")} on ${cpus().length} cores.`,
    );
    console.log(
      `Memory, first half -> whole history: live heap ${(runs.halfLive.liveHeapMb ?? 0).toFixed(0)} -> ${(runs.fullLive.liveHeapMb ?? 0).toFixed(0)} MB while the report grows ${halfRun.reportMb.toFixed(1)} -> ${full.reportMb.toFixed(1)} MB as JSON (${halfRun.jobs} -> ${full.jobs} job rows, ${halfRun.transactions} -> ${full.transactions} transactions).`,
    );
    if (values.compare) await compareWith(resolve(values.compare), history, to, repeats);
  } finally {
    if (!values.keep) await chain.stop();
  }
}

/**
 * Runs the audit of another checkout (`root`) and this one's over the whole history, alternately, `repeats`
 * times each, and prints the medians: the load changes between runs, so only runs side by side compare.
 */
async function compareWith(root: string, history: BenchHistory, to: bigint, repeats: number): Promise<void> {
  if (!existsSync(join(root, "scripts", "bench", "audit.ts")))
    throw new Error(
      `--compare ${root}: no scripts/bench/audit.ts there (give a Guild checkout with its node_modules).`,
    );
  const sides = [
    { label: `the other checkout (${root})`, root, runs: [] as AuditRun[] },
    { label: "this checkout", root: PACKAGE_ROOT, runs: [] as AuditRun[] },
  ];
  for (let attempt = 0; attempt < repeats; attempt++) {
    for (const side of sides) {
      console.error(
        `Compare: audit of ${side.label}, run ${attempt + 1}/${repeats}, load ${loadavg()[0]?.toFixed(1)} ...`,
      );
      const run = await runChild(history, to, false, side.root);
      console.error(`  ${run.seconds.toFixed(2)} s, reconciled: ${run.reconciled}`);
      side.runs.push(run);
    }
  }
  const middle = (values: (number | undefined)[]) => {
    const known = values.filter((value): value is number => value !== undefined);
    return known.length === values.length ? `${median(known).toFixed(2)} s` : "n/a";
  };
  console.log(
    `\nSide by side on the whole history (runs alternated, ${repeats} each; medians; CPU from /proc, the audit's startup included):\n`,
  );
  console.log("| audit of | wall time | audit CPU | node CPU | runs (wall) | reconciled |");
  console.log("| --- | ---: | ---: | ---: | --- | --- |");
  for (const side of sides) {
    console.log(
      `| ${side.label} | ${middle(side.runs.map((run) => run.seconds))} | ${middle(side.runs.map((run) => run.cpuSeconds))} | ${middle(side.runs.map((run) => run.nodeCpuSeconds))} | ${side.runs.map((run) => run.seconds.toFixed(2)).join(", ")} | ${side.runs.every((run) => run.reconciled) ? "yes" : "NO"} |`,
    );
  }
}

/**
 * The embedded chain (`hardhat node`, as ensureEmbeddedChain starts it) detached from this process with
 * its output in a file, so that it outlives the run (--keep); or the one already on `port`.
 */
async function keptChain(
  port: number,
  logFile: string,
): Promise<{ url: string; started: boolean; stop: () => Promise<void> }> {
  const url = `http://127.0.0.1:${port}`;
  if ((await probeChainId(url)) !== undefined) return { url, started: false, stop: async () => {} };
  const out = openSync(logFile, "a");
  const cli = join(PACKAGE_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const child = spawn(
    process.execPath,
    [cli, "node", "--config", join(PACKAGE_ROOT, "hardhat.config.ts"), "--hostname", "127.0.0.1", "--port", `${port}`],
    {
      cwd: PACKAGE_ROOT,
      detached: true,
      stdio: ["ignore", out, out],
    },
  );
  child.unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await probeChainId(url, 500)) !== undefined) {
      console.error(
        `Started a Hardhat node on ${url} (pid ${child.pid}); it keeps running: stop it with "kill ${child.pid}".`,
      );
      return { url, started: true, stop: async () => {} };
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the node on ${url} did not answer within 60 s (see ${logFile})`);
}

// ------------------------------------------------------------------------------------------------
// The audit, in a child process
// ------------------------------------------------------------------------------------------------

async function readerFor(history: BenchHistory) {
  const connection = await createConnection({ url: history.url });
  return {
    connection,
    addresses: {
      escrow: history.escrow,
      evaluator: history.evaluator,
      registry: history.registry,
      testToken: history.token,
    },
    fromBlock: BigInt(history.fromBlock),
    logger: silentLogger(),
  };
}

/** The audit run in `root` (this checkout by default), in a child process, with the CPU it and the node used. */
async function runChild(history: BenchHistory, toBlock: bigint, live = false, root = PACKAGE_ROOT): Promise<AuditRun> {
  const argument = JSON.stringify({ history, toBlock: toBlock.toString(), live });
  const flags = live ? ["--expose-gc"] : [];
  const nodePid = listenerOf(Number(new URL(history.url).port));
  const nodeBefore = nodePid === undefined ? undefined : cpuOf(`/proc/${nodePid}/stat`, "own");
  const childrenBefore = cpuOf("/proc/self/stat", "children");
  const child = spawn(
    process.execPath,
    [...flags, "--import", "tsx", join(root, "scripts", "bench", "audit.ts"), "--child", argument],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`the audit child exited with ${code}`);
  const run = JSON.parse(output.trim().split("\n").pop() as string) as AuditRun;
  const childrenAfter = cpuOf("/proc/self/stat", "children");
  const nodeAfter = nodePid === undefined ? undefined : cpuOf(`/proc/${nodePid}/stat`, "own");
  run.cpuSeconds =
    childrenBefore === undefined || childrenAfter === undefined ? undefined : childrenAfter - childrenBefore;
  run.nodeCpuSeconds = nodeBefore === undefined || nodeAfter === undefined ? undefined : nodeAfter - nodeBefore;
  return run;
}

/**
 * CPU seconds (user + system) from a /proc stat file: the process's own, or that of its children it has
 * waited for. Undefined where there is no /proc. Assumes 100 clock ticks per second (Linux's USER_HZ).
 */
function cpuOf(statFile: string, which: "own" | "children"): number | undefined {
  try {
    // Fields after the command name: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
    const fields = (readFileSync(statFile, "utf8").split(") ")[1] ?? "").split(" ");
    const [user, system] = which === "own" ? [fields[11], fields[12]] : [fields[13], fields[14]];
    const ticks = Number(user) + Number(system);
    return Number.isFinite(ticks) ? ticks / 100 : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the process listening on 127.0.0.1:`port`, from /proc (Linux); undefined elsewhere. */
function listenerOf(port: number): number | undefined {
  try {
    const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
    const inodes = new Set<string>();
    for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
      if (!existsSync(table)) continue;
      for (const line of readFileSync(table, "utf8").split("\n").slice(1)) {
        const columns = line.trim().split(/\s+/);
        // local_address is column 1 (ADDR:PORT), st is column 3 (0A: listening), inode column 9.
        if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === "0A" && columns[9]) inodes.add(columns[9]);
      }
    }
    if (inodes.size === 0) return undefined;
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      let fds: string[];
      try {
        fds = readdirSync(`/proc/${pid}/fd`);
      } catch {
        continue;
      }
      for (const fd of fds) {
        try {
          const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
          if (inodes.has(target.slice("socket:[".length, -1))) return Number(pid);
        } catch {
          // closed meanwhile
        }
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}

async function childAudit(argument: string): Promise<void> {
  const { history, toBlock, live } = JSON.parse(argument) as { history: BenchHistory; toBlock: string; live: boolean };
  const reader = await readerFor(history);
  const gc = (globalThis as { gc?: () => void }).gc;
  let peakHeap = 0;
  let liveHeap = 0;
  let ticks = 0;
  const sampler = setInterval(() => {
    if (live && gc && ++ticks % 5 === 0) {
      gc();
      liveHeap = Math.max(liveHeap, process.memoryUsage().heapUsed);
    }
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 50);
  const started = performance.now();
  let lastLine = 0;
  const report = await auditAgent({
    reader,
    agent: history.agent,
    toBlock: BigInt(toBlock),
    onProgress: ({ phase, done, total, detail }) => {
      if (performance.now() - lastLine < 2_000) return;
      lastLine = performance.now();
      process.stderr.write(`    ${phase}: ${done}/${total} ${detail}\n`);
    },
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const { renderJson } = await import("../../src/audit/render/json.js");
  const reportBytes = Buffer.byteLength(renderJson(report));
  const run: AuditRun = {
    toBlock,
    seconds,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 2 ** 20,
    liveHeapMb: live ? liveHeap / 2 ** 20 : undefined,
    reportMb: reportBytes / 2 ** 20,
    reconciled: report.reconciled,
    jobs: report.jobs.length,
    transactions: report.transactions.sent,
    logs: report.stats.logs,
    requests: report.stats.requests,
    phasesMs: report.stats.phasesMs,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
  process.exit(0);
}

// ------------------------------------------------------------------------------------------------
// The naive reconstruction: every block, every transaction's receipt
// ------------------------------------------------------------------------------------------------

type NaiveTransport = "batched" | "sequential";
type NaiveScan = { seconds: number; transactions: number; gas: bigint; inflow: bigint; outflow: bigint };

const NATIVE_EVENTS = pickEvents(["JobFunded", "Staked", "PaymentReleased", "Refunded", "StakeClaimed"]);

/**
 * The agent's native flows over `fromBlock..toBlock` from every block and every receipt in it. `batched` asks
 * through the audit's own transport (createAuditRpc: 50 requests per HTTP batch, blocks and receipts as
 * many at a time as the audit asks them); `sequential` through the same client with batching off, one
 * request at a time.
 */
async function naiveScan(
  history: BenchHistory,
  fromBlock: bigint,
  toBlock: bigint,
  transport: NaiveTransport,
): Promise<NaiveScan> {
  const rpc = createAuditRpc((await readerFor(history)).connection, { batch: transport === "batched" });
  const inFlight =
    transport === "batched" ? { blocks: BLOCK_CONCURRENCY, receipts: RECEIPTS_IN_FLIGHT } : { blocks: 1, receipts: 1 };
  const me = history.agent.toLowerCase();
  const guild = new Set([history.escrow.toLowerCase(), history.evaluator.toLowerCase()]);
  const scan: NaiveScan = { seconds: 0, transactions: 0, gas: 0n, inflow: 0n, outflow: 0n };
  const blocks: bigint[] = [];
  for (let block = fromBlock; block <= toBlock; block++) blocks.push(block);
  const started = performance.now();
  const full = await mapLimit(blocks, inFlight.blocks, (block) => readFullBlock(rpc, block));
  const transactions = full.flatMap((block) => block.transactions);
  const receipts = await mapLimit(transactions, inFlight.receipts, (tx) => readReceipt(rpc, tx.hash));
  scan.seconds = (performance.now() - started) / 1000;
  for (const [index, tx] of transactions.entries()) {
    const receipt = receipts[index] as RpcTransactionReceipt;
    scan.transactions++;
    const fromMe = tx.from.toLowerCase() === me;
    if (fromMe) scan.gas += hexToBigInt(receipt.gasUsed) * hexToBigInt(receipt.effectiveGasPrice);
    if (hexToBigInt(receipt.status) !== 1n) continue;
    const value = hexToBigInt(tx.value);
    if (fromMe && value > 0n && !(tx.to !== null && guild.has(tx.to.toLowerCase()))) scan.outflow += value;
    if (tx.to?.toLowerCase() === me && value > 0n) scan.inflow += value;
    const logs = receipt.logs.filter((log) => guild.has(log.address.toLowerCase()));
    for (const log of parseEventLogs({ abi: NATIVE_EVENTS, logs })) {
      const args = log.args as Record<string, unknown>;
      if ("token" in args && args.token !== zeroAddress) continue;
      switch (log.eventName) {
        case "JobFunded":
          if (String(args.client).toLowerCase() === me) scan.outflow += args.amount as bigint;
          break;
        case "Staked":
          if (String(args.staker).toLowerCase() === me) scan.outflow += args.amount as bigint;
          break;
        case "PaymentReleased":
          if (String(args.provider).toLowerCase() === me) scan.inflow += args.amount as bigint;
          break;
        case "Refunded":
          if (String(args.client).toLowerCase() === me) scan.inflow += args.amount as bigint;
          break;
        case "StakeClaimed":
          if (String(args.staker).toLowerCase() === me && String(args.to).toLowerCase() === me)
            scan.inflow += args.amount as bigint;
          break;
      }
    }
  }
  return scan;
}

/**
 * Receipts per second the node serves through the audit's transport, as many in flight as the audit asks:
 * the agent's transactions in 400 blocks (fewer at the end of a short history), read three times (the median is kept; other work shares the machine).
 */
async function receiptRate(history: BenchHistory, fromBlock: bigint, toBlock: bigint) {
  const rpc = createAuditRpc((await readerFor(history)).connection);
  const me = history.agent.toLowerCase();
  const blocks = Array.from({ length: 400 }, (_, index) => fromBlock + BigInt(index)).filter(
    (block) => block <= toBlock,
  );
  const hashes = (
    await mapLimit(blocks, BLOCK_CONCURRENCY, async (block) =>
      (await readFullBlock(rpc, block)).transactions.filter((tx) => tx.from.toLowerCase() === me).map((tx) => tx.hash),
    )
  ).flat();
  const runs: number[] = [];
  const nodePid = listenerOf(Number(new URL(history.url).port));
  const nodeBefore = nodePid === undefined ? undefined : cpuOf(`/proc/${nodePid}/stat`, "own");
  const cpuBefore = process.cpuUsage();
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = performance.now();
    await mapLimit(hashes, RECEIPTS_IN_FLIGHT, (hash) => readReceipt(rpc, hash));
    runs.push((performance.now() - started) / 1000);
  }
  const cpu = process.cpuUsage(cpuBefore);
  const nodeAfter = nodePid === undefined ? undefined : cpuOf(`/proc/${nodePid}/stat`, "own");
  const seconds = median(runs);
  return {
    count: hashes.length,
    seconds,
    runs,
    perSecond: hashes.length / seconds,
    // CPU seconds per receipt, averaged over the three reads: this process's and the node's.
    cpuPerReceipt: (cpu.user + cpu.system) / 1e6 / (3 * hashes.length),
    nodeCpuPerReceipt:
      nodeBefore === undefined || nodeAfter === undefined ? undefined : (nodeAfter - nodeBefore) / (3 * hashes.length),
  };
}

async function countTransactions(history: BenchHistory, fromBlock: bigint, toBlock: bigint): Promise<number> {
  const client = createPublicClient({ transport: http(history.url, { batch: { batchSize: 500 } }) });
  const blocks: bigint[] = [];
  for (let block = fromBlock; block <= toBlock; block++) blocks.push(block);
  const counts = await Promise.all(blocks.map((blockNumber) => client.getBlockTransactionCount({ blockNumber })));
  return counts.reduce((sum, count) => sum + count, 0);
}

async function countEvents(history: BenchHistory): Promise<number> {
  const client = createPublicClient({
    transport: http(history.url, { batch: { batchSize: 20 }, maxResponseBodySize: false }),
  });
  const to = BigInt(history.toBlock);
  const ranges: [bigint, bigint][] = [];
  for (let from = BigInt(history.fromBlock); from <= to; from += 8n)
    ranges.push([from, from + 7n > to ? to : from + 7n]);
  let total = 0;
  for (let index = 0; index < ranges.length; index += 40) {
    const counts = await Promise.all(
      ranges.slice(index, index + 40).map(async ([from, end]) => {
        const logs = await client.request({
          method: "eth_getLogs",
          params: [{ fromBlock: `0x${from.toString(16)}`, toBlock: `0x${end.toString(16)}` }],
        });
        return (logs as unknown[]).length;
      }),
    );
    total += counts.reduce((sum, count) => sum + count, 0);
  }
  return total;
}

// ------------------------------------------------------------------------------------------------
// Generation
// ------------------------------------------------------------------------------------------------

async function reusable(
  recorded: BenchHistory,
  url: string,
  agentJobs: number,
  otherJobs: number,
): Promise<BenchHistory | undefined> {
  if (recorded.url !== url || recorded.agentJobs !== agentJobs || recorded.otherJobs !== otherJobs) return undefined;
  try {
    const client = createPublicClient({ transport: http(url) });
    const block = await client.getBlock({ blockNumber: BigInt(recorded.toBlock) });
    return block.hash === recorded.toBlockHash ? recorded : undefined;
  } catch {
    return undefined;
  }
}

type Rpc = (calls: { method: string; params: unknown[] }[]) => Promise<unknown[]>;

function rpcOver(url: string): Rpc {
  let id = 0;
  return async (calls) => {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(calls.map((call) => ({ jsonrpc: "2.0", id: ++id, ...call }))),
    });
    const answers = (await response.json()) as { id: number; result?: unknown; error?: { message: string } }[];
    answers.sort((a, b) => a.id - b.id);
    return answers.map((answer) => {
      if (answer.error) throw new Error(answer.error.message);
      return answer.result;
    });
  };
}

type Party = { account: HDAccount; nonce: number };
type Tx = { from: Party; to: Address; data?: Hex; value?: bigint; gas: bigint };
type Job = {
  client: Party;
  provider: Party;
  token: Address;
  budget: bigint;
  description: string;
  id?: bigint | undefined;
  stakers: Party[];
};

const DAY = 86_400;
const JOB_CREATED = toEventSelector(getAbiItem({ abi: jobEscrowAbi, name: "JobCreated" }));

/**
 * Automining off; each block carries a round of transactions signed here with explicit nonces and gas
 * limits (no estimation, no simulation) and sent in JSON-RPC batches; `evm_mine` seals it at a chosen
 * time, so the history spans ten days. (Hardhat's `eth_sendTransaction` is quadratic in the pending
 * transactions: 300 pending went at 145 tx/s, 100 at 734 tx/s; raw transactions do not slow down.)
 * A round: create and fund, deliver, stake, accept (and the previous round's stake claims).
 */
async function generate(
  url: string,
  agentJobs: number,
  otherJobs: number,
  jobsPerRound: number,
): Promise<BenchHistory> {
  const generationStarted = performance.now();
  const rpc = rpcOver(url);
  const one = async (method: string, params: unknown[] = []) => (await rpc([{ method, params }]))[0];
  const chainId = Number(BigInt((await one("eth_chainId")) as string));
  const parties: Party[] = Array.from({ length: 20 }, (_, index) => ({
    account: mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }),
    nonce: 0,
  }));
  const [deployer, agent, ...others] = parties as [Party, Party, ...Party[]];
  const publicClient = createPublicClient({ transport: http(url) });
  const wallet = createWalletClient({ account: deployer.account, transport: http(url) });
  const deployed = await deployContracts(wallet, publicClient, {
    withTestToken: true,
    defaultCheckWindow: 3_600n,
    defaultEvaluationPeriod: 30n * 86_400n,
  });
  const token = deployed.testToken as Address;
  for (const party of parties) {
    party.nonce = Number(BigInt((await one("eth_getTransactionCount", [party.account.address, "latest"])) as string));
  }
  await one("evm_setAutomine", [false]);
  await one("evm_setBlockGasLimit", [`0x${(2_000_000_000).toString(16)}`]);
  const latest = (await one("eth_getBlockByNumber", ["latest", false])) as { timestamp: string };
  let time = Number(BigInt(latest.timestamp)) + 60;

  let sentTotal = 0;
  let agentSent = 0;
  const mine = async (txs: Tx[], seconds: number) => {
    const raws = await Promise.all(
      txs.map((tx) =>
        tx.from.account.signTransaction({
          chainId,
          type: "eip1559",
          to: tx.to,
          data: tx.data ?? "0x",
          value: tx.value ?? 0n,
          gas: tx.gas,
          nonce: tx.from.nonce++,
          maxFeePerGas: 50_000_000_000n,
          maxPriorityFeePerGas: 1_000_000_000n,
        }),
      ),
    );
    for (let index = 0; index < raws.length; index += 200) {
      await rpc(raws.slice(index, index + 200).map((raw) => ({ method: "eth_sendRawTransaction", params: [raw] })));
    }
    time += seconds;
    await one("evm_setNextBlockTimestamp", [time]);
    await one("evm_mine");
    sentTotal += txs.length;
    agentSent += txs.filter((tx) => tx.from === agent).length;
  };

  // Setup: tokens for everyone, the escrow's and the evaluator's allowances once and for all.
  await mine(
    [agent, ...others].map((party) => ({
      from: deployer,
      to: token,
      data: encodeFunctionData({
        abi: guildTestTokenAbi,
        functionName: "mint",
        args: [party.account.address, 10n ** 15n],
      }),
      gas: 100_000n,
    })),
    60,
  );
  await mine(
    [agent, ...others].flatMap((party) =>
      [deployed.escrow, deployed.evaluator].map((spender) => ({
        from: party,
        to: token,
        data: encodeFunctionData({ abi: guildTestTokenAbi, functionName: "approve", args: [spender, maxUint256] }),
        gas: 100_000n,
      })),
    ),
    60,
  );

  const rounds = Math.ceil((agentJobs + otherJobs) / jobsPerRound);
  const roundSeconds = Math.max(60, Math.floor((10 * DAY) / rounds));
  let agentLeft = agentJobs;
  let otherLeft = otherJobs;
  let serial = 0;
  let pendingClaims: { party: Party; jobId: bigint }[] = [];
  const started = performance.now();
  for (let round = 0; round < rounds; round++) {
    const jobs: Job[] = [];
    const share = Math.round((jobsPerRound * agentJobs) / (agentJobs + otherJobs));
    const agentThisRound = Math.min(agentLeft, round === rounds - 1 ? agentLeft : share);
    const otherThisRound = Math.min(otherLeft, round === rounds - 1 ? otherLeft : jobsPerRound - agentThisRound);
    agentLeft -= agentThisRound;
    otherLeft -= otherThisRound;
    for (let index = 0; index < agentThisRound + otherThisRound; index++) {
      serial++;
      const other = others[serial % others.length] as Party;
      let third = others[(serial * 7 + 3) % others.length] as Party;
      if (third === other) third = others[(serial + 1) % others.length] as Party;
      const erc20 = serial % 10 === 0;
      const budget = erc20 ? BigInt(1_000_000 + (serial % 97)) : parseEther("0.001") + BigInt(serial);
      const base = {
        token: erc20 ? token : zeroAddress,
        budget,
        description: `bench ${serial}`,
        stakers: [] as Party[],
      };
      if (index < agentThisRound) {
        // The agent: client of half its jobs, provider of most others, checker of the rest.
        const kind = serial % 20;
        if (kind < 10) jobs.push({ ...base, client: agent, provider: other });
        else if (kind < 19) jobs.push({ ...base, client: other, provider: agent });
        else jobs.push({ ...base, client: other, provider: third, stakers: [agent] });
      } else {
        jobs.push({
          ...base,
          client: other,
          provider: third,
          stakers:
            serial % 7 === 0
              ? [others[(serial + 5) % others.length] as Party].filter((p) => p !== other && p !== third)
              : [],
        });
      }
    }

    // Block 1: create and fund, last round's claims, direct payments both ways, now and then a failed call.
    const create: Tx[] = jobs.map((job) => ({
      from: job.client,
      to: deployed.escrow,
      data: encodeFunctionData({
        abi: jobEscrowAbi,
        functionName: "createAndFund",
        args: [
          {
            provider: job.provider.account.address,
            evaluator: deployed.evaluator,
            token: job.token,
            expiredAt: BigInt(time + 30 * DAY),
            evaluationPeriod: 0n,
            parentJobId: 0n,
            description: job.description,
            evaluatorData: "0x",
          },
          job.budget,
        ],
      }),
      value: job.token === zeroAddress ? job.budget : 0n,
      gas: 400_000n,
    }));
    for (const claim of pendingClaims) {
      create.push({
        from: claim.party,
        to: deployed.evaluator,
        data: encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [claim.jobId] }),
        gas: 200_000n,
      });
    }
    pendingClaims = [];
    const payer = others[round % others.length] as Party;
    create.push({ from: payer, to: agent.account.address, value: parseEther("0.0001") + BigInt(round), gas: 21_000n });
    create.push({ from: agent, to: payer.account.address, value: parseEther("0.00005") + BigInt(round), gas: 21_000n });
    if (round % 5 === 0) {
      create.push({
        from: agent,
        to: deployed.escrow,
        data: encodeFunctionData({ abi: jobEscrowAbi, functionName: "deliver", args: [10n ** 12n, "x"] }),
        gas: 80_000n,
      });
    }
    await mine(create, 10);

    // Job ids from the block's JobCreated logs, matched by description.
    const created = (await one("eth_getLogs", [
      { fromBlock: "latest", toBlock: "latest", address: deployed.escrow, topics: [JOB_CREATED] },
    ])) as {
      topics: Hex[];
      transactionHash: Hex;
    }[];
    const txs = (await rpc(
      created.map((entry) => ({ method: "eth_getTransactionByHash", params: [entry.transactionHash] })),
    )) as { input: Hex }[];
    const ids = new Map<string, bigint>();
    created.forEach((entry, index) => {
      const decoded = decodeFunctionData({ abi: jobEscrowAbi, data: (txs[index] as { input: Hex }).input });
      if (decoded.functionName === "createAndFund")
        ids.set(decoded.args[0].description, BigInt(entry.topics[1] as Hex));
    });
    for (const job of jobs) {
      job.id = ids.get(job.description);
      if (job.id === undefined) throw new Error(`job "${job.description}" was not created`);
    }

    // Block 2: deliveries. Block 3: pass stakes. Block 4: clients accept early.
    await mine(
      jobs.map((job) => ({
        from: job.provider,
        to: deployed.escrow,
        data: encodeFunctionData({
          abi: jobEscrowAbi,
          functionName: "deliver",
          args: [job.id as bigint, `done ${job.description}`],
        }),
        gas: 200_000n,
      })),
      10,
    );
    const stakes: Tx[] = jobs.flatMap((job) =>
      job.stakers.map((staker) => {
        const amount = job.budget / 50n + 1n;
        return {
          from: staker,
          to: deployed.evaluator,
          data: encodeFunctionData({
            abi: stakedEvaluatorAbi,
            functionName: "stake",
            args: [job.id as bigint, true, amount],
          }),
          value: job.token === zeroAddress ? amount : 0n,
          gas: 250_000n,
        };
      }),
    );
    if (stakes.length > 0) await mine(stakes, 10);
    await mine(
      jobs.map((job) => ({
        from: job.client,
        to: deployed.evaluator,
        data: encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "approve", args: [job.id as bigint] }),
        gas: 300_000n,
      })),
      roundSeconds - 30,
    );
    for (const job of jobs)
      for (const staker of job.stakers) pendingClaims.push({ party: staker, jobId: job.id as bigint });
    if ((round + 1) % 20 === 0 || round === rounds - 1) {
      const seconds = (performance.now() - started) / 1000;
      console.error(
        `  round ${round + 1}/${rounds}: ${sentTotal} transactions in ${seconds.toFixed(0)} s (${Math.round(sentTotal / seconds)} tx/s)`,
      );
    }
  }
  if (pendingClaims.length > 0) {
    await mine(
      pendingClaims.map((claim) => ({
        from: claim.party,
        to: deployed.evaluator,
        data: encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [claim.jobId] }),
        gas: 200_000n,
      })),
      10,
    );
  }
  await one("evm_setAutomine", [true]);
  const toBlock = BigInt((await one("eth_blockNumber")) as string);
  const last = (await one("eth_getBlockByNumber", [`0x${toBlock.toString(16)}`, false])) as { hash: Hex };
  return {
    url,
    chainId,
    agent: agent.account.address,
    escrow: deployed.escrow,
    evaluator: deployed.evaluator,
    registry: deployed.registry,
    token,
    fromBlock: deployed.fromBlock.toString(),
    toBlock: toBlock.toString(),
    toBlockHash: last.hash,
    agentJobs,
    otherJobs,
    transactions: sentTotal,
    agentTransactions: agentSent,
    generationSeconds: (performance.now() - generationStarted) / 1000,
  };
}

// Last, once every constant above is initialised.
if (values.child) {
  await childAudit(values.child);
} else {
  await main();
}
