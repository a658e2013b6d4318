import { getAddress, isAddressEqual, parseEther, type Address } from "viem";
import { afterAll, describe, expect, it, onTestFailed } from "vitest";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
import { stakeOnCheck } from "../../src/chain/actions/stakeOnCheck.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { loadConfig } from "../../src/config/loadConfig.js";
import { stakeToLead } from "../../src/daemon/checkJob.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import {
  balanceAccounts,
  guildEvents,
  named,
  queryDaemonState,
  startDaemonProcess,
  startTestGuild,
  tail,
  TEST_PASSWORD,
  waitFor,
  type GuildEvent,
  type TestGuild,
} from "./support.js";

// Issue 10's row "checkers look once more at three quarters of the window; they cannot answer a stake made after
// that", with the checkers as real `guild start` processes on a Hardhat node. The attacker: a second address of the
// provider (eve, for mallory) staking pass in the last second of the window to carry a wrong delivery.

const guilds: TestGuild[] = [];
afterAll(async () => {
  for (const guild of guilds) await guild.stop();
});

async function clientOf(guild: TestGuild, name: string): Promise<GuildClient> {
  const config = loadConfig({ GUILD_HOME: guild.home, GUILD_KEYSTORE_PASSWORD: TEST_PASSWORD });
  const { account } = await loadAccount({ config, name });
  return createGuildClient(guild.reader, { account });
}

