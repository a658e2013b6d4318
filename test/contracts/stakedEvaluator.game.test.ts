/**
 * The staked check's game, rule by rule: flips and the close moving, the doubling threshold, the leader frozen
 * in its last response period, the lead locked after `maxFlips`, escalation to an arbiter, its ruling and its
 * silence. The attacks these rules stop are replayed in stakedEvaluator.attacks.test.ts.
 */
import type { Address, TransactionReceipt } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import {
  type CheckSettings,
  checkReason,
  checkView,
  createCheckedJob,
  expectedWinnerPayouts,
  stakeOn,
} from "../support/contracts-helpers/evaluator.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  createGuildFixture,
  gasCost,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import {
  createdJobId,
  createFundedJob,
  jobTerms,
  Status,
  statusOf,
  Verdict,
} from "../support/contracts-helpers/jobs.js";
import type { TestWallet } from "../support/inProcessChain.js";
import { encodeCheckTerms } from "../../src/chain/checkTerms.js";

const BUDGET = 1_000_000n;
/** 1% of the budget. */
const MIN_STAKE = 10_000n;
const RESPONSE = 100n;
const WINDOW = 1_000n;
/** A short game: a 1,000 s window, 100 s to answer a flip, 3 flips. */
const GAME: CheckSettings = { windowSeconds: WINDOW, responsePeriodSeconds: RESPONSE, maxFlips: 3n };
const ARBITRATION = 500n;

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const addressOf = (w: TestWallet): Address => w.account.address;
const alice = () => f.stakers[0]!;
const bob = () => f.stakers[1]!;
const carol = () => f.stakers[2]!;
const arbiter = () => f.wallets[12]!;
/** The game with an arbiter who may rule once both sides hold half the budget together. */
const withArbiter = (extra: CheckSettings = {}): CheckSettings => ({
  ...GAME,
  arbiter: addressOf(arbiter()),
  escalationBps: 5_000n,
  arbitrationPeriodSeconds: ARBITRATION,
  ...extra,
});

/** Stakes (native) in the block at `timestamp`. */
async function stakeAt(
  timestamp: bigint,
  wallet: TestWallet,
  jobId: bigint,
  pass: boolean,
  amount: bigint,
): Promise<TransactionReceipt> {
  await f.setNextTimestamp(timestamp);
  return stakeOn(f, wallet, jobId, pass, amount);
}

function leadChanges(receipt: TransactionReceipt) {
  return eventsOf(receipt, stakedEvaluatorAbi, "LeadChanged", f.addresses.evaluator);
}

/** Claims as `wallet` (native) and returns what it received, net of gas. */
async function claimOf(wallet: TestWallet, jobId: bigint): Promise<bigint> {
  const before = await f.balanceOf(NATIVE, addressOf(wallet));
  const receipt = await f.tx(f.stakedAs(wallet).write.claim([jobId]));
  return (await f.balanceOf(NATIVE, addressOf(wallet))) - before + gasCost(receipt);
}

