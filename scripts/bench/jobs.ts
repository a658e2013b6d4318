/**
 * Full job lifecycles through real daemons on the HTTP Hardhat node, next to the node's raw transaction rate.
 *
 *   npm run bench:jobs [-- --workers 3 --checkers 2 --clients 4 --jobs 40 --window 60 --transfers 80]
 *
 * Starts a Hardhat node on a free port, deploys Guild, starts N worker and M checker daemons as child processes
 * (`guild start`, as users run them), and drives K clients from this process with the chain layer. L jobs are
 * hired at once (word-count, 0.002 ETH, bond 50%), spread round-robin over clients and workers; each is
 * delivered and bonded by its worker and staked on by every checker; then the check is settled (by whichever party
 * it pays: the worker's daemon for a pass, or this script's client, which also tries as soon as the window has
 * closed and finds it settled when a daemon was first) and the daemons claim their stakes. The daemons run as they
 * always do: only when the window ends differs between the runs.
 *
 * Two runs of L jobs, one after the other, each timed from hire to payment (hire -> deliver -> bond and stakes
 * -> settled and paid, one transaction):
 * - check window as configured (--window chain seconds; the embedded chain keeps chain time to the wall clock):
 *   each client settles its job as soon as the window has closed;
 * - check window skipped: the window is made long enough to stay open while the stakes arrive, then, once every
 *   job has its bond and all checkers' stakes, the chain clock is moved past it (evm_increaseTime) and the
 *   clients settle. This measures Guild's own work without the waiting a window imposes by design.
 *
 * The node's raw rate: P dev accounts each send T plain transfers (fixed gas, receipts awaited together),
 * all at once, with the daemons running and idle, before and after the jobs. The ratio compares Guild's
 * transactions per second during the skipped-window run (every transaction mined from the first hire to the
 * last claim: funding, deliveries, bonds, stakes, settlements, claims) with that rate. Resident memory (VmRSS)
 * of each daemon is sampled every 250 ms.
 */
import { readFileSync } from "node:fs";
import { setTimeout } from "node:timers/promises";
import os from "node:os";
import { parseArgs } from "node:util";
import { createWalletClient, getAddress, parseEther, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
import { ContractRevertedError } from "../../src/errors/transaction.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";
import { fundFromDevAccount } from "../../src/wallet/fundFromDevAccount.js";
import {
  guildEvents,
  queryDaemonState,
  startDaemonProcess,
  startTestGuild,
  type DaemonHandle,
  type GuildEvent,
  type TestGuild,
} from "../../test/daemon/support.js";
import { median, quantile } from "./stats.js";

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "3" },
    checkers: { type: "string", default: "2" },
    clients: { type: "string", default: "4" },
    jobs: { type: "string", default: "40" },
    window: { type: "string", default: "60" },
    transfers: { type: "string", default: "80" },
    senders: { type: "string", default: "5" },
  },
});
const N = positive(values.workers, "workers");
const M = positive(values.checkers, "checkers");
const K = positive(values.clients, "clients");
const L = positive(values.jobs, "jobs");
/** The check window of the first run, in chain seconds. */
const WINDOW = positive(values.window, "window");
/** The skipped run's window: open however long the stakes take; the clock jumps past it once they are in. */
const SKIPPED_WINDOW = Math.max(3_600, L * (4 + M) * 2);
const TRANSFERS = positive(values.transfers, "transfers");
const SENDERS = Math.min(positive(values.senders, "senders"), DEV_ACCOUNT_KEYS.length - 1);
const BUDGET = parseEther("0.002");

const log = (line: string) =>
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}\n`);
const t0 = performance.now();

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive whole number, not "${text}"\n`);
    process.exit(2);
  }
  return value;
}

type Sample = { peak: number; last: number };