describe("checkers that answer back", () => {
  it("a last-second sniper against checker daemons: the checkers answer within the response period, the sniper loses its stake and the client is refunded", async () => {
    const guild = await startTestGuild({ wallets: ["alice", "mallory", "eve", "carol", "dave"] });
    guilds.push(guild);
    const [alice, mallory, eve] = await Promise.all(["alice", "mallory", "eve"].map((name) => clientOf(guild, name)));
    if (!alice || !mallory || !eve) throw new Error("no test clients");
    const checkers = await Promise.all([
      startDaemonProcess(guild, "carol", ["--roles", "checker", "--skills", "word-count", "--stake-percent", "25"]),
      startDaemonProcess(guild, "dave", ["--roles", "checker", "--skills", "word-count", "--stake-percent", "15"]),
    ]);
    onTestFailed(() => {
      for (const daemon of checkers) process.stderr.write(`--- ${daemon.name}\n${tail(daemon.output(), 60)}\n`);
    });
    const client = guild.connection.publicClient;
    const startBlock = await client.getBlockNumber();

    const budget = parseEther("0.002");
    const { jobId } = await createAndFundJob(alice, {
      provider: mallory.account.address,
      budget,
      description: encodeJobSpec({ skill: "word-count", input: "one two three" }),
      check: { windowSeconds: 8n, responsePeriodSeconds: 3n, bondBps: 5_000n },
    });
    // Wrong work (three words, not four), bonded.
    await deliverJob(mallory, { jobId, content: "4" });
    await stakeOnCheck(mallory, { jobId, pass: true, amount: parseEther("0.001") });

    // The checkers re-count and stake fail: fail takes the lead (the first to stake takes it; the other adds its share,
    // or nothing when the lead was taken just before its stake).
    await waitFor(
      "the checkers' fail stakes to take the lead",
      async () =>
        named(await guildEvents(guild, { jobId }), "LeadChanged").some((event) => !event.args.pass) || undefined,
      30_000,
    );
    const closesAt = (await readJob(guild.reader, { jobId })).check?.closesAt ?? 0n;

    // eve waits for the last seconds of the window (by the timestamp the next block will carry), then stakes what
    // takes the lead for pass: twice the fail side, and the flip floor.
    await waitFor(
      "the last seconds of the window",
      async () => {
        const latest = await client.getBlock({ blockTag: "latest" });
        const next = BigInt(Math.max(Math.floor(Date.now() / 1000), Number(latest.timestamp) + 1));
        return next >= closesAt - 2n || undefined;
      },
      30_000,
      100,
    );
    const before = (await readJob(guild.reader, { jobId })).check;
    if (!before) throw new Error("the job has no staked check");
    expect(before.leader).toBe("fail");
    expect(before.closesAt).toBe(closesAt);
    const snipe = stakeToLead(before, "pass", 0n);
    const { hash: snipeHash } = await stakeOnCheck(eve, { jobId, pass: true, amount: snipe });
    const snipeBlock = await client.getBlock({
      blockNumber: (await client.getTransactionReceipt({ hash: snipeHash })).blockNumber,
    });
    expect(snipeBlock.timestamp).toBeLessThan(closesAt);
    const lead = named(await guildEvents(guild, { jobId }), "LeadChanged").find(
      (event) => event.transactionHash === snipeHash,
    );
    expect(lead?.args.pass).toBe(true);
    const answerBy = lead?.args.closesAt as bigint;

    // A checker answers: fail takes the lead back before the close the snipe set.
    const answer = await waitFor<GuildEvent>(
      "a checker's answer",
      async () => {
        const events = await guildEvents(guild, { jobId });
        return named(events, "LeadChanged").find(
          (event) => event.args.pass === false && event.blockNumber > snipeBlock.number,
        );
      },
      30_000,
    );
    const answerBlock = await client.getBlock({ blockNumber: answer.blockNumber });
    expect(answerBlock.timestamp).toBeLessThan(answerBy);
    const answerer = checkers.find((daemon) => /outbid on a verdict it is sure of; answered/.test(daemon.output()));
    expect(answerer).toBeDefined();
    // eve's LeadChanged (the second flip) queued a look at once in each checker that held a stake by then (one whose
    // first stake was its answer had nothing to follow yet), as soon as its follower saw the event.
    for (const daemon of checkers) {
      const staked = named(await guildEvents(guild, { jobId }), "Staked", "staker", guild.address(daemon.name)).filter(
        (event) => event.blockNumber < snipeBlock.number,
      );
      if (staked.length === 0) continue;
      await waitFor(
        `${daemon.name} to queue a look at eve's change of lead`,
        async () =>
          queryDaemonState<{ key: string }>(
            guild,
            daemon.name,
            "SELECT key FROM work_items WHERE key LIKE 'check:%:lead:%'",
          ).some((item) => item.key === `check:${jobId}:lead:2`) || undefined,
        10_000,
      );
    }

    // After the (moved) close, the parties the outcome pays (the checkers' daemons, alice here) settle: the check
    // fails, alice is refunded.
    const settled = await waitFor(
      "the check to settle",
      async () => {
        const job = await readJob(guild.reader, { jobId });
        const latest = await client.getBlock({ blockTag: "latest" });
        if (Math.max(Date.now() / 1000, Number(latest.timestamp)) < Number(job.check?.closesAt ?? 0n)) return undefined;
        if (job.check?.verdict !== "None") return job.check;
        await settleCheck(alice, { jobId }).catch(() => undefined);
        return undefined;
      },
      30_000,
      500,
    );
    expect(settled?.verdict).toBe("Fail");
    // Each checker daemon claims its stake and its share of the pass side (mallory's bond and eve's stake).
    await waitFor(
      "the checkers' claims",
      async () => {
        const events = await guildEvents(guild, { jobId });
        const failStakers = new Set(
          named(events, "Staked")
            .filter((event) => !event.args.pass)
            .map((event) => getAddress(event.args.staker as Address)),
        );
        return named(events, "StakeClaimed").length >= failStakers.size || undefined;
      },
      30_000,
    );
    const endBlock = await client.getBlockNumber();
    const events = await guildEvents(guild, { jobId });
    const refunds = named(events, "Refunded", "client", alice.account.address);
    expect(refunds.map((event) => event.args.amount)).toEqual([budget]);

    // eve's balance went down by her stake (and her gas): the snipe lost it.
    const accounts = await balanceAccounts(guild, ["eve", "alice", "carol", "dave"], startBlock, endBlock);
    expect(snipe).toBeGreaterThan(0n);
    expect(accounts.eve?.flow).toBe(-snipe);
    expect(accounts.eve?.change).toBe(-snipe - (accounts.eve?.gas ?? 0n));
    expect(accounts.alice?.flow).toBe(0n);
    // Every checker that staked claimed its stake and a share of the pass side (mallory's bond and eve's stake).
    const stakers = new Set(
      named(events, "Staked")
        .filter((event) => !event.args.pass)
        .map((event) => getAddress(event.args.staker as Address)),
    );
    expect(stakers.size).toBeGreaterThanOrEqual(1);
    for (const staker of stakers) {
      const claim = named(events, "StakeClaimed", "staker", staker)[0];
      expect((claim?.args.amount as bigint) > (claim?.args.stake as bigint)).toBe(true);
    }
    // The checker that answered staked twice (its first stake and its answer); no checker staked pass.
    const checkerStakes = named(events, "Staked").filter((event) =>
      ["carol", "dave"].some((name) => isAddressEqual(event.args.staker as Address, guild.address(name))),
    );
    expect(checkerStakes.every((event) => event.args.pass === false)).toBe(true);
    const answered = answerer ? guild.address(answerer.name) : undefined;
    expect(
      checkerStakes.filter((event) => answered && isAddressEqual(event.args.staker as Address, answered)),
    ).toHaveLength(2);
  }, 120_000);
});