describe("StakedEvaluator flips: a side takes the lead only by doubling the leader", () => {
  it("one wei under twice the leader's total is a plain stake; twice exactly flips (LeadChanged)", async () => {
    const { jobId, submittedAt, closesAt } = await createCheckedJob(f, { config: GAME });
    expect(await f.staked.read.getCheck([jobId])).toEqual(
      checkView({
        closeOffset: WINDOW,
        closesAt,
        latestClose: submittedAt + WINDOW + 3n * RESPONSE,
        responsePeriod: RESPONSE,
        maxFlips: 3n,
        minStake: MIN_STAKE,
      }),
    );
    await stakeOn(f, alice(), jobId, true, 10_000n);
    const under = await stakeOn(f, bob(), jobId, false, 19_999n);
    expect(leadChanges(under)).toEqual([]);
    expect((await f.staked.read.getCheck([jobId])).passLeads).toBe(true);

    // Early in the window a flip leaves the close where it was: there is more than a response period left.
    const flip = await stakeOn(f, bob(), jobId, false, 1n);
    expect(eventNamesOf(flip, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["Staked", "LeadChanged"]);
    expect(leadChanges(flip)).toEqual([{ jobId, pass: false, total: 20_000n, closesAt, flips: 1n }]);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.passLeads, check.flips, check.closesAt, check.latestClose]).toEqual([
      false,
      1n,
      closesAt,
      closesAt + 2n * RESPONSE,
    ]);

    // Back the other way: 39_999 against 20_000 does not flip, 40_000 does.
    expect(leadChanges(await stakeOn(f, alice(), jobId, true, 29_999n))).toEqual([]);
    expect(leadChanges(await stakeOn(f, carol(), jobId, true, 10_001n))).toEqual([
      { jobId, pass: true, total: 50_000n, closesAt, flips: 2n },
    ]);
  });

  it("every flip also needs 2·base·2^k (base: the bond or the minimum stake), even against an unbacked side", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: GAME });
    // Nobody backs pass: twice nothing is nothing, but the floor of the first flip is twice the minimum stake.
    expect(leadChanges(await stakeOn(f, bob(), jobId, false, MIN_STAKE))).toEqual([]);
    expect(leadChanges(await stakeOn(f, bob(), jobId, false, MIN_STAKE - 1n))).toEqual([]);
    expect(leadChanges(await stakeOn(f, carol(), jobId, false, MIN_STAKE))).toEqual([
      { jobId, pass: false, total: 3n * MIN_STAKE - 1n, closesAt, flips: 1n },
    ]);
    // The second flip needs twice the fail side and at least 4 minimum stakes; the third at least 8.
    expect(leadChanges(await stakeOn(f, alice(), jobId, true, 6n * MIN_STAKE - 3n))).toEqual([]);
    expect(leadChanges(await stakeOn(f, alice(), jobId, true, 1n))).toEqual([
      { jobId, pass: true, total: 6n * MIN_STAKE - 2n, closesAt, flips: 2n },
    ]);
    // The third needs twice the pass side (12 minimum stakes less 4 wei), above its floor of 8.
    expect(leadChanges(await stakeOn(f, carol(), jobId, false, 9n * MIN_STAKE - 4n))).toEqual([]);
    expect(leadChanges(await stakeOn(f, carol(), jobId, false, 1n))).toMatchObject([{ pass: false, flips: 3n }]);
    await f.setNextTimestamp(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
  });

  it("a late flip moves the close to a full response period after it, and the outbid side answers within it", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: GAME });
    await stakeOn(f, alice(), jobId, true, 10_000n);
    const flip = await stakeAt(closesAt - 1n, bob(), jobId, false, 20_000n);
    const moved = closesAt - 1n + RESPONSE;
    expect(leadChanges(flip)).toEqual([{ jobId, pass: false, total: 20_000n, closesAt: moved, flips: 1n }]);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.closesAt, check.closeOffset]).toEqual([moved, WINDOW - 1n + RESPONSE]);

    // The old close no longer ends anything.
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, moved]);
    // Alice answers in the last second of her response period, and the close moves again.
    const answer = await stakeAt(moved - 1n, alice(), jobId, true, 30_000n);
    const movedAgain = moved - 1n + RESPONSE;
    expect(leadChanges(answer)).toEqual([{ jobId, pass: true, total: 40_000n, closesAt: movedAgain, flips: 2n }]);
    await f.setNextTimestamp(movedAgain - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, movedAgain]);
    await f.setNextTimestamp(movedAgain);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await claimOf(alice(), jobId)).toBe(60_000n);
    expect(await claimOf(bob(), jobId)).toBe(0n);
  });

  it("the leading side cannot add in its last response period (EvaluatorLeadFrozen); the outbid side can", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: GAME });
    const frozenFrom = closesAt - RESPONSE;
    await stakeOn(f, alice(), jobId, true, 10_000n);
    await stakeAt(frozenFrom - 1n, alice(), jobId, true, 1n);
    await f.setNextTimestamp(frozenFrom);
    await expectRevert(f.stakedAs(alice()).write.stake([jobId, true, 1n], { value: 1n }), "EvaluatorLeadFrozen", [
      jobId,
      frozenFrom,
    ]);
    // The provider's bond is a pass stake like any other: frozen too while pass leads.
    await expectRevert(
      f.stakedAs(f.provider).write.stake([jobId, true, MIN_STAKE], { value: MIN_STAKE }),
      "EvaluatorLeadFrozen",
      [jobId, frozenFrom],
    );
    // The other side may stake without taking the lead, and may take it, until the last second.
    await stakeAt(closesAt - 50n, bob(), jobId, false, 10_000n);
    const flip = await stakeAt(closesAt - 10n, bob(), jobId, false, 10_002n);
    const moved = closesAt - 10n + RESPONSE;
    expect(leadChanges(flip)).toEqual([{ jobId, pass: false, total: 20_002n, closesAt: moved, flips: 1n }]);
    // Now fail leads with a whole response period to go: fail is frozen at once, pass may stake.
    await f.setNextTimestamp(closesAt - 9n);
    await expectRevert(f.stakedAs(bob()).write.stake([jobId, false, 1n], { value: 1n }), "EvaluatorLeadFrozen", [
      jobId,
      closesAt - 10n,
    ]);
    await stakeAt(closesAt - 8n, carol(), jobId, true, 10_000n);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.passTotal, check.failTotal, check.passLeads]).toEqual([20_001n, 20_002n, false]);
  });

  it("the provider's bond, up to the required amount, may come until the close; anything above it is frozen like any lead", async () => {
    const bond = 200_000n;
    const { jobId, closesAt } = await createCheckedJob(f, { config: { ...GAME, bondBps: 2_000n } });
    await stakeOn(f, alice(), jobId, true, MIN_STAKE);
    await stakeAt(closesAt - RESPONSE, f.provider, jobId, true, bond - 1n);
    // One wei over the bond is a leader raising the bar: frozen, as is any other pass stake.
    await f.setNextTimestamp(closesAt - 50n);
    await expectRevert(f.stakedAs(f.provider).write.stake([jobId, true, 2n], { value: 2n }), "EvaluatorLeadFrozen", [
      jobId,
      closesAt - RESPONSE,
    ]);
    await expectRevert(f.stakedAs(alice()).write.stake([jobId, true, 1n], { value: 1n }), "EvaluatorLeadFrozen", [
      jobId,
      closesAt - RESPONSE,
    ]);
    await stakeAt(closesAt - 1n, f.provider, jobId, true, 1n);
    expect(await f.staked.read.stakeOf([jobId, addressOf(f.provider)])).toEqual([bond, true]);
    await f.setNextTimestamp(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
  });

  it("a flip against pass counts the bond not yet posted, so a late bond raises no bar", async () => {
    // Bond 200_000, so the floor of the first flip is 400_000; pass holds 100_000 plus the bond, posted or not.
    for (const bondedFirst of [true, false]) {
      const { jobId } = await createCheckedJob(f, { config: { ...GAME, bondBps: 2_000n } });
      if (bondedFirst) await stakeOn(f, f.provider, jobId, true, 200_000n);
      await stakeOn(f, alice(), jobId, true, 100_000n);
      expect(leadChanges(await stakeOn(f, bob(), jobId, false, 599_999n)), `bonded first: ${bondedFirst}`).toEqual([]);
      expect(leadChanges(await stakeOn(f, bob(), jobId, false, 1n))).toMatchObject([
        { pass: false, total: 600_000n, flips: 1n },
      ]);
      if (!bondedFirst) {
        // The bond arriving now is a stake on the trailing side: it does not take the lead back.
        expect(leadChanges(await stakeOn(f, f.provider, jobId, true, 200_000n))).toEqual([]);
      }
      const check = await f.staked.read.getCheck([jobId]);
      expect([check.passTotal, check.failTotal, check.passLeads]).toEqual([300_000n, 600_000n, false]);
    }
  });

  it("after maxFlips the lead is locked (EvaluatorLeadLocked); stakes that do not flip still count", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: { ...GAME, maxFlips: 2n } });
    await stakeOn(f, alice(), jobId, true, 10_000n);
    await stakeOn(f, bob(), jobId, false, 20_000n);
    await stakeOn(f, carol(), jobId, true, 30_000n);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.flips, check.maxFlips, check.passLeads, check.latestClose]).toEqual([2n, 2n, true, closesAt]);
    await expectRevert(
      f.stakedAs(bob()).write.stake([jobId, false, 60_000n], { value: 60_000n }),
      "EvaluatorLeadLocked",
      [jobId, 2n],
    );
    expect(leadChanges(await stakeOn(f, bob(), jobId, false, 59_999n))).toEqual([]);
    await f.setNextTimestamp(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    const [carolPayout, alicePayout] = expectedWinnerPayouts([30_000n, 10_000n], 79_999n);
    expect(await claimOf(carol(), jobId)).toBe(carolPayout);
    expect(await claimOf(alice(), jobId)).toBe(alicePayout);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
  });

  it("with every flip in the last second, the close never passes the latest close known at delivery", async () => {
    const { jobId, submittedAt, closesAt } = await createCheckedJob(f, { config: GAME });
    const latest = submittedAt + WINDOW + 3n * RESPONSE;
    expect((await f.staked.read.getCheck([jobId])).latestClose).toBe(latest);
    await stakeOn(f, alice(), jobId, true, 10_000n);
    let close = closesAt;
    const plan: [TestWallet, boolean, bigint][] = [
      [bob(), false, 20_000n],
      [alice(), true, 30_000n],
      [bob(), false, 60_000n],
    ];
    for (const [index, [wallet, pass, amount]] of plan.entries()) {
      const [changed] = leadChanges(await stakeAt(close - 1n, wallet, jobId, pass, amount));
      expect(changed?.closesAt).toBe(close - 1n + RESPONSE);
      expect(changed?.flips).toBe(BigInt(index + 1));
      close = changed!.closesAt;
      expect(close).toBeLessThanOrEqual(latest);
      expect((await f.staked.read.getCheck([jobId])).latestClose).toBeLessThanOrEqual(latest);
    }
    await f.setNextTimestamp(close - 1n);
    await expectRevert(
      f.stakedAs(alice()).write.stake([jobId, true, 120_000n], { value: 120_000n }),
      "EvaluatorLeadLocked",
      [jobId, 3n],
    );
    expect((await f.staked.read.getCheck([jobId])).latestClose).toBe(close);
    expect(await f.escrow.read.refundableAt([jobId])).toBeGreaterThan(close);
    await f.setNextTimestamp(close);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await claimOf(bob(), jobId)).toBe(80_000n + 40_000n);
  });
});