/** Samples each daemon's VmRSS (kB) every 250 ms. */
function sampleMemory(daemons: DaemonHandle[]) {
  const samples = new Map<string, Sample>();
  const tracked = daemons.map((d) => {
    const sample = { peak: 0, last: 0 };
    samples.set(d.name, sample);
    return { d, sample };
  });
  const read = () => {
    for (const { d, sample } of tracked) {
      try {
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.child.pid}/status`, "utf8"))?.[1] ?? 0);
        sample.last = kb;
        sample.peak = Math.max(sample.peak, kb);
      } catch {
        // the process is gone
      }
    }
  };
  read();
  const timer = setInterval(read, 250);
  return { samples, stop: () => clearInterval(timer), read };
}

/** First wall time (performance.now) each block number was seen, polled every 20 ms. */
function watchBlocks(guild: TestGuild) {
  const seen = new Map<bigint, number>();
  let highest = -1n;
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      try {
        const number = await guild.connection.publicClient.getBlockNumber({ cacheTime: 0 });
        const now = performance.now();
        for (let n = highest + 1n; n <= number; n++) seen.set(n, now);
        if (number > highest) highest = number;
      } catch {
        // keep polling
      }
      await setTimeout(20);
    }
  })();
  return {
    at: (block: bigint) => {
      const time = seen.get(block);
      if (time === undefined) throw new Error(`block ${block} was never seen`);
      return time;
    },
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** P dev accounts send T plain transfers each, all at once; transactions per second over the whole burst. */
async function rawRate(guild: TestGuild, offset: number, transfers = TRANSFERS): Promise<number> {
  const { connection } = guild;
  const to = privateKeyToAccount(DEV_ACCOUNT_KEYS[0]).address;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: SENDERS }, async (_, i) => {
      const [, ...senders] = DEV_ACCOUNT_KEYS;
      const account = privateKeyToAccount(senders[(i + offset) % senders.length] as Hex);
      const wallet = createWalletClient({ account, chain: connection.chain, transport: connection.transport });
      let nonce = await connection.publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
      const waits: Promise<unknown>[] = [];
      for (let n = 0; n < transfers; n++) {
        const hash = await wallet.sendTransaction({ to, value: 1n, gas: 21_000n, nonce: nonce++ });
        waits.push(connection.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 }));
      }
      await Promise.all(waits);
    }),
  );
  return (SENDERS * transfers) / ((performance.now() - start) / 1000);
}

const WORDS = "agents hire each other and a staked check decides who gets paid for the work".split(" ");
function randomInput(i: number): string {
  return Array.from({ length: 3 + (i % 9) }, (_, n) => WORDS[(i * 7 + n * 3) % WORDS.length]).join(" ");
}

type Hire = { jobId: bigint; client: GuildClient; hireAt: number };

/** One run of L jobs: per-job wall times of each step, and Guild's transactions over the run. */
type BatchResult = {
  label: string;
  window: number;
  hired: number;
  paid: number;
  hireToPaid: number[];
  hireToDelivered: number[];
  deliveredToStaked: number[];
  stakedToSettled: number[];
  lifecycleSeconds: number;
  runSeconds: number;
  guildTxs: number;
  settleErrors: string[];
  jobIds: Set<bigint>;
  events: GuildEvent[];
};

async function runBatch(
  guild: TestGuild,
  clients: GuildClient[],
  workers: string[],
  checkers: string[],
  { window, skip, offset }: { window: number; skip: boolean; offset: number },
): Promise<BatchResult> {
  const label = skip ? "check window skipped" : `check window as configured (${window} s)`;
  const blocks = watchBlocks(guild);
  try {
    const startBlock = await guild.connection.publicClient.getBlockNumber();
    await setTimeout(100);
    log(`${label}: hiring ${L} jobs at once from ${K} clients over ${N} workers`);
    const runStart = performance.now();
    const hires: Hire[] = await Promise.all(
      Array.from({ length: L }, async (_, i) => {
        const client = clients[i % K] as GuildClient;
        const provider = guild.address(workers[i % N] as string);
        const hireAt = performance.now();
        const { jobId } = await createAndFundJob(client, {
          provider,
          budget: BUDGET,
          description: encodeJobSpec({ skill: "word-count", input: randomInput(offset + i) }),
          deadlineSeconds: BigInt(window + 3_600),
          check: { windowSeconds: BigInt(window), bondBps: 5_000n },
        });
        return { jobId, client, hireAt };
      }),
    );
    const jobIds = new Set(hires.map((hire) => hire.jobId));

    const checkerAddresses = checkers.map((name) => guild.address(name));
    const ready = (jobId: bigint, list: GuildEvent[]) => {
      const stakers = new Set(
        list
          .filter((e) => e.eventName === "Staked" && e.args.jobId === jobId)
          .map((e) => getAddress(e.args.staker as Address)),
      );
      return stakers.size >= 1 + M && checkerAddresses.every((a) => stakers.has(a));
    };
    const settleErrors: string[] = [];
    const settle = async ({ jobId, client }: Hire) => {
      // With the window as configured, a settle before it closes reverts: ask again every half second.
      const deadline = performance.now() + (window + 180) * 1000;
      for (;;) {
        try {
          await settleCheck(client, { jobId });
          return;
        } catch (error) {
          // Every party the outcome pays settles at the close: a daemon that was first is not an error, whether our
          // settle then failed in simulation or at the send.
          if ((await readJob(client, { jobId })).check?.verdict !== "None") return;
          const open = error instanceof ContractRevertedError && error.errorName === "EvaluatorWindowOpen";
          if (!open || performance.now() > deadline) {
            settleErrors.push(`job ${jobId}: ${error instanceof Error ? error.message : String(error)}`);
            return;
          }
          await setTimeout(500);
        }
      }
    };

    log(`${label}: waiting for every delivery, bond and checker stake`);
    const stakedAt = new Map<bigint, number>();
    const settling: Promise<void>[] = [];
    let events: GuildEvent[] = [];
    const readyDeadline = performance.now() + 180_000;
    for (;;) {
      events = await guildEvents(guild, { afterBlock: startBlock });
      for (const hire of hires) {
        if (stakedAt.has(hire.jobId) || !ready(hire.jobId, events)) continue;
        stakedAt.set(hire.jobId, performance.now());
        if (!skip) settling.push(settle(hire));
      }
      if (stakedAt.size === hires.length) break;
      if (performance.now() > readyDeadline) {
        log(`${label}: gave up waiting for ${hires.length - stakedAt.size} jobs' stakes; settling what there is`);
        break;
      }
      await setTimeout(50);
    }
    if (skip) {
      log(`${label}: every job staked; moving the chain clock past the check window`);
      await guild.connection.publicClient.request({
        method: "evm_increaseTime" as never,
        params: [window + 1] as never,
      });
      await guild.connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
      settling.push(...hires.map(settle));
    } else {
      log(`${label}: every job staked; settling each as its window closes`);
    }
    await Promise.all(settling);

    log(`${label}: settled; waiting for the daemons to claim every stake`);
    const claimDeadline = performance.now() + 120_000;
    for (;;) {
      events = await guildEvents(guild, { afterBlock: startBlock });
      const open = events.filter(
        (e) =>
          e.eventName === "Staked" &&
          jobIds.has(e.args.jobId as bigint) &&
          !events.some(
            (c) =>
              c.eventName === "StakeClaimed" &&
              c.args.jobId === e.args.jobId &&
              getAddress(c.args.staker as Address) === getAddress(e.args.staker as Address),
          ),
      );
      if (open.length === 0 || performance.now() > claimDeadline) break;
      await setTimeout(50);
    }
    const endBlock = await guild.connection.publicClient.getBlockNumber();
    await setTimeout(100);
    await blocks.stop();

    // Figures, from the chain's events and the wall times their blocks were first seen.
    const byJob = (name: string, jobId: bigint) => events.filter((e) => e.eventName === name && e.args.jobId === jobId);
    const result: BatchResult = {
      label,
      window,
      hired: hires.length,
      paid: 0,
      hireToPaid: [],
      hireToDelivered: [],
      deliveredToStaked: [],
      stakedToSettled: [],
      lifecycleSeconds: 0,
      runSeconds: 0,
      guildTxs: 0,
      settleErrors,
      jobIds,
      events,
    };
    let lastPaid = runStart;
    for (const hire of hires) {
      const [delivered] = byJob("DeliverablePublished", hire.jobId);
      const [payment] = byJob("PaymentReleased", hire.jobId);
      const staked = stakedAt.get(hire.jobId);
      if (!delivered || !payment || staked === undefined) continue;
      result.paid++;
      const deliveredAt = blocks.at(delivered.blockNumber);
      const paidAt = blocks.at(payment.blockNumber);
      lastPaid = Math.max(lastPaid, paidAt);
      result.hireToPaid.push(paidAt - hire.hireAt);
      result.hireToDelivered.push(deliveredAt - hire.hireAt);
      result.deliveredToStaked.push(staked - deliveredAt);
      // The payment is made by the settle transaction itself.
      result.stakedToSettled.push(paidAt - staked);
    }
    for (let n = startBlock + 1n; n <= endBlock; n++) {
      result.guildTxs += (await guild.connection.publicClient.getBlockTransactionCount({ blockNumber: n })) ?? 0;
    }
    result.lifecycleSeconds = (lastPaid - runStart) / 1000;
    result.runSeconds = (blocks.at(endBlock) - runStart) / 1000;
    return result;
  } finally {
    await blocks.stop();
  }
}

