import { spawn } from "node:child_process";
import { getAddress, parseEther, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { loadConfig } from "../../src/config/loadConfig.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import {
  balanceAccounts,
  delegate,
  GUILD_BIN,
  guildEvents,
  hireSentence,
  named,
  senderOf,
  startDaemonProcess,
  startTestGuild,
  TEST_PASSWORD,
  waitFor,
  waitForJob,
  waitForJobDone,
  type DaemonHandle,
  type TestGuild,
} from "./support.js";

// Issue 10, items 1 and 2, with daemons as real `guild start` processes on one Hardhat node: bob sells word-count,
// carol checks it, alice is a client daemon; mallory (a client with no daemon, straight to the node) tries to get
// work for free, and names a friend as arbiter; erin delivers by hand.
//
// - acceptance terms: a job whose evaluator is its own client, a bond above the worker's ceiling, or a one-second
//   settle margin is declined on chain at once with the reason; nothing is delivered, the client gets no free work;
//   a checker stakes nothing on a check whose arbiter it does not accept;
// - whoever is owed money settles: a client daemon killed right after funding does not keep the provider from being
//   paid (the provider's and the checker's daemons settle), and the client gets nothing back.
const BUDGET = parseEther("0.002");
const SPEC = encodeJobSpec({ skill: "word-count", input: "one two three" });

let guild: TestGuild;
const daemon: Record<string, DaemonHandle> = {};
const clients: Record<string, GuildClient> = {};
const at = (name: string): Address => guild.address(name);
const blockNumber = () => guild.connection.publicClient.getBlockNumber();

beforeAll(async () => {
  guild = await startTestGuild({ wallets: ["alice", "bob", "carol", "mallory", "erin", "friend"] });
  const config = loadConfig({ GUILD_HOME: guild.home, GUILD_KEYSTORE_PASSWORD: TEST_PASSWORD });
  for (const name of ["mallory", "erin"]) {
    const { account } = await loadAccount({ config, name });
    clients[name] = createGuildClient(guild.reader, { account });
  }
  const started = await Promise.all([
    startDaemonProcess(guild, "alice", ["--roles", "client"]),
    startDaemonProcess(guild, "bob", ["--roles", "worker", "--skills", "word-count", "--price", "0.001"]),
    startDaemonProcess(guild, "carol", ["--roles", "checker", "--skills", "word-count"]),
  ]);
  for (const handle of started) daemon[handle.name] = handle;
}, 180_000);

afterAll(async () => {
  await guild?.stop();
});

/** `guild <args>` as a process against the test node; resolves with its exit code and stdout. */
function guildCommand(args: string[]): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [GUILD_BIN, ...args], { cwd: PACKAGE_ROOT, env: guild.env(), stdio: "pipe" });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout })));
}