describe("StakedEvaluator escalation to an arbiter", () => {
  it("names the arbiter at creation (ArbiterNamed); getCheck shows it, the threshold and the period", async () => {
    const { jobId, submittedAt, closesAt, createReceipt } = await createCheckedJob(f, { config: withArbiter() });
    expect(eventsOf(createReceipt, stakedEvaluatorAbi, "ArbiterNamed", f.addresses.evaluator)).toEqual([
      { jobId, arbiter: addressOf(arbiter()), escalationBps: 5_000n, arbitrationPeriod: ARBITRATION },
    ]);
    expect(eventsOf(createReceipt, stakedEvaluatorAbi, "CheckTimingSet", f.addresses.evaluator)).toEqual([
      { jobId, responsePeriod: RESPONSE, maxFlips: 3n },
    ]);
    expect(await f.staked.read.getCheck([jobId])).toEqual(
      checkView({
        closeOffset: WINDOW,
        closesAt,
        latestClose: submittedAt + WINDOW + 3n * RESPONSE,
        responsePeriod: RESPONSE,
        maxFlips: 3n,
        minStake: MIN_STAKE,
        arbiter: addressOf(arbiter()),
        escalationThreshold: BUDGET / 2n,
        arbitrationPeriod: ARBITRATION,
      }),
    );
  });

  it("escalate needs an arbiter (EvaluatorNoArbiter), a staker (EvaluatorNotStaker) and the threshold; then any staker may, the leader too, and the close stays", async () => {
    const plain = await createCheckedJob(f, { config: GAME });
    await stakeOn(f, alice(), plain.jobId, true, 600_000n);
    await expectRevert(f.stakedAs(alice()).write.escalate([plain.jobId]), "EvaluatorNoArbiter", [plain.jobId]);

    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 299_999n);
    for (const w of [f.stranger, arbiter(), f.client, f.provider]) {
      await expectRevert(f.stakedAs(w).write.escalate([jobId]), "EvaluatorNotStaker", [jobId, addressOf(w)]);
    }
    for (const w of [alice(), bob()]) {
      await expectRevert(f.stakedAs(w).write.escalate([jobId]), "EvaluatorBelowEscalationThreshold", [
        jobId,
        499_999n,
        500_000n,
      ]);
    }
    await stakeOn(f, bob(), jobId, false, 1n);
    // The leading side may escalate too: escalating freezes nothing, so it gains nothing by it.
    expect((await f.staked.read.getCheck([jobId])).passLeads).toBe(true);
    expect((await f.staked.read.getCheck([jobId])).rulingDeadline).toBe(0n);
    const escalated = await f.tx(f.stakedAs(alice()).write.escalate([jobId]));
    expect(eventsOf(escalated, stakedEvaluatorAbi, "CheckEscalated", f.addresses.evaluator)).toEqual([
      { jobId, by: addressOf(alice()) },
    ]);
    // The arbiter's window is the arbitration period after the close, whenever the escalation came.
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.escalated, check.rulingDeadline, check.verdict]).toEqual([
      true,
      closesAt + ARBITRATION,
      Verdict.None,
    ]);
    // The close, the offset and the terms are the job's as before: escalating moves nothing.
    expect([check.closesAt, check.closeOffset, check.minStake, check.flips, check.passLeads]).toEqual([
      closesAt,
      WINDOW,
      MIN_STAKE,
      0n,
      true,
    ]);
    // Only once, by either side.
    for (const w of [alice(), bob()]) {
      await expectRevert(f.stakedAs(w).write.escalate([jobId]), "EvaluatorEscalated", [jobId]);
    }
  });

  it("escalate only before the close (EvaluatorWindowClosed)", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(bob()).write.escalate([jobId]), "EvaluatorWindowClosed", [jobId, closesAt]);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
  });

  it("once escalated, the game goes on (stakes, flips, the close moving, the leader frozen); the arbiter may rule only from the close (EvaluatorRulingNotOpen), which every flip moves, and its ruling overrides the lead", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    await f.setNextTimestamp(closesAt - 150n);
    await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
    await expectRevert(f.stakedAs(alice()).write.escalate([jobId]), "EvaluatorEscalated", [jobId]);
    await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorFailStakePresent", [jobId, 300_000n]);
    // Staking is open, so the arbiter may not rule yet: nobody can stake behind a ruling it saw coming.
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingNotOpen", [jobId, closesAt]);
    // The leader's last response period is frozen as before.
    await f.setNextTimestamp(closesAt - RESPONSE);
    await expectRevert(f.stakedAs(alice()).write.stake([jobId, true, 1n], { value: 1n }), "EvaluatorLeadFrozen", [
      jobId,
      closesAt - RESPONSE,
    ]);
    // A new staker takes the lead for fail and the close moves, and the arbiter's window with it.
    const flip = await stakeAt(closesAt - 50n, carol(), jobId, false, 100_000n);
    expect(leadChanges(flip)).toEqual([{ jobId, pass: false, total: 400_000n, closesAt: closesAt + 50n, flips: 1n }]);
    expect((await f.staked.read.getCheck([jobId])).rulingDeadline).toBe(closesAt + 50n + ARBITRATION);
    // At the old close the ruling is still refused: pass may answer until the new one.
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingNotOpen", [
      jobId,
      closesAt + 50n,
    ]);
    const answer = await stakeAt(closesAt + 49n, alice(), jobId, true, 600_000n);
    const close = closesAt + 149n;
    expect(leadChanges(answer)).toEqual([{ jobId, pass: true, total: 800_000n, closesAt: close, flips: 2n }]);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.escalated, check.rulingDeadline, check.closesAt, check.passLeads, check.flips]).toEqual([
      true,
      close + ARBITRATION,
      close,
      true,
      2n,
    ]);
    await f.setNextTimestamp(close - 1n);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingNotOpen", [jobId, close]);
    // From the close, staking is over and the ruling is open: in the same second, a stake is refused and the
    // arbiter's ruling for fail, not the lead, decides.
    await f.setNextTimestamp(close);
    await expectRevert(
      f.stakedAs(bob()).write.stake([jobId, false, MIN_STAKE], { value: MIN_STAKE }),
      "EvaluatorWindowClosed",
      [jobId, close],
    );
    const ruled = await f.tx(f.stakedAs(arbiter()).write.rule([jobId, false]));
    expect((await f.publicClient.getBlock({ blockNumber: ruled.blockNumber })).timestamp).toBe(close);
    expect(eventsOf(ruled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: 800_000n, failTotal: 400_000n, bondPosted: 0n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    await expectRevert(
      f.stakedAs(bob()).write.stake([jobId, false, MIN_STAKE], { value: MIN_STAKE }),
      "EvaluatorJobNotSubmitted",
      [jobId, Status.Rejected],
    );
    expect(await claimOf(bob(), jobId)).toBe(300_000n + 600_000n);
    expect(await claimOf(carol(), jobId)).toBe(100_000n + 200_000n);
    expect(await claimOf(alice(), jobId)).toBe(0n);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
  });

  it("rule: only the arbiter (EvaluatorNotArbiter), only once escalated (EvaluatorNotEscalated), only from the close (EvaluatorRulingNotOpen) until close + arbitrationPeriod (EvaluatorRulingClosed)", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorNotEscalated", [jobId]);
    await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
    for (const w of [f.client, f.provider, alice(), bob(), f.stranger]) {
      await expectRevert(f.stakedAs(w).write.rule([jobId, false]), "EvaluatorNotArbiter", [jobId, addressOf(w)]);
    }
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingNotOpen", [jobId, closesAt]);
    await f.setNextTimestamp(closesAt - 1n);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, true]), "EvaluatorRulingNotOpen", [jobId, closesAt]);
    // Strangers stay refused inside the window too.
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(f.stranger).write.rule([jobId, false]), "EvaluatorNotArbiter", [
      jobId,
      addressOf(f.stranger),
    ]);
    await f.setNextTimestamp(closesAt + ARBITRATION);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingClosed", [
      jobId,
      closesAt + ARBITRATION,
    ]);
    // Its silence leaves the game's result: pass led at the close.
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
  });

  it("the last second of the arbiter's window still rules (close + arbitrationPeriod - 1)", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    await f.tx(f.stakedAs(alice()).write.escalate([jobId]));
    await f.setNextTimestamp(closesAt + ARBITRATION - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [
      jobId,
      closesAt + ARBITRATION,
    ]);
    await f.tx(f.stakedAs(arbiter()).write.rule([jobId, false]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await claimOf(bob(), jobId)).toBe(500_000n);
    expect(await claimOf(alice(), jobId)).toBe(0n);
  });

  describe.each([
    { ruling: false, leader: "pass" },
    { ruling: true, leader: "fail" },
  ])("the arbiter rules $ruling against a $leader lead", ({ ruling, leader }) => {
    it("its side wins the job and the other side's stakes", async () => {
      const { jobId } = await createCheckedJob(f, { config: withArbiter() });
      // Pass leads with 200_000 against 300_000, or fail leads with 400_000 against 200_000.
      await stakeOn(f, alice(), jobId, true, 200_000n);
      const failTotal = leader === "pass" ? 300_000n : 400_000n;
      await stakeOn(f, bob(), jobId, false, failTotal);
      expect((await f.staked.read.getCheck([jobId])).passLeads).toBe(leader === "pass");
      // Bob escalates: outbid against a pass lead, leading for fail. Any staker may.
      const escalated = await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
      expect(eventsOf(escalated, stakedEvaluatorAbi, "CheckEscalated", f.addresses.evaluator)).toMatchObject([
        { jobId, by: addressOf(bob()) },
      ]);
      const [clientBefore, providerBefore] = await Promise.all([
        f.balanceOf(NATIVE, addressOf(f.client)),
        f.balanceOf(NATIVE, addressOf(f.provider)),
      ]);
      // The first second the arbiter may rule is the close.
      const { closesAt } = await f.staked.read.getCheck([jobId]);
      await f.setNextTimestamp(closesAt - 1n);
      await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, ruling]), "EvaluatorRulingNotOpen", [
        jobId,
        closesAt,
      ]);
      await f.setNextTimestamp(closesAt);
      const ruled = await f.tx(f.stakedAs(arbiter()).write.rule([jobId, ruling]));
      expect(eventNamesOf(ruled, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckRuled", "CheckSettled"]);
      expect(eventsOf(ruled, stakedEvaluatorAbi, "CheckRuled", f.addresses.evaluator)).toEqual([
        { jobId, arbiter: addressOf(arbiter()), pass: ruling },
      ]);
      expect(eventsOf(ruled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
        { jobId, passed: ruling, passTotal: 200_000n, failTotal, bondPosted: 0n },
      ]);
      const reason = checkReason(jobId, ruling, 200_000n, failTotal, 0n);
      if (ruling) {
        expect(eventsOf(ruled, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
          { jobId, evaluator: f.addresses.evaluator, reason },
        ]);
        expect(await f.balanceOf(NATIVE, addressOf(f.provider))).toBe(providerBefore + BUDGET);
      } else {
        expect(eventsOf(ruled, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
          { jobId, rejector: f.addresses.evaluator, reason },
        ]);
        expect(await f.balanceOf(NATIVE, addressOf(f.client))).toBe(clientBefore + BUDGET);
      }
      expect((await f.staked.read.getCheck([jobId])).verdict).toBe(ruling ? Verdict.Pass : Verdict.Fail);
      const everything = 200_000n + failTotal;
      expect(await claimOf(alice(), jobId)).toBe(ruling ? everything : 0n);
      expect(await claimOf(bob(), jobId)).toBe(ruling ? 0n : everything);
      expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
      await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, !ruling]), "EvaluatorAlreadySettled", [jobId]);
      await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAlreadySettled", [jobId]);
    });
  });

  it("a check backed on one side only may be escalated by its stakers (not by anyone else); a ruling for the side nobody backed rejects the job and returns every stake", async () => {
    const { jobId } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, f.provider, jobId, true, 200_000n);
    await stakeOn(f, alice(), jobId, true, 300_000n);
    await expectRevert(f.stakedAs(bob()).write.escalate([jobId]), "EvaluatorNotStaker", [jobId, addressOf(bob())]);
    await f.tx(f.stakedAs(f.provider).write.escalate([jobId]));
    await f.setNextTimestamp((await f.staked.read.getCheck([jobId])).closesAt);
    const ruled = await f.tx(f.stakedAs(arbiter()).write.rule([jobId, false]));
    expect(eventNamesOf(ruled, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual([
      "CheckRuled",
      "CheckVoided",
      "CheckSettled",
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
    expect(await claimOf(f.provider, jobId)).toBe(200_000n);
    expect(await claimOf(alice(), jobId)).toBe(300_000n);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
  });

  it("a ruling for pass while the provider's bond is missing rejects the job and voids the check", async () => {
    const { jobId } = await createCheckedJob(f, { config: withArbiter({ bondBps: 1_000n }) });
    await stakeOn(f, f.provider, jobId, true, 99_999n);
    await stakeOn(f, alice(), jobId, true, 200_001n);
    await stakeOn(f, bob(), jobId, false, 200_000n);
    await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
    await f.setNextTimestamp((await f.staked.read.getCheck([jobId])).closesAt);
    const ruled = await f.tx(f.stakedAs(arbiter()).write.rule([jobId, true]));
    expect(eventsOf(ruled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: 300_000n, failTotal: 200_000n, bondPosted: 99_999n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
    expect(await claimOf(bob(), jobId)).toBe(200_000n);
    expect(await claimOf(alice(), jobId)).toBe(200_001n);
    expect(await claimOf(f.provider, jobId)).toBe(99_999n);
  });

  it("arbiter silence: settle waits for the close (EvaluatorWindowOpen), then for the arbitration period after it (EvaluatorAwaitingRuling), which a flip after the escalation moves; then the leader at the close wins, not the one at escalation", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    // Alice, leading, escalates; the arbiter never answers.
    await f.setNextTimestamp(closesAt - 10n);
    await f.tx(f.stakedAs(alice()).write.escalate([jobId]));
    expect((await f.staked.read.getCheck([jobId])).rulingDeadline).toBe(closesAt + ARBITRATION);
    // After the escalation fail takes the lead, and the close moves past the old one, the deadline with it.
    const flip = await stakeAt(closesAt - 5n, carol(), jobId, false, 100_000n);
    const moved = closesAt - 5n + RESPONSE;
    const deadline = moved + ARBITRATION;
    expect(leadChanges(flip)).toEqual([{ jobId, pass: false, total: 400_000n, closesAt: moved, flips: 1n }]);
    expect((await f.staked.read.getCheck([jobId])).rulingDeadline).toBe(deadline);
    expect(await f.escrow.read.refundableAt([jobId])).toBeGreaterThan(deadline);
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, moved]);
    await f.setNextTimestamp(moved - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, moved]);
    // The close passes: no more stakes, and the check waits for the arbiter.
    await f.setNextTimestamp(moved);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [jobId, deadline]);
    await expectRevert(
      f.stakedAs(alice()).write.stake([jobId, true, 600_000n], { value: 600_000n }),
      "EvaluatorWindowClosed",
      [jobId, moved],
    );
    // The arbitration period counted from the old close is not enough: the deadline moved with the close.
    await f.setNextTimestamp(closesAt + ARBITRATION);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [jobId, deadline]);
    await f.setNextTimestamp(deadline - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [jobId, deadline]);
    expect(await statusOf(f, jobId)).toBe(Status.Submitted);
    await f.setNextTimestamp(deadline);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, true]), "EvaluatorRulingClosed", [jobId, deadline]);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: 200_000n, failTotal: 400_000n, bondPosted: 0n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await claimOf(bob(), jobId)).toBe(300_000n + 150_000n);
    expect(await claimOf(carol(), jobId)).toBe(100_000n + 50_000n);
    expect(await claimOf(alice(), jobId)).toBe(0n);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
  });

  it("arbiter silence after an early escalation by the new leader: the arbiter cannot rule while staking is open, the outbid side answers in the last second, and the leader at the close wins at close + arbitrationPeriod", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { config: withArbiter() });
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 400_000n);
    // Bob, who just took the lead, escalates at once, hoping the arbiter's silence keeps it.
    await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
    await f.setNextTimestamp(closesAt - ARBITRATION);
    await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, false]), "EvaluatorRulingNotOpen", [jobId, closesAt]);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, closesAt]);
    // Alice answers in the last second before the close; the close moves a response period on.
    const answer = await stakeAt(closesAt - 1n, alice(), jobId, true, 600_000n);
    const moved = closesAt - 1n + RESPONSE;
    expect(leadChanges(answer)).toEqual([{ jobId, pass: true, total: 800_000n, closesAt: moved, flips: 2n }]);
    await f.setNextTimestamp(moved - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, moved]);
    await f.setNextTimestamp(moved);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [
      jobId,
      moved + ARBITRATION,
    ]);
    await f.setNextTimestamp(moved + ARBITRATION);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: true, passTotal: 800_000n, failTotal: 400_000n, bondPosted: 0n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await claimOf(alice(), jobId)).toBe(1_200_000n);
    expect(await claimOf(bob(), jobId)).toBe(0n);
  });

  it("an escalation in the delivery's own second keeps the job's terms (close, bond, minimum stake) and staking open; a silent arbiter cannot pay the unbonded provider", async () => {
    // Before escalating stopped nothing, deliver + a fail stake + escalate in one block closed the check at
    // offset 0, which reads as "never configured": the default terms (no bond, a 600 s window) replaced the
    // job's. Now escalating moves no close, so the bundle cannot bring the defaults back.
    const config = withArbiter({ bondBps: 5_000n, escalationBps: 0n });
    const { jobId } = await createFundedJob(f, {
      evaluator: f.addresses.evaluator,
      budget: BUDGET,
      evaluatorData: encodeCheckTerms(config),
    });
    const deliveredAt = (await f.now()) + 10n;
    const gas = 500_000n;
    await f.testClient.setAutomine(false);
    let hashes: `0x${string}`[];
    try {
      await f.setNextTimestamp(deliveredAt);
      hashes = [
        await f.escrowAs(f.provider).write.deliver([jobId, "the work"], { gas }),
        await f.stakedAs(bob()).write.stake([jobId, false, MIN_STAKE], { value: MIN_STAKE, gas }),
        await f.stakedAs(bob()).write.escalate([jobId], { gas }),
      ];
      await f.mine();
    } finally {
      await f.testClient.setAutomine(true);
    }
    const receipts = await Promise.all(hashes.map((hash) => f.publicClient.getTransactionReceipt({ hash })));
    const block = receipts[0]!.blockNumber;
    expect(receipts.map((r) => [r.status, r.blockNumber])).toEqual([
      ["success", block],
      ["success", block],
      ["success", block],
    ]);
    expect((await f.publicClient.getBlock({ blockNumber: block })).timestamp).toBe(deliveredAt);
    expect(await f.staked.read.getCheck([jobId])).toEqual(
      checkView({
        closeOffset: WINDOW,
        closesAt: deliveredAt + WINDOW,
        latestClose: deliveredAt + WINDOW + 3n * RESPONSE,
        responsePeriod: RESPONSE,
        maxFlips: 3n,
        minStake: MIN_STAKE,
        bond: BUDGET / 2n,
        failTotal: MIN_STAKE,
        arbiter: addressOf(arbiter()),
        escalationThreshold: 0n,
        arbitrationPeriod: ARBITRATION,
        escalated: true,
        rulingDeadline: deliveredAt + WINDOW + ARBITRATION,
      }),
    );
    // The job's minimum stake still holds, and staking goes on.
    await expectRevert(
      f.stakedAs(alice()).write.stake([jobId, true, MIN_STAKE - 1n], { value: MIN_STAKE - 1n }),
      "EvaluatorStakeTooSmall",
      [jobId, MIN_STAKE - 1n, MIN_STAKE],
    );
    await stakeOn(f, alice(), jobId, true, MIN_STAKE);
    // The arbiter stays silent and the provider never bonds: pass leads at the close, without the bond.
    const { closesAt } = await f.staked.read.getCheck([jobId]);
    expect(closesAt).toBe(deliveredAt + WINDOW);
    await f.setNextTimestamp(deliveredAt + ARBITRATION);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, closesAt]);
    await f.setNextTimestamp(closesAt);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAwaitingRuling", [
      jobId,
      closesAt + ARBITRATION,
    ]);
    const providerBefore = await f.balanceOf(NATIVE, addressOf(f.provider));
    await f.setNextTimestamp(closesAt + ARBITRATION);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: MIN_STAKE, failTotal: MIN_STAKE, bondPosted: 0n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
    expect(await f.balanceOf(NATIVE, addressOf(f.provider))).toBe(providerBefore);
    expect(await claimOf(bob(), jobId)).toBe(MIN_STAKE);
    expect(await claimOf(alice(), jobId)).toBe(MIN_STAKE);
  });

  it("an arbiter that became the job's provider cannot rule; its silence leaves the leader", async () => {
    const terms = await jobTerms(f, {
      provider: "0x0000000000000000000000000000000000000000",
      evaluator: f.addresses.evaluator,
      evaluatorData: encodeCheckTerms(withArbiter()),
    });
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
    await f.tx(f.escrowAs(f.client).write.setProvider([jobId, addressOf(arbiter())]));
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, BUDGET]));
    await f.tx(f.escrowAs(f.client).write.fund([jobId, BUDGET], { value: BUDGET }));
    await f.tx(f.escrowAs(arbiter()).write.deliver([jobId, "my own work"]));
    await stakeOn(f, alice(), jobId, true, 200_000n);
    await stakeOn(f, bob(), jobId, false, 300_000n);
    await f.tx(f.stakedAs(bob()).write.escalate([jobId]));
    const { rulingDeadline, closesAt } = await f.staked.read.getCheck([jobId]);
    expect(rulingDeadline).toBe(closesAt + ARBITRATION);
    // Refused before the close and inside its window alike.
    for (const at of [closesAt - 1n, closesAt]) {
      await f.setNextTimestamp(at);
      await expectRevert(f.stakedAs(arbiter()).write.rule([jobId, true]), "EvaluatorNotArbiter", [
        jobId,
        addressOf(arbiter()),
      ]);
    }
    await f.setNextTimestamp(rulingDeadline);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
  });
});