async function main(): Promise<void> {
  const workers = Array.from({ length: N }, (_, i) => `worker${i + 1}`);
  const checkers = Array.from({ length: M }, (_, i) => `checker${i + 1}`);
  log(`starting a Hardhat node, deploying Guild, creating ${N + M} daemon wallets`);
  const guild = await startTestGuild({ wallets: [...workers, ...checkers] });
  const daemons: DaemonHandle[] = [];
  let memory: ReturnType<typeof sampleMemory> | undefined;
  try {
    log(`node at ${guild.node.url}; starting ${N} worker and ${M} checker daemons`);
    const started = await Promise.all([
      ...workers.map((name) =>
        startDaemonProcess(guild, name, ["--roles", "worker", "--skills", "word-count", "--price", "0.001"]),
      ),
      ...checkers.map((name) =>
        startDaemonProcess(guild, name, ["--roles", "checker", "--skills", "word-count", "--stake-percent", "20"]),
      ),
    ]);
    daemons.push(...started);
    memory = sampleMemory(daemons);

    const clients: GuildClient[] = [];
    for (let i = 0; i < K; i++) {
      const account = privateKeyToAccount(generatePrivateKey());
      await fundFromDevAccount({ rpcUrl: guild.node.url, address: account.address, nativeTarget: parseEther("100") });
      clients.push(createGuildClient(guild.reader, { account }));
    }
    // Let every daemon settle into its idle polling before measuring anything.
    await setTimeout(1_000);

    // Warm the node up (its first transactions of a kind are slower), then measure.
    await rawRate(guild, 2, 20);
    log(`raw rate: ${SENDERS} accounts x ${TRANSFERS} plain transfers at once`);
    const rawBefore = await rawRate(guild, 4);
    log(`raw rate before the jobs: ${rawBefore.toFixed(0)} tx/s`);

    const memoryIdle = new Map([...memory.samples].map(([name, sample]) => [name, sample.last]));
    for (const sample of memory.samples.values()) sample.peak = sample.last;

    const configured = await runBatch(guild, clients, workers, checkers, { window: WINDOW, skip: false, offset: 0 });
    const skipped = await runBatch(guild, clients, workers, checkers, {
      window: SKIPPED_WINDOW,
      skip: true,
      offset: L,
    });
    memory.read();
    const memoryRun = new Map([...memory.samples].map(([name, sample]) => [name, { ...sample }]));

    log("raw rate again, after the jobs");
    const rawAfter = await rawRate(guild, 0);
    const rawMean = (rawBefore + rawAfter) / 2;
    const guildRate = skipped.guildTxs / skipped.runSeconds;

    const perDaemon = daemons.map((d) => {
      const address = guild.address(d.name);
      const events = [...configured.events, ...skipped.events];
      const jobIds = new Set([...configured.jobIds, ...skipped.jobIds]);
      const actions = events.filter((e) =>
        workers.includes(d.name)
          ? e.eventName === "DeliverablePublished" &&
            jobIds.has(e.args.jobId as bigint) &&
            byProvider(events, e.args.jobId as bigint) === address
          : e.eventName === "Staked" && getAddress(e.args.staker as Address) === address,
      ).length;
      const [failed] = queryDaemonState<{ n: number }>(
        guild,
        d.name,
        "SELECT COUNT(*) AS n FROM work_items WHERE status = 'failed'",
      );
      const sample = memoryRun.get(d.name) ?? { peak: 0, last: 0 };
      return {
        name: d.name,
        role: workers.includes(d.name) ? "worker" : "checker",
        actions,
        failed: failed?.n ?? 0,
        idle: memoryIdle.get(d.name) ?? 0,
        peak: sample.peak,
        end: sample.last,
        alive: d.running(),
      };
    });

    const ms = (value: number) => `${value.toFixed(0)} ms`;
    const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
    const both = (pick: (run: BatchResult) => string) => `${pick(configured)} | ${pick(skipped)}`;
    const out: string[] = [];
    out.push(
      `## bench:jobs — ${L} jobs per run, ${N} workers, ${M} checkers, ${K} clients on the HTTP Hardhat node`,
      "",
    );
    out.push(
      `Parameters: ${L} word-count jobs hired at once per run, budget 0.002 ETH, bond 50%, checker stake 20%. Run 1: check window ${WINDOW} chain seconds, each job settled as soon as its window closed. ` +
        `Run 2: the window skipped with evm_increaseTime once every job was staked (see the header of scripts/bench/jobs.ts). Raw rate from ${SENDERS} accounts x ${TRANSFERS} transfers. ` +
        `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "unknown"}), load average ${os
          .loadavg()
          .map((value) => value.toFixed(1))
          .join(" ")}, node at ${guild.node.url}.`,
      "",
    );
    out.push(`| metric | ${configured.label} | ${skipped.label} |`, "| --- | ---: | ---: |");
    out.push(`| jobs paid / hired | ${both((run) => `${run.paid} / ${run.hired}`)} |`);
    out.push(`| median hire -> paid (full lifecycle) | ${both((run) => ms(median(run.hireToPaid)))} |`);
    out.push(`| p90 hire -> paid | ${both((run) => ms(quantile(run.hireToPaid, 0.9)))} |`);
    out.push(`| of which: median hire -> delivered | ${both((run) => ms(median(run.hireToDelivered)))} |`);
    out.push(
      `| of which: median delivered -> bond and every stake in | ${both((run) => ms(median(run.deliveredToStaked)))} |`,
    );
    out.push(
      `| of which: median staked -> settled and paid (the window, or every other job's stakes) | ${both((run) => ms(median(run.stakedToSettled)))} |`,
    );
    out.push(
      `| full lifecycles per second (first hire to last payment) | ${both((run) => `${(run.paid / run.lifecycleSeconds).toFixed(2)} (${run.lifecycleSeconds.toFixed(1)} s)`)} |`,
    );
    out.push(
      `| Guild transactions (first hire to last claim) | ${both((run) => `${run.guildTxs} in ${run.runSeconds.toFixed(1)} s`)} |`,
    );
    out.push(`| Guild transactions per second | ${both((run) => (run.guildTxs / run.runSeconds).toFixed(1))} |`);
    out.push("");
    out.push(
      `Node raw rate, plain transfers (before / after the jobs): ${rawBefore.toFixed(0)} / ${rawAfter.toFixed(0)} tx/s; ` +
        `ratio Guild tx/s (window skipped) : raw tx/s (mean) = ${(guildRate / rawMean).toFixed(2)} (${((guildRate / rawMean) * 100).toFixed(0)}%).`,
      "",
    );
    out.push(
      "| daemon | role | deliveries or stakes | failed work items | RSS idle | peak RSS in the runs | RSS at the end | running |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const d of perDaemon)
      out.push(
        `| ${d.name} | ${d.role} | ${d.actions} | ${d.failed} | ${mb(d.idle)} | ${mb(d.peak)} | ${mb(d.end)} | ${d.alive ? "yes" : "NO"} |`,
      );
    const settleErrors = [...configured.settleErrors, ...skipped.settleErrors];
    if (settleErrors.length > 0) out.push("", `Settle errors: ${settleErrors.slice(0, 5).join("; ")}`);
    process.stdout.write(`${out.join("\n")}\n`);
    if (configured.paid < L || skipped.paid < L || perDaemon.some((d) => !d.alive || d.failed > 0))
      process.exitCode = 1;
  } finally {
    memory?.stop();
    await Promise.all(daemons.map((d) => d.terminate()));
    await guild.stop();
  }
}

function byProvider(events: GuildEvent[], jobId: bigint): Address | undefined {
  const created = events.find((e) => e.eventName === "JobCreated" && e.args.jobId === jobId);
  return created ? getAddress(created.args.provider as Address) : undefined;
}

try {
  await main();
} catch (error) {
  process.stderr.write(
    `bench:jobs failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
}