describe("acceptance terms", () => {
  it("a client as its own evaluator, a 100% bond, a one-second settle margin: each declined at once with the reason; no work delivered, the client gets nothing but its gas back", async () => {
    const mallory = clients.mallory!;
    const bob = at("bob");
    const before = await blockNumber();
    // Sequential: mallory's transactions share one nonce sequence.
    const selfJudged = await createAndFundJob(mallory, {
      provider: bob,
      budget: BUDGET,
      description: SPEC,
      evaluator: mallory.account.address,
    });
    const fullBond = await createAndFundJob(mallory, {
      provider: bob,
      budget: BUDGET,
      description: SPEC,
      check: { windowSeconds: 30n, bondBps: 10_000n },
    });
    // Latest end 5 s + 4 flips x 1 s = 9 s after delivery; the refund 1 s later (the dev deployment's floor).
    const oneSecond = await createAndFundJob(mallory, {
      provider: bob,
      budget: BUDGET,
      description: SPEC,
      evaluationPeriod: 10n,
      check: { windowSeconds: 5n, responsePeriodSeconds: 1n, maxFlips: 4n, bondBps: 0n },
    });
    const jobs = [selfJudged.jobId, fullBond.jobId, oneSecond.jobId];
    const explained = await waitFor(
      "bob's three declines",
      async () => {
        const events = named(await guildEvents(guild, { afterBlock: before }), "DeclineExplained");
        return events.length === 3 ? events : undefined;
      },
      30_000,
    );
    const after = await blockNumber();
    const why = new Map(explained.map((event) => [event.args.jobId as bigint, event.args.why as string]));
    expect(why.get(selfJudged.jobId)).toBe(
      "the evaluator is the client itself, not the staked evaluator or one this provider accepts",
    );
    expect(why.get(fullBond.jobId)).toBe("bond of 100% is above this provider's ceiling of 50%");
    expect(why.get(oneSecond.jobId)).toBe(
      "1 s between the check's latest end and the client's refund is under this provider's minimum of 5 s to settle",
    );
    for (const event of explained) expect(await senderOf(guild, event.transactionHash)).toBe(bob);

    const events = await guildEvents(guild, { afterBlock: before, toBlock: after });
    expect(named(events, "DeliverablePublished")).toEqual([]);
    expect(named(events, "Staked")).toEqual([]);
    expect(
      named(events, "Refunded").map((e) => [e.args.jobId, getAddress(e.args.client as Address), e.args.amount]),
    ).toEqual(jobs.map((jobId) => [jobId, at("mallory"), BUDGET]));
    // mallory paid gas and nothing else; bob paid the gas of three declines.
    const accounts = await balanceAccounts(guild, ["mallory", "bob"], before, after);
    expect(accounts.mallory!.change).toBe(-accounts.mallory!.gas);
    expect(accounts.bob!.change).toBe(-accounts.bob!.gas);
    expect(daemon.bob!.output()).toMatch(/"term":"evaluator".*declined the job; the client is refunded/);

    // `guild job` shows the reason.
    const shown = await guildCommand(["job", selfJudged.jobId.toString()]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain("Job");
    expect(shown.stdout).toMatch(/declined\s+"the evaluator is the client itself/);
  }, 90_000);

  it("a checker stakes nothing on a check whose arbiter is the client's friend", async () => {
    const carolNonce = await guild.connection.publicClient.getTransactionCount({ address: at("carol") });
    const { jobId } = await createAndFundJob(clients.mallory!, {
      provider: at("erin"),
      budget: BUDGET,
      description: SPEC,
      check: {
        windowSeconds: 20n,
        bondBps: 0n,
        arbiter: at("friend"),
        escalationBps: 1n,
        arbitrationPeriodSeconds: 5n,
      },
    });
    await deliverJob(clients.erin!, { jobId, content: "3" });
    await daemon.carol!.waitForOutput(
      new RegExp(
        `"jobId":"${jobId}".*"reason":"the arbiter ${at("friend")} is not one this checker accepts".*refused the check's terms; no stake`,
      ),
      20_000,
    );
    expect(named(await guildEvents(guild, { jobId }), "Staked")).toEqual([]);
    expect(await guild.connection.publicClient.getTransactionCount({ address: at("carol") })).toBe(carolNonce);
  }, 60_000);
});

describe("whoever is owed money settles", () => {
  it("a client daemon killed for good right after funding: bob's and carol's daemons settle, bob is paid his budget and his bond back, the client gets nothing back", async () => {
    const before = await blockNumber();
    await delegate(daemon.alice!, hireSentence("word-count", "the client goes away for good", { windowSeconds: 4 }));
    const jobId = await waitForJob(guild, at("alice"), at("bob"), before, 60_000);
    await daemon.alice!.kill9();

    const events = await waitForJobDone(guild, jobId, 60_000);
    const after = await blockNumber();
    const [settled] = named(events, "CheckSettled");
    expect(settled?.args).toMatchObject({ passed: true, bondPosted: BUDGET / 2n });
    expect([at("bob"), at("carol")]).toContain(await senderOf(guild, settled!.transactionHash));
    expect(
      named(events, "PaymentReleased").map((e) => [getAddress(e.args.provider as Address), e.args.amount]),
    ).toEqual([[at("bob"), BUDGET]]);
    expect(named(events, "Refunded")).toEqual([]);
    // bob staked his bond and claimed it back.
    expect(named(events, "StakeClaimed", "staker", at("bob")).map((e) => [e.args.stake, e.args.amount])).toEqual([
      [BUDGET / 2n, BUDGET / 2n],
    ]);

    const accounts = await balanceAccounts(guild, ["alice", "bob", "carol"], before, after);
    expect(accounts.bob!.change).toBe(BUDGET - accounts.bob!.gas);
    expect(accounts.alice!.change).toBe(-BUDGET - accounts.alice!.gas);
    // carol staked on pass, settled or not, and got her stake back.
    expect(accounts.carol!.change).toBe(-accounts.carol!.gas);
    expect(daemon.alice!.running()).toBe(false);
  }, 120_000);
});
