import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress, parseEther, type Address } from "viem";
import { readJob } from "../../src/chain/actions/readJob.js";
import { guildPaths } from "../../src/config/loadConfig.js";
import {
  delegate,
  guildEvents,
  hireSentence,
  named,
  queryDaemonState,
  startDaemonProcess,
  startTestGuild,
  waitFor,
  waitForJob,
  waitForJobDone,
  type DaemonHandle,
  type GuildEvent,
  type TestGuild,
} from "./support.js";

// Crashes, restarts, signals and an RPC outage, with every daemon a real `guild start` process that reaches the
// Hardhat node through a proxy the test can take down. alice is the client (driven through her control API), bob
// the worker, carol and dave the checkers. A pause injected through the daemon's `beforeAction` hook (the test-only
// entry point fixtures/guildWithPauses.ts) holds a daemon just before an action so that a kill lands exactly there.
const BUDGET = parseEther("0.002");
const BOND = BUDGET / 2n;
const ARGS: Record<string, string[]> = {
  alice: ["--roles", "client"],
  bob: ["--roles", "worker", "--skills", "word-count", "--price", "0.001"],
  carol: ["--roles", "checker", "--skills", "word-count", "--stake-percent", "25"],
  dave: ["--roles", "checker", "--skills", "word-count", "--stake-percent", "15"],
};

let guild: TestGuild;
const daemon: Record<string, DaemonHandle> = {};
const at = (name: string): Address => guild.address(name);
const blockNumber = () => guild.connection.publicClient.getBlockNumber();
const start = async (name: string, pauseBefore?: string) => {
  daemon[name] = await startDaemonProcess(guild, name, ARGS[name]!, pauseBefore ? { pauseBefore } : {});
  return daemon[name]!;
};
const pausedBefore = (action: string) => new RegExp(`"action":"${action}".*test pause before an action`);
const stakesOf = (events: GuildEvent[], name: string) => named(events, "Staked", "staker", at(name));
const claimsOf = (events: GuildEvent[], name: string) => named(events, "StakeClaimed", "staker", at(name));
const failedItems = (name: string) =>
  queryDaemonState<{ key: string; detail: string }>(
    guild,
    name,
    "SELECT key, detail FROM work_items WHERE status = 'failed'",
  );

beforeAll(async () => {
  guild = await startTestGuild({ wallets: Object.keys(ARGS), proxy: true });
  // dave will be held before claiming, to be killed there (first test).
  await Promise.all([start("alice"), start("bob"), start("carol"), start("dave", "claim:120000")]);
}, 180_000);

afterAll(async () => {
  await guild?.stop();
});

