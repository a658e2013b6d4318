import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress, isAddressEqual, parseEther, zeroAddress, type Address } from "viem";
import { guildPaths } from "../../src/config/loadConfig.js";
import {
  balanceAccounts,
  delegate,
  expectedClaims,
  guildEvents,
  hireSentence,
  named,
  queryDaemonState,
  senderOf,
  startDaemonProcess,
  startTestGuild,
  waitFor,
  waitForJob,
  waitForJobDone,
  type DaemonHandle,
  type GuildEvent,
  type TestGuild,
} from "./support.js";

// End-to-end: six daemons as real `guild start` processes on one Hardhat node. alice and erin are clients
// driven through their control API; bob sells word-count honestly, mallory sells sort and delivers wrong
// results; carol and dave check both for a stake.
const WINDOW_SECONDS = 8;
const BUDGET = parseEther("0.002");
const BOND = BUDGET / 2n; // "bond 50%"

const DAEMONS: Record<string, string[]> = {
  alice: ["--roles", "client"],
  erin: ["--roles", "client"],
  bob: ["--roles", "worker", "--skills", "word-count", "--price", "0.001"],
  mallory: ["--roles", "worker", "--skills", "sort", "--price", "0.001", "--deliver-wrong"],
  carol: ["--roles", "checker", "--skills", "word-count,sort", "--stake-percent", "25"],
  dave: ["--roles", "checker", "--skills", "word-count,sort", "--stake-percent", "15"],
};

let guild: TestGuild;
const daemon: Record<string, DaemonHandle> = {};
const at = (name: string): Address => guild.address(name);
const blockNumber = () => guild.connection.publicClient.getBlockNumber();
const stakeOf = (events: GuildEvent[], name: string) => named(events, "Staked", "staker", at(name));
const claimOf = (events: GuildEvent[], name: string) => named(events, "StakeClaimed", "staker", at(name));

beforeAll(async () => {
  guild = await startTestGuild({ wallets: Object.keys(DAEMONS) });
  await Promise.all(
    Object.entries(DAEMONS).map(async ([name, args]) => {
      daemon[name] = await startDaemonProcess(guild, name, args);
    }),
  );
}, 180_000);

afterAll(async () => {
  await guild?.stop();
});

