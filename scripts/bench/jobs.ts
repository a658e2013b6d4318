/**
 * Full job lifecycles through real daemons on the HTTP Hardhat node, next to the node's raw transaction rate.
 *
 *   npm run bench:jobs [-- --workers 3 --checkers 2 --clients 4 --jobs 40 --window 900 --transfers 80]
 *
 * Starts a Hardhat node on a free port, deploys Guild, starts N worker and M checker daemons as child processes
 * (`guild start`, as users run them), and drives K clients from this process with the chain layer. L jobs are
 * hired at once (word-count, 0.002 ETH, bond 50%), spread round-robin over clients and workers; each is
 * delivered and bonded by its worker and staked on by every checker; then the clients settle and the daemons
 * claim their stakes.
 *
 * The check window is left out of the figures exactly: an automining node stamps every block at least one
 * second after its parent, so under load chain time runs many times faster than the wall clock and a "short"
 * window closes after a few blocks, not seconds. The window is therefore given in chain seconds, long enough to
 * stay open while the stakes arrive; once every job has its bond and all checkers' stakes, the chain clock is
 * moved past it (evm_increaseTime) and the clients settle. Latency per job is hire -> delivered plus
 * settle sent -> paid; a lifecycle is hire -> deliver -> stakes -> settle -> paid.
 *
 * The node's raw rate: P dev accounts each send T plain transfers (fixed gas, receipts awaited together),
 * all at once, with the daemons running and idle, before and after the jobs. The ratio compares Guild's
 * transactions per second during the job run (every transaction mined from the first hire to the last claim:
 * funding, deliveries, bonds, stakes, settlements, claims) with that rate. Resident memory (VmRSS) of each
 * daemon is sampled every 250 ms.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { createWalletClient, getAddress, parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
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

const { values } = parseArgs({
  options: {
    workers: { type: "string", default: "3" },
    checkers: { type: "string", default: "2" },
    clients: { type: "string", default: "4" },
    jobs: { type: "string", default: "40" },
    window: { type: "string", default: "" },
    transfers: { type: "string", default: "80" },
    senders: { type: "string", default: "5" },
  },
});
const N = positive(values.workers, "workers");
const M = positive(values.checkers, "checkers");
const K = positive(values.clients, "clients");
const L = positive(values.jobs, "jobs");
// Chain seconds: comfortably more than the blocks the run mines before the last stake (each >= 1 s).
const WINDOW = values.window ? positive(values.window, "window") : Math.max(900, L * (4 + M) * 2);
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
  const samples = new Map<string, Sample>(daemons.map((d) => [d.name, { peak: 0, last: 0 }]));
  const read = () => {
    for (const d of daemons) {
      try {
        const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${d.child.pid}/status`, "utf8"))?.[1] ?? 0);
        const sample = samples.get(d.name)!;
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
      await new Promise((resolve) => setTimeout(resolve, 20));
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
      const account = privateKeyToAccount(DEV_ACCOUNT_KEYS[1 + ((i + offset) % (DEV_ACCOUNT_KEYS.length - 1))]!);
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

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index]!;
}

const WORDS = "agents hire each other and a staked check decides who gets paid for the work".split(" ");
function randomInput(i: number): string {
  return Array.from({ length: 3 + (i % 9) }, (_, n) => WORDS[(i * 7 + n * 3) % WORDS.length]).join(" ");
}

async function main(): Promise<void> {
  const workers = Array.from({ length: N }, (_, i) => `worker${i + 1}`);
  const checkers = Array.from({ length: M }, (_, i) => `checker${i + 1}`);
  log(`starting a Hardhat node, deploying Guild, creating ${N + M} daemon wallets`);
  const guild = await startTestGuild({ wallets: [...workers, ...checkers] });
  const daemons: DaemonHandle[] = [];
  let memory: ReturnType<typeof sampleMemory> | undefined;
  let blocks: ReturnType<typeof watchBlocks> | undefined;
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
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Warm the node up (its first transactions of a kind are slower), then measure.
    await rawRate(guild, 2, 20);
    log(`raw rate: ${SENDERS} accounts x ${TRANSFERS} plain transfers at once`);
    const rawBefore = await rawRate(guild, 4);
    log(`raw rate before the jobs: ${rawBefore.toFixed(0)} tx/s`);

    const memoryIdle = new Map([...memory.samples].map(([name, sample]) => [name, sample.last]));
    for (const sample of memory.samples.values()) sample.peak = sample.last;
    blocks = watchBlocks(guild);
    const startBlock = await guild.connection.publicClient.getBlockNumber();
    await new Promise((resolve) => setTimeout(resolve, 100));

    log(`hiring: ${L} jobs at once from ${K} clients over ${N} workers (check window ${WINDOW} chain seconds)`);
    const runStart = performance.now();
    const hires = await Promise.all(
      Array.from({ length: L }, async (_, i) => {
        const client = clients[i % K]!;
        const provider = guild.address(workers[i % N]!);
        const hireAt = performance.now();
        const { jobId } = await createAndFundJob(client, {
          provider,
          budget: BUDGET,
          description: encodeJobSpec({ skill: "word-count", input: randomInput(i) }),
          deadlineSeconds: BigInt(WINDOW + 3_600),
          check: { windowSeconds: BigInt(WINDOW), bondBps: 5_000n },
        });
        return { jobId, client, hireAt };
      }),
    );
    const jobIds = new Set(hires.map((hire) => hire.jobId));

    log("waiting for every delivery, bond and checker stake");
    const checkerAddresses = checkers.map((name) => guild.address(name));
    let events: GuildEvent[] = [];
    const ready = (jobId: bigint, list: GuildEvent[]) => {
      const stakers = new Set(
        list
          .filter((e) => e.eventName === "Staked" && e.args.jobId === jobId)
          .map((e) => getAddress(e.args.staker as Address)),
      );
      return stakers.size >= 1 + M && checkerAddresses.every((a) => stakers.has(a));
    };
    const readyDeadline = performance.now() + 180_000;
    for (;;) {
      events = await guildEvents(guild, { afterBlock: startBlock });
      const waiting = [...jobIds].filter((jobId) => !ready(jobId, events));
      if (waiting.length === 0) break;
      if (performance.now() > readyDeadline) {
        log(`gave up waiting for ${waiting.length} jobs' stakes; settling what there is`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const stakedAt = performance.now();

    log(
      `every job staked after ${((stakedAt - runStart) / 1000).toFixed(1)} s; moving the chain clock past the check window`,
    );
    await guild.connection.publicClient.request({ method: "evm_increaseTime" as never, params: [WINDOW + 1] as never });
    await guild.connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    const settleSent = new Map<bigint, number>();
    const settleErrors: string[] = [];
    await Promise.all(
      hires.map(async ({ jobId, client }) => {
        settleSent.set(jobId, performance.now());
        await settleCheck(client, { jobId }).catch((error: unknown) =>
          settleErrors.push(`job ${jobId}: ${error instanceof Error ? error.message : String(error)}`),
        );
      }),
    );

    log("settled; waiting for the daemons to claim every stake");
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
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const endBlock = await guild.connection.publicClient.getBlockNumber();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await blocks.stop();
    memory.read();
    const memoryRun = new Map([...memory.samples].map(([name, sample]) => [name, { ...sample }]));

    log("raw rate again, after the jobs");
    const rawAfter = await rawRate(guild, 0);

    // Figures, from the chain's events and the wall times their blocks were first seen.
    const byJob = (name: string, jobId: bigint) => events.filter((e) => e.eventName === name && e.args.jobId === jobId);
    const latencies: number[] = [];
    const toDelivered: number[] = [];
    const toPaid: number[] = [];
    let paid = 0;
    let lastPaid = runStart;
    for (const hire of hires) {
      const delivered = byJob("DeliverablePublished", hire.jobId)[0];
      const payment = byJob("PaymentReleased", hire.jobId)[0];
      if (!delivered || !payment) continue;
      paid++;
      const deliveredAt = blocks.at(delivered.blockNumber);
      const paidAt = blocks.at(payment.blockNumber);
      lastPaid = Math.max(lastPaid, paidAt);
      toDelivered.push(deliveredAt - hire.hireAt);
      toPaid.push(paidAt - settleSent.get(hire.jobId)!);
      latencies.push(deliveredAt - hire.hireAt + (paidAt - settleSent.get(hire.jobId)!));
    }
    const lastClaimAt = blocks.at(endBlock);
    let guildTxs = 0;
    for (let n = startBlock + 1n; n <= endBlock; n++) {
      guildTxs += (await guild.connection.publicClient.getBlockTransactionCount({ blockNumber: n })) ?? 0;
    }
    const runSeconds = (lastClaimAt - runStart) / 1000;
    const guildRate = guildTxs / runSeconds;
    const rawMean = (rawBefore + rawAfter) / 2;
    const lifecycleSeconds = (lastPaid - runStart) / 1000;

    const perDaemon = daemons.map((d) => {
      const address = guild.address(d.name);
      const actions = events.filter((e) =>
        workers.includes(d.name)
          ? e.eventName === "DeliverablePublished" &&
            jobIds.has(e.args.jobId as bigint) &&
            byProvider(events, e.args.jobId as bigint) === address
          : e.eventName === "Staked" && getAddress(e.args.staker as Address) === address,
      ).length;
      const failed = queryDaemonState<{ n: number }>(
        guild,
        d.name,
        "SELECT COUNT(*) AS n FROM work_items WHERE status = 'failed'",
      )[0]!.n;
      const sample = memoryRun.get(d.name)!;
      return {
        name: d.name,
        role: workers.includes(d.name) ? "worker" : "checker",
        actions,
        failed,
        idle: memoryIdle.get(d.name)!,
        peak: sample.peak,
        end: sample.last,
        alive: d.running(),
      };
    });

    const ms = (value: number) => `${value.toFixed(0)} ms`;
    const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;
    const out: string[] = [];
    out.push(`## bench:jobs — ${L} jobs, ${N} workers, ${M} checkers, ${K} clients on the HTTP Hardhat node`, "");
    out.push(
      `Parameters: ${L} word-count jobs hired at once, budget 0.002 ETH, bond 50%, checker stake 20%; check window ${WINDOW} chain seconds, ` +
        `skipped with evm_increaseTime once every job was staked (see the header of scripts/bench/jobs.ts); raw rate from ${SENDERS} accounts x ${TRANSFERS} transfers. ` +
        `Node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim() ?? "unknown"}), node at ${guild.node.url}.`,
      "",
    );
    out.push("| metric | value |", "| --- | ---: |");
    out.push(`| jobs paid / hired | ${paid} / ${L} |`);
    out.push(
      `| full lifecycles per second (hire -> deliver -> stakes -> settle -> paid; first hire to last payment, ${lifecycleSeconds.toFixed(1)} s) | ${(paid / lifecycleSeconds).toFixed(2)} |`,
    );
    out.push(
      `| median latency hire -> paid, check window excluded (hire -> delivered + settle -> paid) | ${ms(quantile(latencies, 0.5))} |`,
    );
    out.push(`| p90 latency, same measure | ${ms(quantile(latencies, 0.9))} |`);
    out.push(`| median hire -> delivered | ${ms(quantile(toDelivered, 0.5))} |`);
    out.push(`| median settle sent -> paid | ${ms(quantile(toPaid, 0.5))} |`);
    out.push(`| time to every bond and stake (all ${L} jobs) | ${((stakedAt - runStart) / 1000).toFixed(1)} s |`);
    out.push(`| Guild transactions in the run (first hire to last claim, ${runSeconds.toFixed(1)} s) | ${guildTxs} |`);
    out.push(`| Guild transactions per second | ${guildRate.toFixed(1)} |`);
    out.push(
      `| node raw rate, plain transfers (before / after the jobs) | ${rawBefore.toFixed(0)} / ${rawAfter.toFixed(0)} tx/s |`,
    );
    out.push(
      `| ratio Guild tx/s : raw tx/s (mean of before and after) | ${(guildRate / rawMean).toFixed(2)} (${((guildRate / rawMean) * 100).toFixed(0)}%) |`,
    );
    out.push("");
    out.push(
      "| daemon | role | deliveries or stakes | failed work items | RSS idle | peak RSS in the run | RSS at the end | running |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    );
    for (const d of perDaemon)
      out.push(
        `| ${d.name} | ${d.role} | ${d.actions} | ${d.failed} | ${mb(d.idle)} | ${mb(d.peak)} | ${mb(d.end)} | ${d.alive ? "yes" : "NO"} |`,
      );
    if (settleErrors.length > 0) out.push("", `Settle errors: ${settleErrors.slice(0, 5).join("; ")}`);
    process.stdout.write(`${out.join("\n")}\n`);
    if (paid < L || perDaemon.some((d) => !d.alive || d.failed > 0)) process.exitCode = 1;
  } finally {
    memory?.stop();
    await blocks?.stop();
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