describe("daemon crashes, signals and outages", () => {
  it("kill -9 of checkers between staking and claiming: restarted after settlement, each claims once and never stakes again", async () => {
    const before = await blockNumber();
    await delegate(daemon.alice!, hireSentence("word-count", "kill the checkers", { windowSeconds: 10 }));
    const jobId = await waitForJob(guild, at("alice"), at("bob"), before);

    // carol dies right after her stake is mined, while the check window is still open.
    await waitFor(
      "carol's stake",
      async () => stakesOf(await guildEvents(guild, { jobId }), "carol").length > 0,
      30_000,
      50,
    );
    await daemon.carol!.kill9();
    expect(named(await guildEvents(guild, { jobId }), "CheckSettled")).toEqual([]);

    // dave is held just before his claim, after the check settled, and dies there.
    await daemon.dave!.waitForOutput(pausedBefore(`claim:${jobId}`), 60_000);
    await daemon.dave!.kill9();
    const settled = await guildEvents(guild, { jobId });
    expect(named(settled, "CheckSettled").map((e) => e.args.passed)).toEqual([true]);
    expect(claimsOf(settled, "carol")).toEqual([]);
    expect(claimsOf(settled, "dave")).toEqual([]);

    await Promise.all([start("carol"), start("dave")]);
    const events = await waitForJobDone(guild, jobId);
    for (const [name, stake] of [
      ["carol", (BUDGET * 25n) / 100n],
      ["dave", (BUDGET * 15n) / 100n],
    ] as const) {
      expect(stakesOf(events, name).map((e) => [e.args.pass, e.args.amount])).toEqual([[true, stake]]);
      expect(claimsOf(events, name).map((e) => [e.args.stake, e.args.amount])).toEqual([[stake, stake]]);
      expect(failedItems(name)).toEqual([]);
    }
    // Nothing more comes from them: a second stake or claim would be a transaction of theirs.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const later = await guildEvents(guild, { jobId });
    expect(stakesOf(later, "carol").length + stakesOf(later, "dave").length).toBe(2);
    expect(claimsOf(later, "carol").length + claimsOf(later, "dave").length).toBe(2);
  });

  it("a worker killed (kill -9) between accepting and delivering, then between delivering and bonding, then stopped (SIGTERM) while bonding: one delivery, one bond, paid", async () => {
    // A clean stop first (SIGTERM while idle), then bob comes back held before delivering.
    const idle = await daemon.bob!.terminate();
    expect([idle.code, idle.signal]).toEqual([0, null]);
    await start("bob", "deliver:120000");

    const before = await blockNumber();
    await delegate(daemon.alice!, hireSentence("word-count", "a worker that crashes twice", { windowSeconds: 25 }));
    const jobId = await waitForJob(guild, at("alice"), at("bob"), before);
    await daemon.bob!.waitForOutput(pausedBefore(`deliver:${jobId}`));
    await daemon.bob!.kill9();
    expect((await readJob(guild.reader, { jobId })).status).toBe("Funded");

    // Restarted, it delivers (the job is still Funded) and is held before its bond; killed again there.
    await start("bob", "bond:120000");
    await daemon.bob!.waitForOutput(pausedBefore(`bond:${jobId}`));
    await daemon.bob!.kill9();
    let events = await guildEvents(guild, { jobId });
    expect(named(events, "DeliverablePublished")).toHaveLength(1);
    expect(stakesOf(events, "bob")).toEqual([]);

    // Restarted again, it sees the delivery on chain and goes for the bond only; a SIGTERM while it is held
    // there lets it finish that bond, then it exits 0 and removes its daemon.json.
    await start("bob", "bond:2000");
    await daemon.bob!.waitForOutput(pausedBefore(`bond:${jobId}`));
    const drained = await daemon.bob!.terminate();
    expect([drained.code, drained.signal]).toEqual([0, null]);
    expect(drained.ms).toBeLessThan(10_000);
    expect(existsSync(join(guildPaths(guild.home).agent("bob"), "daemon.json"))).toBe(false);
    events = await guildEvents(guild, { jobId });
    expect(stakesOf(events, "bob").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, BOND]]);

    // Back once more to claim its bond after the check settles.
    await start("bob");
    events = await waitForJobDone(guild, jobId, 90_000);
    expect(named(events, "DeliverablePublished").map((e) => e.args.content)).toEqual(["5"]);
    expect(named(events, "JobSubmitted")).toHaveLength(1);
    expect(stakesOf(events, "bob").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, BOND]]);
    expect(named(events, "CheckSettled")[0]?.args).toMatchObject({ passed: true, bondPosted: BOND });
    expect(
      named(events, "PaymentReleased").map((e) => [getAddress(e.args.provider as Address), e.args.amount]),
    ).toEqual([[at("bob"), BUDGET]]);
    expect(claimsOf(events, "bob").map((e) => e.args.amount)).toEqual([BOND]);
    expect(failedItems("bob")).toEqual([]);
  });

  it("an RPC outage during a job: the daemons wait (health degraded), resume when the node is back (health ok), and the job completes", async () => {
    const proxy = guild.proxy!;
    const before = await blockNumber();
    await delegate(
      daemon.alice!,
      hireSentence("word-count", "the node goes away and comes back", { windowSeconds: 15 }),
    );
    const jobId = await waitForJob(guild, at("alice"), at("bob"), before, 60_000);
    await proxy.down();
    const downAt = Date.now();
    const stateAtOutage = await guildEvents(guild, { jobId });

    const names = ["alice", "bob", "carol", "dave"];
    const health = async (name: string) =>
      (await daemon[name]!.request("GET", "/health")).json<{ status: string }>().status;
    await waitFor(
      "every daemon to report degraded health",
      async () => (await Promise.all(names.map(health))).every((s) => s === "degraded"),
      20_000,
    );
    // Keep the node away a while longer: nobody may exit or give up meanwhile.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 4_000 - (Date.now() - downAt))));
    for (const name of names) expect({ name, running: daemon[name]!.running() }).toEqual({ name, running: true });
    expect((await guildEvents(guild, { jobId })).length).toBe(stateAtOutage.length);
    await proxy.up();

    const events = await waitForJobDone(guild, jobId, 90_000);
    expect(named(events, "DeliverablePublished")).toHaveLength(1);
    expect(stakesOf(events, "bob").map((e) => e.args.amount)).toEqual([BOND]);
    expect(named(events, "CheckSettled")[0]?.args.passed).toBe(true);
    expect(
      named(events, "PaymentReleased").map((e) => [getAddress(e.args.provider as Address), e.args.amount]),
    ).toEqual([[at("bob"), BUDGET]]);
    for (const name of ["carol", "dave"]) expect(stakesOf(events, name)).toHaveLength(1);
    await waitFor(
      "every daemon to report ok health",
      async () => (await Promise.all(names.map(health))).every((s) => s === "ok"),
      20_000,
    );
    for (const name of names) {
      expect({ name, running: daemon[name]!.running() }).toEqual({ name, running: true });
      expect(failedItems(name)).toEqual([]);
      const metrics = (await daemon[name]!.request("GET", "/metrics")).text;
      expect(Number(/^guild_rpc_errors_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    }
    // The check window is 15 s of chain time, which the embedded chain keeps to the wall clock.
  }, 150_000);
});