describe("daemons as child processes", () => {
  it("the control API answers 401 without the right token and changes nothing", async () => {
    const alice = daemon.alice!;
    const nonceBefore = await guild.connection.publicClient.getTransactionCount({ address: at("alice") });
    const tasksBefore = queryDaemonState<{ n: number }>(guild, "alice", "SELECT COUNT(*) AS n FROM tasks")[0]!.n;
    const blockBefore = await blockNumber();
    const task = hireSentence("word-count", "one two three", { windowSeconds: WINDOW_SECONDS });
    const routes: [string, string, unknown?][] = [
      ["GET", "/health"],
      ["GET", "/metrics"],
      ["GET", "/jobs"],
      ["POST", "/tasks", { task }],
      ["POST", "/approvals/x", { approved: true }],
      ["GET", "/approvals"],
    ];
    const realToken = alice.info.token;
    const sameLengthWrong = `${realToken.slice(0, -1)}${realToken.endsWith("0") ? "1" : "0"}`;
    for (const token of [null, "wrong-token", sameLengthWrong, daemon.bob!.info.token]) {
      for (const [method, path, body] of routes) {
        const response = await alice.request(method, path, { token, ...(body === undefined ? {} : { body }) });
        expect({ method, path, token: token === null ? "none" : "wrong", status: response.status }).toEqual({
          method,
          path,
          token: token === null ? "none" : "wrong",
          status: 401,
        });
        expect(response.text).not.toContain(realToken);
      }
    }
    // Give a wrongly accepted task time to act before looking for its effects.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await guild.connection.publicClient.getTransactionCount({ address: at("alice") })).toBe(nonceBefore);
    expect(queryDaemonState<{ n: number }>(guild, "alice", "SELECT COUNT(*) AS n FROM tasks")[0]!.n).toBe(tasksBefore);
    expect(named(await guildEvents(guild, { afterBlock: blockBefore }), "JobCreated")).toEqual([]);

    const health = await alice.request("GET", "/health");
    expect(health.status).toBe(200);
    expect(health.json<{ status: string; address: string; roles: string[] }>()).toMatchObject({
      status: "ok",
      address: at("alice"),
      roles: ["client"],
    });
  });

  it("honest path: bob delivers, checkers stake pass, a daemon the pass pays settles, bob is paid and everyone's stake comes back", async () => {
    const before = await blockNumber();
    const taskId = await delegate(
      daemon.alice!,
      hireSentence("word-count", "agents with wallets hire each other", { windowSeconds: WINDOW_SECONDS }),
    );
    const jobId = await waitForJob(guild, at("alice"), at("bob"), before);
    const events = await waitForJobDone(guild, jobId);
    const after = await blockNumber();

    expect(named(events, "JobFunded").map((e) => e.args.amount)).toEqual([BUDGET]);
    const delivered = named(events, "DeliverablePublished");
    expect(delivered.map((e) => e.args.content)).toEqual(["6"]);
    expect(await senderOf(guild, delivered[0]!.transactionHash)).toBe(at("bob"));

    // Bond 50% of the budget; carol stakes 25%, dave 15%, all on pass.
    const carolStake = (BUDGET * 25n) / 100n;
    const daveStake = (BUDGET * 15n) / 100n;
    expect(stakeOf(events, "bob").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, BOND]]);
    expect(stakeOf(events, "carol").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, carolStake]]);
    expect(stakeOf(events, "dave").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, daveStake]]);

    const [settled] = named(events, "CheckSettled");
    expect(settled?.args).toMatchObject({
      passed: true,
      passTotal: BOND + carolStake + daveStake,
      failTotal: 0n,
      bondPosted: BOND,
    });
    // Whoever the outcome pays settles: bob (his pay) or a pass staker (its stake back), first come.
    expect([at("bob"), at("carol"), at("dave")]).toContain(await senderOf(guild, settled!.transactionHash));
    expect(
      named(events, "PaymentReleased").map((e) => [getAddress(e.args.provider as Address), e.args.amount]),
    ).toEqual([[at("bob"), BUDGET]]);
    expect(named(events, "Refunded")).toEqual([]);
    for (const [name, stake] of [
      ["bob", BOND],
      ["carol", carolStake],
      ["dave", daveStake],
    ] as const) {
      expect(claimOf(events, name).map((e) => [e.args.stake, e.args.amount, getAddress(e.args.to as Address)])).toEqual(
        [[stake, stake, at(name)]],
      );
    }

    // Every wei of every balance change is an event above or gas.
    const accounts = await balanceAccounts(guild, ["alice", "bob", "carol", "dave"], before, after);
    for (const [name, account] of Object.entries(accounts))
      expect({ name, change: account.change }).toEqual({ name, change: account.explained });
    expect(accounts.alice!.flow).toBe(-BUDGET);
    expect(accounts.bob!.flow).toBe(BUDGET);
    expect(accounts.carol!.flow).toBe(0n);
    expect(accounts.dave!.flow).toBe(0n);

    const task = await waitFor("alice's task to finish", async () => {
      const row = (await daemon.alice!.request("GET", `/tasks/${taskId}`)).json<{
        status: string;
        result?: { answer?: string };
      }>();
      return row.status === "running" ? undefined : row;
    });
    expect(task.status).toBe("done");
    expect(task.result?.answer).toMatch(/paid/);
  });

  it("cheating path: mallory delivers a wrong sort, checkers outweigh her bond, alice is refunded and the bond goes to the checkers pro rata", async () => {
    const before = await blockNumber();
    await delegate(daemon.alice!, hireSentence("sort", "42 7 19 3", { windowSeconds: WINDOW_SECONDS }));
    const jobId = await waitForJob(guild, at("alice"), at("mallory"), before);
    const events = await waitForJobDone(guild, jobId);
    const after = await blockNumber();

    const delivered = named(events, "DeliverablePublished").map((e) => e.args.content);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).not.toBe("3 7 19 42");
    expect(stakeOf(events, "mallory").map((e) => [e.args.pass, e.args.amount])).toEqual([[true, BOND]]);
    const fails = named(events, "Staked").filter((e) => e.args.pass === false);
    // Only checkers stake fail: the first to look takes the lead; the second adds its share unless fail already
    // leads in the last response period, when the contract freezes the leading side.
    const failStakers = new Set(fails.map((e) => getAddress(e.args.staker as Address)));
    expect(failStakers.size).toBeGreaterThan(0);
    for (const staker of failStakers) expect([at("carol"), at("dave")]).toContain(staker);
    const failTotal = fails.reduce((sum, e) => sum + (e.args.amount as bigint), 0n);
    expect(failTotal).toBeGreaterThan(BOND);

    const [settled] = named(events, "CheckSettled");
    expect(settled?.args).toMatchObject({ passed: false, passTotal: BOND, failTotal, bondPosted: BOND });
    // The client (its refund) or a fail staker (its reward): never mallory, whom the outcome does not pay.
    expect([at("alice"), at("carol"), at("dave")]).toContain(await senderOf(guild, settled!.transactionHash));
    expect(named(events, "JobRejected")).toHaveLength(1);
    expect(named(events, "Refunded").map((e) => [getAddress(e.args.client as Address), e.args.amount])).toEqual([
      [at("alice"), BUDGET],
    ]);
    expect(named(events, "PaymentReleased")).toEqual([]);

    // Mallory's claim only closes her position; the checkers share her bond in proportion to their stakes,
    // the last to claim taking the rounding remainder.
    expect(claimOf(events, "mallory").map((e) => [e.args.stake, e.args.amount])).toEqual([[BOND, 0n]]);
    const expected = expectedClaims(events);
    let paidToCheckers = 0n;
    for (const name of ["carol", "dave"]) {
      const [claim] = claimOf(events, name);
      const stake = stakeOf(events, name)[0]!.args.amount as bigint;
      expect(claim?.args.stake).toBe(stake);
      expect(claim?.args.amount).toBe(expected.get(at(name)));
      const reward = (claim!.args.amount as bigint) - stake;
      expect(reward >= (stake * BOND) / failTotal && reward <= (stake * BOND) / failTotal + 1n).toBe(true);
      paidToCheckers += claim!.args.amount as bigint;
    }
    expect(paidToCheckers).toBe(failTotal + BOND);

    const accounts = await balanceAccounts(guild, ["alice", "mallory", "carol", "dave"], before, after);
    for (const [name, account] of Object.entries(accounts))
      expect({ name, change: account.change }).toEqual({ name, change: account.explained });
    expect(accounts.alice!.flow).toBe(0n);
    expect(accounts.mallory!.flow).toBe(-BOND);
    expect(accounts.carol!.flow + accounts.dave!.flow).toBe(BOND);
  });

  it("two clients hire the same worker at once: both jobs delivered once and paid, no nonce trouble", async () => {
    const before = await blockNumber();
    await Promise.all([
      delegate(daemon.alice!, hireSentence("word-count", "first client asks this", { windowSeconds: 12 })),
      delegate(daemon.erin!, hireSentence("word-count", "second client asks this one now", { windowSeconds: 12 })),
    ]);
    const jobs = await Promise.all([
      waitForJob(guild, at("alice"), at("bob"), before),
      waitForJob(guild, at("erin"), at("bob"), before),
    ]);
    const done = await Promise.all(jobs.map((jobId) => waitForJobDone(guild, jobId)));
    for (const [i, events] of done.entries()) {
      expect(named(events, "DeliverablePublished").map((e) => e.args.content)).toEqual([i === 0 ? "4" : "6"]);
      expect(stakeOf(events, "bob").map((e) => e.args.amount)).toEqual([BOND]);
      expect(named(events, "CheckSettled")[0]?.args.passed).toBe(true);
      expect([at("bob"), at("carol"), at("dave")]).toContain(
        await senderOf(guild, named(events, "CheckSettled")[0]!.transactionHash),
      );
      expect(
        named(events, "PaymentReleased").map((e) => [getAddress(e.args.provider as Address), e.args.amount]),
      ).toEqual([[at("bob"), BUDGET]]);
    }
    for (const name of ["bob", "alice", "erin"]) {
      expect(daemon[name]!.output()).not.toMatch(
        /nonce too low|nonce already used|free nonce|replacement transaction/i,
      );
      expect(
        queryDaemonState<{ key: string; detail: string }>(
          guild,
          name,
          "SELECT key, detail FROM work_items WHERE status = 'failed'",
        ),
      ).toEqual([]);
    }
  });

  it("GET /metrics is Prometheus text whose values match the chain; GET /jobs lists the agent's jobs", async () => {
    const events = await guildEvents(guild);
    const eth = getAddress(zeroAddress);
    const sum = (list: GuildEvent[]) => list.reduce((total, e) => total + (e.args.amount as bigint), 0n);
    const expectations: Record<string, Record<string, bigint>> = {
      alice: {
        [`guild_spent_base_units_total{token="${eth}",kind="hire"}`]: sum(
          named(events, "JobFunded", "client", at("alice")),
        ),
        [`guild_earned_base_units_total{token="${eth}",kind="refund"}`]: sum(
          named(events, "Refunded", "client", at("alice")),
        ),
        'guild_jobs{role="client",state="Completed"}': BigInt(jobsOf(events, "client", at("alice"), "JobCompleted")),
        'guild_jobs{role="client",state="Rejected"}': BigInt(jobsOf(events, "client", at("alice"), "JobRejected")),
        guild_stakes_placed_total: 0n,
      },
      bob: {
        [`guild_earned_base_units_total{token="${eth}",kind="payout"}`]: sum(
          named(events, "PaymentReleased", "provider", at("bob")),
        ),
        [`guild_spent_base_units_total{token="${eth}",kind="stake"}`]: sum(
          named(events, "Staked", "staker", at("bob")),
        ),
        [`guild_earned_base_units_total{token="${eth}",kind="claim"}`]: sum(
          named(events, "StakeClaimed", "staker", at("bob")),
        ),
        guild_stakes_placed_total: BigInt(named(events, "Staked", "staker", at("bob")).length),
        'guild_jobs{role="provider",state="Completed"}': BigInt(jobsOf(events, "provider", at("bob"), "JobCompleted")),
      },
      carol: {
        [`guild_spent_base_units_total{token="${eth}",kind="stake"}`]: sum(
          named(events, "Staked", "staker", at("carol")),
        ),
        [`guild_earned_base_units_total{token="${eth}",kind="claim"}`]: sum(
          named(events, "StakeClaimed", "staker", at("carol")),
        ),
        guild_stakes_placed_total: BigInt(named(events, "Staked", "staker", at("carol")).length),
      },
    };
    expect(expectations.alice!['guild_jobs{role="client",state="Completed"}']).toBe(2n);
    expect(expectations.carol!.guild_stakes_placed_total).toBe(4n);
    const documented = [
      "guild_jobs",
      "guild_work_items",
      "guild_stakes_placed_total",
      "guild_spent_base_units_total",
      "guild_earned_base_units_total",
      "guild_rpc_errors_total",
      "guild_uptime_seconds",
    ];
    for (const [name, expected] of Object.entries(expectations)) {
      // The daemon ingests the last claims a moment after they are mined.
      const samples = await waitFor(
        `${name}'s metrics to catch up with the chain`,
        async () => {
          const response = await daemon[name]!.request("GET", "/metrics");
          expect(response.status).toBe(200);
          const parsed = parsePrometheus(response.text);
          return Object.entries(expected).every(([key, value]) => parsed.samples.get(key) === value)
            ? parsed
            : undefined;
        },
        10_000,
      ).catch(async () => parsePrometheus((await daemon[name]!.request("GET", "/metrics")).text));
      for (const [key, value] of Object.entries(expected))
        expect({ name, key, value: samples.samples.get(key) }).toEqual({ name, key, value });
      expect([...samples.types.keys()].sort()).toEqual([...documented].sort());
      expect(samples.types.get("guild_stakes_placed_total")).toBe("counter");
      expect(samples.types.get("guild_jobs")).toBe("gauge");
      expect(samples.samples.get('guild_work_items{status="failed"}') ?? 0n).toBe(0n);
    }

    const jobs = (await daemon.alice!.request("GET", "/jobs")).json<
      { jobId: string; client: string; provider: string; status: string }[]
    >();
    const aliceJobs = named(events, "JobCreated", "client", at("alice")).map((e) => e.args.jobId as bigint);
    expect(jobs.map((job) => BigInt(job.jobId)).sort()).toEqual([...aliceJobs].sort());
    for (const job of jobs) {
      const ended = events.find(
        (e) => e.args.jobId === BigInt(job.jobId) && (e.eventName === "JobCompleted" || e.eventName === "JobRejected"),
      );
      expect(job.status).toBe(ended?.eventName === "JobCompleted" ? "Completed" : "Rejected");
      expect(isAddressEqual(job.client as Address, at("alice"))).toBe(true);
    }
  });

  it("SIGTERM: every daemon drains and exits 0 within a few seconds, removing its daemon.json", async () => {
    const exits = await Promise.all(
      Object.values(daemon).map(async (d) => ({ name: d.name, ...(await d.terminate()) })),
    );
    for (const exit of exits) {
      expect({ name: exit.name, code: exit.code, signal: exit.signal }).toEqual({
        name: exit.name,
        code: 0,
        signal: null,
      });
      expect(exit.ms).toBeLessThan(5_000);
      expect(existsSync(join(guildPaths(guild.home).agent(exit.name), "daemon.json"))).toBe(false);
      expect(daemon[exit.name]!.output()).toContain("daemon stopped");
    }
  });
});

/** Jobs where `field` (client or provider) is `account` that ended with `ending`. */
function jobsOf(
  events: GuildEvent[],
  field: "client" | "provider",
  account: Address,
  ending: "JobCompleted" | "JobRejected",
): number {
  const ids = new Set(named(events, "JobCreated", field, account).map((e) => e.args.jobId as bigint));
  return named(events, ending).filter((e) => ids.has(e.args.jobId as bigint)).length;
}

/**
 * A strict reader of the Prometheus text format (0.0.4): HELP and TYPE before a metric's samples, sample lines
 * `name{label="value",...} number`. Throws on any other line.
 */
function parsePrometheus(text: string): { types: Map<string, string>; samples: Map<string, bigint> } {
  const types = new Map<string, string>();
  const helped = new Set<string>();
  const samples = new Map<string, bigint>();
  expect(text.endsWith("\n")).toBe(true);
  for (const line of text.trimEnd().split("\n")) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line);
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    const sample =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*")*\})? (-?\d+)$/.exec(
        line,
      );
    if (help) helped.add(help[1]!);
    else if (type) {
      if (!helped.has(type[1]!)) throw new Error(`TYPE before HELP: ${line}`);
      types.set(type[1]!, type[2]!);
    } else if (sample) {
      if (!types.has(sample[1]!)) throw new Error(`sample of an undeclared metric: ${line}`);
      samples.set(`${sample[1]}${sample[2] ?? ""}`, BigInt(sample[3]!));
    } else throw new Error(`not Prometheus text: ${JSON.stringify(line)}`);
  }
  return { types, samples };
}
