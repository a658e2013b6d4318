import { encodeDeployData, encodeFunctionData, zeroAddress, type Address, type TransactionReceipt } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi, stakedEvaluatorBytecode } from "../../src/contracts/StakedEvaluator.js";
import {
  checkReason,
  checkView,
  createCheckedJob,
  expectedWinnerPayouts,
  stakeOn,
  TEST_DEFAULTS,
} from "../support/contracts-helpers/evaluator.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { decodeRevert, expectRevert } from "../support/contracts-helpers/expectRevert.js";
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
  encodeCheckConfig,
  jobTerms,
  Status,
  statusOf,
  Verdict,
} from "../support/contracts-helpers/jobs.js";
import { callThrough, ReceiverMode } from "../support/contracts-helpers/receivers.js";
import type { TestWallet } from "../support/inProcessChain.js";

const DEFAULT_WINDOW = 600n;
const MAX_WINDOW = 30n * 86_400n;
const EVALUATION_PERIOD = 86_400n;

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const addressOf = (w: TestWallet): Address => w.account.address;
const stakerA = () => f.stakers[0]!;
const stakerB = () => f.stakers[1]!;
const stakerC = () => f.stakers[2]!;
const stakerD = () => f.stakers[3]!;

/** Moves to the first second the job can be settled. */
async function closeWindow(closesAt: bigint): Promise<void> {
  await f.setNextTimestamp(closesAt);
}

describe("StakedEvaluator job configuration", () => {
  it("createAndFund with evaluatorData configures the check (window, minimum stake, bond)", async () => {
    const config = encodeCheckConfig(1_200n, 250n, 5_000n);
    const { jobId, receipt } = await createFundedJob(f, {
      evaluator: f.addresses.evaluator,
      budget: 4_000_000n,
      evaluatorData: config,
    });
    expect(eventNamesOf(receipt, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckConfigured"]);
    expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckConfigured", f.addresses.evaluator)).toEqual([
      { jobId, window: 1_200n, minStakeBps: 250n, bondBps: 5_000n },
    ]);
    expect(await f.staked.read.getCheck([jobId])).toEqual(
      checkView({ closeOffset: 1_200n, minStake: 100_000n, bond: 2_000_000n }),
    );
  });

  it("window 0 takes the default window; createJobWithTerms configures too", async () => {
    const terms = await jobTerms(f, { evaluator: f.addresses.evaluator, evaluatorData: encodeCheckConfig(0n, 0n, 0n) });
    const receipt = await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms]));
    const jobId = createdJobId(receipt);
    expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckConfigured", f.addresses.evaluator)).toEqual([
      { jobId, window: DEFAULT_WINDOW, minStakeBps: 0n, bondBps: 0n },
    ]);
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, 10_000n]));
    // A minimum stake of 0 bps still means at least one base unit.
    expect(await f.staked.read.getCheck([jobId])).toEqual(checkView({ minStake: 1n }));
  });

  it("without evaluatorData the contract defaults apply", async () => {
    expect(await f.staked.read.defaultWindow()).toBe(DEFAULT_WINDOW);
    expect(await f.staked.read.defaultResponsePeriod()).toBe(TEST_DEFAULTS.responsePeriod);
    expect(await f.staked.read.defaultMaxFlips()).toBe(TEST_DEFAULTS.maxFlips);
    expect(await f.staked.read.defaultMinStakeBps()).toBe(100n);
    expect(await f.staked.read.defaultBondBps()).toBe(0n);
    expect(await f.staked.read.minResponsePeriod()).toBe(TEST_DEFAULTS.minResponsePeriod);
    expect(await f.staked.read.minSettleMargin()).toBe(TEST_DEFAULTS.minSettleMargin);
    const { jobId, receipt } = await createFundedJob(f, { evaluator: f.addresses.evaluator, budget: 50_000n });
    expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckConfigured", f.addresses.evaluator)).toEqual([]);
    expect(await f.staked.read.getCheck([jobId])).toEqual(checkView({ minStake: 500n }));
  });

  it("refuses terms whose latest end does not come before the client's refund", async () => {
    // Latest end = window + maxFlips * responsePeriod + minSettleMargin = window + 4 * 300 + 1.
    const base = { evaluator: f.addresses.evaluator, evaluationPeriod: 3_600n };
    for (const window of [2_400n, 3_599n]) {
      const terms = await jobTerms(f, { ...base, evaluatorData: encodeCheckConfig(window, 100n, 0n) });
      await expectRevert(
        f.escrowAs(f.client).write.createAndFund([terms, 1_000n], { value: 1_000n }),
        "EvaluatorTermsOutlastRefund",
        [window + 1_201n, 3_600n],
      );
    }
    // The default window counts too.
    const terms = await jobTerms(f, {
      evaluator: f.addresses.evaluator,
      evaluationPeriod: 1_800n,
      evaluatorData: encodeCheckConfig(0n, 100n, 0n),
    });
    await expectRevert(f.escrowAs(f.client).write.createJobWithTerms([terms]), "EvaluatorTermsOutlastRefund", [
      1_801n,
      1_800n,
    ]);
    const ok = await jobTerms(f, { ...base, evaluatorData: encodeCheckConfig(2_399n, 100n, 0n) });
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([ok])));
    expect((await f.staked.read.getCheck([jobId])).closeOffset).toBe(2_399n);
    expect(await f.escrow.read.jobCount()).toBe(1n);
  });

  it("refuses out-of-range settings and accepts the largest valid ones", async () => {
    const period = 31n * 86_400n;
    const bad: [bigint, bigint, bigint][] = [
      [MAX_WINDOW + 1n, 100n, 0n],
      [600n, 10_001n, 0n],
      [600n, 100n, 10_001n],
    ];
    for (const [window, minStakeBps, bondBps] of bad) {
      const terms = await jobTerms(f, {
        evaluator: f.addresses.evaluator,
        evaluationPeriod: period,
        evaluatorData: encodeCheckConfig(window, minStakeBps, bondBps),
      });
      await expectRevert(f.escrowAs(f.client).write.createJobWithTerms([terms]), "EvaluatorInvalidTerms", [
        window,
        TEST_DEFAULTS.responsePeriod,
        TEST_DEFAULTS.maxFlips,
        minStakeBps,
        bondBps,
      ]);
    }
    const { jobId } = await createFundedJob(f, {
      evaluator: f.addresses.evaluator,
      evaluationPeriod: period,
      budget: 10_000n,
      evaluatorData: encodeCheckConfig(MAX_WINDOW, 10_000n, 10_000n),
    });
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.closeOffset, check.minStake, check.bond]).toEqual([MAX_WINDOW, 10_000n, 10_000n]);
  });

  it("a job that uses the default check with a short evaluation period is refused at creation", async () => {
    // Without evaluatorData the default terms apply; they must end before the client may claim a refund
    // just as explicit ones, so a custom evaluation period they do not fit is refused.
    const evaluationPeriod = 100n;
    const expiredAt = (await f.now()) + 1_000n;
    const terms = await jobTerms(f, { evaluator: f.addresses.evaluator, evaluationPeriod, expiredAt });
    await expectRevert(
      f.escrowAs(f.client).write.createAndFund([terms, 1_000_000n], { value: 1_000_000n }),
      "EvaluatorTermsOutlastRefund",
      [DEFAULT_WINDOW + 4n * 300n + 1n, evaluationPeriod],
    );
    expect(await f.escrow.read.jobCount()).toBe(0n);
  });

  it("only the escrow may configure a job", async () => {
    const { jobId } = await createFundedJob(f, { evaluator: f.addresses.evaluator });
    const data = encodeCheckConfig(100n, 100n, 0n);
    for (const w of [f.client, f.stranger]) {
      await expectRevert(
        f.stakedAs(w).write.configureJob([jobId, addressOf(f.client), addressOf(f.provider), EVALUATION_PERIOD, data]),
        "EvaluatorOnlyEscrow",
        [addressOf(w)],
      );
    }
    expect((await f.staked.read.getCheck([jobId])).closeOffset).toBe(DEFAULT_WINDOW);
  });

  it("the constructor refuses invalid defaults", async () => {
    const defaults = {
      window: 0n,
      responsePeriod: 300n,
      maxFlips: 4n,
      minStakeBps: 100n,
      bondBps: 0n,
      arbiter: zeroAddress,
      escalationBps: 0n,
      arbitrationPeriod: 0n,
    };
    await expectRevert(
      f.publicClient.call({
        account: f.deployer.account,
        data: encodeDeployData({
          abi: stakedEvaluatorAbi,
          bytecode: stakedEvaluatorBytecode,
          args: [f.addresses.escrow, defaults, 1n, 1n],
        }),
      }),
      "EvaluatorInvalidTerms",
      [0n, 300n, 4n, 100n, 0n],
    );
  });
});

describe.each(["native", "erc20"] as const)("StakedEvaluator staking, %s", (kind) => {
  const token = (): Address => f[kind].token;

  it("stakes move the token into the evaluator and add up per side", async () => {
    const { jobId } = await createCheckedJob(f, { token: token() });
    const before = await f.balanceOf(token(), f.addresses.evaluator);
    const first = await stakeOn(f, stakerA(), jobId, true, 30_000n, token());
    expect(eventsOf(first, stakedEvaluatorAbi, "Staked", f.addresses.evaluator)).toEqual([
      { jobId, staker: addressOf(stakerA()), token: token(), pass: true, amount: 30_000n },
    ]);
    await stakeOn(f, stakerA(), jobId, true, 5n, token());
    await stakeOn(f, stakerB(), jobId, false, 20_000n, token());
    await stakeOn(f, f.provider, jobId, true, 10_000n, token());
    expect(await f.staked.read.stakeOf([jobId, addressOf(stakerA())])).toEqual([30_005n, true]);
    expect(await f.staked.read.stakeOf([jobId, addressOf(stakerB())])).toEqual([20_000n, false]);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.passTotal, check.failTotal, check.verdict]).toEqual([40_005n, 20_000n, Verdict.None]);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(before + 60_005n);
    expect(await f.staked.read.claimable([jobId, addressOf(stakerA())])).toBe(0n);
  });

  it("refuses the client, a provider betting on fail, a side change, and stakes below the minimum", async () => {
    const { jobId } = await createCheckedJob(f, { token: token() });
    const value = (amount: bigint) => ({ value: token() === NATIVE ? amount : 0n });
    if (token() !== NATIVE) {
      for (const w of [f.client, f.provider, stakerA()]) await f.mintAndApprove(token(), w, 1_000_000n);
    }
    await expectRevert(
      f.stakedAs(f.client).write.stake([jobId, true, 20_000n], value(20_000n)),
      "EvaluatorClientCannotStake",
      [jobId],
    );
    await expectRevert(
      f.stakedAs(f.provider).write.stake([jobId, false, 20_000n], value(20_000n)),
      "EvaluatorProviderMustStakePass",
      [jobId],
    );
    await expectRevert(
      f.stakedAs(stakerA()).write.stake([jobId, true, 9_999n], value(9_999n)),
      "EvaluatorStakeTooSmall",
      [jobId, 9_999n, 10_000n],
    );
    await expectRevert(f.stakedAs(stakerA()).write.stake([jobId, true, 0n], value(0n)), "EvaluatorStakeTooSmall", [
      jobId,
      0n,
      10_000n,
    ]);
    await f.tx(f.stakedAs(stakerA()).write.stake([jobId, true, 10_000n], value(10_000n)));
    await expectRevert(
      f.stakedAs(stakerA()).write.stake([jobId, false, 10_000n], value(10_000n)),
      "EvaluatorSideConflict",
      [jobId, true],
    );
    await expectRevert(f.stakedAs(stakerA()).write.stake([jobId, true, 0n], value(0n)), "EvaluatorStakeTooSmall", [
      jobId,
      10_000n,
      10_000n,
    ]);
    // Once above the minimum, any top-up counts.
    await f.tx(f.stakedAs(stakerA()).write.stake([jobId, true, 1n], value(1n)));
    expect(await f.staked.read.stakeOf([jobId, addressOf(stakerA())])).toEqual([10_001n, true]);
  });

  it("refuses a msg.value that does not match", async () => {
    const { jobId } = await createCheckedJob(f, { token: token() });
    if (token() === NATIVE) {
      for (const sent of [0n, 19_999n, 20_001n]) {
        await expectRevert(
          f.stakedAs(stakerA()).write.stake([jobId, true, 20_000n], { value: sent }),
          "EvaluatorWrongValue",
          [20_000n, sent],
        );
      }
    } else {
      await f.mintAndApprove(token(), stakerA(), 20_000n);
      await expectRevert(
        f.stakedAs(stakerA()).write.stake([jobId, true, 20_000n], { value: 1n }),
        "EvaluatorWrongValue",
        [0n, 1n],
      );
    }
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
  });

  it("only while the job is Submitted and the window is open", async () => {
    const value = (amount: bigint) => ({ value: token() === NATIVE ? amount : 0n });
    if (token() !== NATIVE) await f.mintAndApprove(token(), stakerA(), 1_000_000n);
    const { jobId: funded } = await createFundedJob(f, { token: token(), evaluator: f.addresses.evaluator });
    await expectRevert(
      f.stakedAs(stakerA()).write.stake([funded, true, 20_000n], value(20_000n)),
      "EvaluatorJobNotSubmitted",
      [funded, Status.Funded],
    );
    const { jobId, closesAt } = await createCheckedJob(f, { token: token() });
    if (token() !== NATIVE) await f.mintAndApprove(token(), stakerB(), 1_000_000n);
    await f.tx(f.stakedAs(stakerA()).write.stake([jobId, true, 20_000n], value(20_000n)));
    // The last second is open to a stake that does not take the lead (the leader is frozen by then).
    await f.setNextTimestamp(closesAt - 1n);
    await f.tx(f.stakedAs(stakerB()).write.stake([jobId, false, 20_000n], value(20_000n)));
    await f.setNextTimestamp(closesAt);
    await expectRevert(
      f.stakedAs(stakerB()).write.stake([jobId, false, 20_000n], value(20_000n)),
      "EvaluatorWindowClosed",
      [jobId, closesAt],
    );
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    await expectRevert(
      f.stakedAs(stakerB()).write.stake([jobId, true, 20_000n], value(20_000n)),
      "EvaluatorJobNotSubmitted",
      [jobId, Status.Completed],
    );
  });

  it("settles only after the window; a job with no stakes and no bond passes and the provider is paid", async () => {
    const { jobId, closesAt, budget } = await createCheckedJob(f, { token: token() });
    await f.setNextTimestamp(closesAt - 1n);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorWindowOpen", [jobId, closesAt]);
    const providerBefore = await f.balanceOf(token(), addressOf(f.provider));
    await closeWindow(closesAt);
    const receipt = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    const reason = checkReason(jobId, true, 0n, 0n, 0n);
    expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: true, passTotal: 0n, failTotal: 0n, bondPosted: 0n },
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
      { jobId, evaluator: f.addresses.evaluator, reason },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await f.balanceOf(token(), addressOf(f.provider))).toBe(providerBefore + budget);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Pass);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAlreadySettled", [jobId]);
  });

  it("passes when the bond is posted and pass stakes win; winners share the losing side pro rata", async () => {
    const { jobId, closesAt, budget } = await createCheckedJob(f, {
      token: token(),
      config: { windowSeconds: 900n, minStakeBps: 100n, bondBps: 3_000n },
    });
    // Bond 300_000; fail side 200_003 shared over pass side 1_000_000 (provider 300_000, A 700_000).
    await stakeOn(f, f.provider, jobId, true, 300_000n, token());
    await stakeOn(f, stakerA(), jobId, true, 700_000n, token());
    await stakeOn(f, stakerB(), jobId, false, 200_000n, token());
    await stakeOn(f, stakerC(), jobId, false, 10_003n, token());
    const evaluatorHeld = await f.balanceOf(token(), f.addresses.evaluator);
    expect(evaluatorHeld).toBe(1_210_003n);

    await closeWindow(closesAt);
    const providerBefore = await f.balanceOf(token(), addressOf(f.provider));
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: true, passTotal: 1_000_000n, failTotal: 210_003n, bondPosted: 300_000n },
    ]);
    expect(eventsOf(settled, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
      { jobId, evaluator: f.addresses.evaluator, reason: checkReason(jobId, true, 1_000_000n, 210_003n, 300_000n) },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await f.balanceOf(token(), addressOf(f.provider))).toBe(providerBefore + budget);

    const [providerPayout, aPayout] = expectedWinnerPayouts([300_000n, 700_000n], 210_003n);
    expect(await f.staked.read.claimable([jobId, addressOf(f.provider)])).toBe(providerPayout);
    expect(await f.staked.read.claimable([jobId, addressOf(stakerB())])).toBe(0n);
    await expectClaim(f.provider, jobId, 300_000n, providerPayout!);
    // A loser's claim pays nothing but closes the position.
    await expectClaim(stakerB(), jobId, 200_000n, 0n);
    await expectClaim(stakerA(), jobId, 700_000n, aPayout!);
    await expectClaim(stakerC(), jobId, 10_003n, 0n);
    expect(providerPayout! + aPayout!).toBe(1_210_003n);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.passTotal, check.failTotal, check.verdict]).toEqual([0n, 0n, Verdict.Pass]);
    for (const w of [f.provider, stakerA(), stakerB(), stakerC(), stakerD()]) {
      await expectRevert(f.stakedAs(w).write.claim([jobId]), "EvaluatorNothingToClaim", [jobId, addressOf(w)]);
    }
  });

  it("a tie passes: fail must bring twice the pass side to take the lead", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, stakerA(), jobId, true, 50_000n, token());
    await stakeOn(f, stakerB(), jobId, false, 50_000n, token());
    await closeWindow(closesAt);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)[0]?.passed).toBe(true);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    await expectClaim(stakerA(), jobId, 50_000n, 100_000n);
    await expectClaim(stakerB(), jobId, 50_000n, 0n);
  });

  it("fails when fail stakes reach twice the pass side: the client is refunded and fail stakers win", async () => {
    const { jobId, closesAt, budget } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, f.provider, jobId, true, 40_000n, token());
    await stakeOn(f, stakerA(), jobId, false, 60_000n, token());
    // 80_000 is exactly twice the pass side: the lead changes, early in the window, so the close stays.
    const flip = await stakeOn(f, stakerB(), jobId, false, 20_000n, token());
    expect(eventsOf(flip, stakedEvaluatorAbi, "LeadChanged", f.addresses.evaluator)).toEqual([
      { jobId, pass: false, total: 80_000n, closesAt, flips: 1n },
    ]);
    await closeWindow(closesAt);
    const clientBefore = await f.balanceOf(token(), addressOf(f.client));
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    const reason = checkReason(jobId, false, 40_000n, 80_000n, 40_000n);
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: 40_000n, failTotal: 80_000n, bondPosted: 40_000n },
    ]);
    expect(eventsOf(settled, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
      { jobId, rejector: f.addresses.evaluator, reason },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await f.balanceOf(token(), addressOf(f.client))).toBe(clientBefore + budget);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Fail);
    // Claimed in the other order than staked: B first, A last takes the remainder.
    const [bPayout, aPayout] = expectedWinnerPayouts([20_000n, 60_000n], 40_000n);
    await expectClaim(stakerB(), jobId, 20_000n, bPayout!);
    await expectClaim(f.provider, jobId, 40_000n, 0n);
    await expectClaim(stakerA(), jobId, 60_000n, aPayout!);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
  });

  it("fails when the required bond is missing or short, even with pass stakes winning, and voids the check", async () => {
    const config = { windowSeconds: 600n, minStakeBps: 100n, bondBps: 1_000n };
    // Bond is 100_000; the provider posts 99_999 and a pass staker adds 500_000. Nobody stakes fail.
    const { jobId, closesAt, budget } = await createCheckedJob(f, { token: token(), config });
    await stakeOn(f, f.provider, jobId, true, 99_999n, token());
    await stakeOn(f, stakerA(), jobId, true, 500_000n, token());
    await closeWindow(closesAt);
    const clientBefore = await f.balanceOf(token(), addressOf(f.client));
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventNamesOf(settled, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckVoided", "CheckSettled"]);
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: false, passTotal: 599_999n, failTotal: 0n, bondPosted: 99_999n },
    ]);
    expect(eventsOf(settled, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
      { jobId, rejector: f.addresses.evaluator, reason: checkReason(jobId, false, 599_999n, 0n, 99_999n) },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await f.balanceOf(token(), addressOf(f.client))).toBe(clientBefore + budget);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
    await expectClaim(f.provider, jobId, 99_999n, 99_999n);
    await expectClaim(stakerA(), jobId, 500_000n, 500_000n);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);

    // No stakes at all but a bond required: the job fails and the check is void, with nothing to return.
    const second = await createCheckedJob(f, { token: token(), config });
    await closeWindow(second.closesAt);
    const none = await f.tx(f.stakedAs(f.stranger).write.settle([second.jobId]));
    expect(eventNamesOf(none, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckVoided", "CheckSettled"]);
    expect(await statusOf(f, second.jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([second.jobId])).verdict).toBe(Verdict.Void);
  });

  it("a bond posted in full with fail stakes winning still fails, and the bond goes to the fail side", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, {
      token: token(),
      config: { windowSeconds: 600n, minStakeBps: 100n, bondBps: 1_000n },
    });
    await stakeOn(f, f.provider, jobId, true, 100_000n, token());
    await stakeOn(f, stakerA(), jobId, false, 200_000n, token());
    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    await expectClaim(stakerA(), jobId, 200_000n, 300_000n);
    await expectClaim(f.provider, jobId, 100_000n, 0n);
  });

  it("voids the check when the job expires before settlement and returns every stake", async () => {
    const { jobId, submittedAt, budget } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, f.provider, jobId, true, 20_000n, token());
    await stakeOn(f, stakerA(), jobId, false, 30_000n, token());
    await stakeOn(f, stakerB(), jobId, true, 15_000n, token());
    await f.setNextTimestamp(submittedAt + EVALUATION_PERIOD);
    const clientBefore = await f.balanceOf(token(), addressOf(f.client));
    await f.tx(f.escrowAs(f.stranger).write.claimRefund([jobId]));
    expect(await f.balanceOf(token(), addressOf(f.client))).toBe(clientBefore + budget);
    expect(await statusOf(f, jobId)).toBe(Status.Expired);

    await expectRevert(f.stakedAs(stakerA()).write.claim([jobId]), "EvaluatorNotSettled", [jobId]);
    const voided = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventNamesOf(voided, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckVoided"]);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorAlreadySettled", [jobId]);
    await expectClaim(stakerA(), jobId, 30_000n, 30_000n);
    await expectClaim(f.provider, jobId, 20_000n, 20_000n);
    await expectClaim(stakerB(), jobId, 15_000n, 15_000n);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
    await expectRevert(f.stakedAs(stakerB()).write.claim([jobId]), "EvaluatorNothingToClaim", [
      jobId,
      addressOf(stakerB()),
    ]);
  });

  it("the client approves early while nobody stakes fail; pass stakes are returned", async () => {
    const { jobId, budget } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, f.provider, jobId, true, 12_345n, token());
    await stakeOn(f, stakerA(), jobId, true, 54_321n, token());
    for (const w of [f.provider, stakerA(), f.stranger]) {
      await expectRevert(f.stakedAs(w).write.approve([jobId]), "EvaluatorUnauthorized", [jobId, addressOf(w)]);
    }
    const providerBefore = await f.balanceOf(token(), addressOf(f.provider));
    const approved = await f.tx(f.stakedAs(f.client).write.approve([jobId]));
    expect(eventsOf(approved, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
      { jobId, passed: true, passTotal: 66_666n, failTotal: 0n, bondPosted: 12_345n },
    ]);
    expect(eventsOf(approved, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
      { jobId, evaluator: f.addresses.evaluator, reason: checkReason(jobId, true, 66_666n, 0n, 12_345n) },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await f.balanceOf(token(), addressOf(f.provider))).toBe(providerBefore + budget);
    await expectClaim(stakerA(), jobId, 54_321n, 54_321n);
    await expectClaim(f.provider, jobId, 12_345n, 12_345n);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
    await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorJobNotSubmitted", [
      jobId,
      Status.Completed,
    ]);
  });

  it("the client cannot approve once someone staked fail, however small against the pass side", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, stakerA(), jobId, false, 10_000n, token());
    await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorFailStakePresent", [jobId, 10_000n]);
    await stakeOn(f, stakerB(), jobId, true, 90_000n, token());
    await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorFailStakePresent", [jobId, 10_000n]);
    expect(await statusOf(f, jobId)).toBe(Status.Submitted);
    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    await expectClaim(stakerB(), jobId, 90_000n, 100_000n);
    await expectClaim(stakerA(), jobId, 10_000n, 0n);
  });

  it("fail wins with nobody on pass: the fail stakers take back their own stakes", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, stakerA(), jobId, false, 10_000n, token());
    await stakeOn(f, stakerC(), jobId, false, 20_000n, token());
    await closeWindow(closesAt);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)[0]?.passed).toBe(false);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Fail);
    await expectClaim(stakerC(), jobId, 20_000n, 20_000n);
    await expectClaim(stakerA(), jobId, 10_000n, 10_000n);
    expect(await f.balanceOf(token(), f.addresses.evaluator)).toBe(0n);
  });

  it("claimTo sends the payout to another address", async () => {
    const { jobId, closesAt } = await createCheckedJob(f, { token: token() });
    await stakeOn(f, stakerA(), jobId, true, 10_000n, token());
    await stakeOn(f, stakerB(), jobId, false, 10_000n, token());
    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    const to = addressOf(stakerD());
    const toBefore = await f.balanceOf(token(), to);
    const receipt = await f.tx(f.stakedAs(stakerA()).write.claimTo([jobId, to]));
    expect(eventsOf(receipt, stakedEvaluatorAbi, "StakeClaimed", f.addresses.evaluator)).toEqual([
      { jobId, staker: addressOf(stakerA()), token: token(), to, stake: 10_000n, amount: 20_000n },
    ]);
    expect(await f.balanceOf(token(), to)).toBe(toBefore + 20_000n);
    expect(await f.staked.read.stakeOf([jobId, addressOf(stakerA())])).toEqual([0n, false]);
  });

  /** Claims as `wallet` and checks the event, the payout and that the position is closed. */
  async function expectClaim(
    wallet: TestWallet,
    jobId: bigint,
    stake: bigint,
    amount: bigint,
  ): Promise<TransactionReceipt> {
    const account = addressOf(wallet);
    expect(await f.staked.read.claimable([jobId, account])).toBe(amount);
    const before = await f.balanceOf(token(), account);
    const receipt = await f.tx(f.stakedAs(wallet).write.claim([jobId]));
    expect(eventsOf(receipt, stakedEvaluatorAbi, "StakeClaimed", f.addresses.evaluator)).toEqual([
      { jobId, staker: account, token: token(), to: account, stake, amount },
    ]);
    const gas = token() === NATIVE ? gasCost(receipt) : 0n;
    expect(await f.balanceOf(token(), account)).toBe(before + amount - gas);
    expect(await f.staked.read.stakeOf([jobId, account])).toEqual([0n, false]);
    return receipt;
  }
});

describe("StakedEvaluator refusals", () => {
  it("refuses jobs it does not evaluate", async () => {
    const { jobId } = await createFundedJob(f);
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
    await expectRevert(
      f.stakedAs(stakerA()).write.stake([jobId, true, 100_000n], { value: 100_000n }),
      "EvaluatorNotJobEvaluator",
      [jobId],
    );
    await f.increaseTime(DEFAULT_WINDOW);
    await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorNotJobEvaluator", [jobId]);
    await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorNotJobEvaluator", [jobId]);
  });

  it("cannot settle a job that is Open, Funded or declined", async () => {
    const terms = await jobTerms(f, { evaluator: f.addresses.evaluator });
    const open = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
    await expectRevert(f.stakedAs(f.stranger).write.settle([open]), "EvaluatorNotSettleable", [open, Status.Open]);
    const { jobId: funded } = await createFundedJob(f, { evaluator: f.addresses.evaluator });
    await expectRevert(f.stakedAs(f.stranger).write.settle([funded]), "EvaluatorNotSettleable", [
      funded,
      Status.Funded,
    ]);
    await expectRevert(f.stakedAs(f.client).write.approve([funded]), "EvaluatorJobNotSubmitted", [
      funded,
      Status.Funded,
    ]);
    await f.tx(f.escrowAs(f.provider).write.decline([funded]));
    await expectRevert(f.stakedAs(f.stranger).write.settle([funded]), "EvaluatorNotSettleable", [
      funded,
      Status.Rejected,
    ]);
  });

  it("a Funded job that expires undelivered voids its check", async () => {
    const { jobId, terms } = await createFundedJob(f, {
      evaluator: f.addresses.evaluator,
      expiredAt: (await f.now()) + 1_000n,
    });
    await f.setNextTimestamp(terms.expiredAt);
    await f.tx(f.escrowAs(f.client).write.claimRefund([jobId]));
    const receipt = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(eventNamesOf(receipt, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckVoided"]);
    expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Void);
  });

  it("refuses a stake over 88 bits", async () => {
    const budget = 2n ** 88n - 1n;
    const { jobId } = await createCheckedJob(f, { token: f.erc20.token, budget });
    const tooMuch = 2n ** 88n;
    await f.mintAndApprove(f.erc20.token, stakerA(), tooMuch);
    await expectRevert(f.stakedAs(stakerA()).write.stake([jobId, true, tooMuch]), "EvaluatorStakeTooLarge", [
      jobId,
      tooMuch,
    ]);
    await f.tx(f.stakedAs(stakerA()).write.stake([jobId, true, tooMuch - 1n]));
    await expectRevert(f.stakedAs(stakerA()).write.stake([jobId, true, 1n]), "EvaluatorStakeTooLarge", [
      jobId,
      tooMuch,
    ]);
    expect(await f.staked.read.stakeOf([jobId, addressOf(stakerA())])).toEqual([tooMuch - 1n, true]);
  });

  it("refuses a token that starts charging a transfer fee", async () => {
    const token = await f.deployConfigurableToken();
    const { jobId } = await createCheckedJob(f, { token: token.address });
    await f.tx(token.write.setFeeBps([100n]));
    await f.mintAndApprove(token.address, stakerA(), 100_000n);
    await expectRevert(f.stakedAs(stakerA()).write.stake([jobId, true, 100_000n]), "EvaluatorTransferShortfall", [
      token.address,
      100_000n,
      99_000n,
    ]);
    expect(await token.read.balanceOf([f.addresses.evaluator])).toBe(0n);
  });

  it("a native claim to a receiver that refuses it reverts; claimTo another address works", async () => {
    const mock = await f.deployReceiver();
    const { jobId, closesAt } = await createCheckedJob(f);
    const stakeData = encodeFunctionData({
      abi: stakedEvaluatorAbi,
      functionName: "stake",
      args: [jobId, true, 40_000n],
    });
    await callThrough(f, mock, f.addresses.evaluator, stakeData, 40_000n);
    await stakeOn(f, stakerA(), jobId, false, 10_000n);
    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    await f.tx(mock.write.setMode([ReceiverMode.Revert]));
    const claim = encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] });
    await expectRevert(callThrough(f, mock, f.addresses.evaluator, claim), "EvaluatorClaimFailed", [
      mock.address,
      50_000n,
    ]);
    const to = addressOf(stakerD());
    const before = await f.balanceOf(NATIVE, to);
    await callThrough(
      f,
      mock,
      f.addresses.evaluator,
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claimTo", args: [jobId, to] }),
    );
    expect(await f.balanceOf(NATIVE, to)).toBe(before + 50_000n);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(0n);
  });
});

describe("StakedEvaluator against reentrancy", () => {
  const REENTRANT = "ReentrancyGuardReentrantCall";

  it("a reentrant token cannot re-enter stake or claim", async () => {
    const token = await f.deployReentrantToken();
    const { jobId, closesAt } = await createCheckedJob(f, { token: token.address });
    await f.mintAndApprove(token.address, stakerA(), 100_000n);
    await f.mintAndApprove(token.address, stakerB(), 100_000n);

    await f.tx(
      token.write.arm([
        f.addresses.evaluator,
        encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "stake", args: [jobId, true, 50_000n] }),
      ]),
    );
    await f.tx(f.stakedAs(stakerA()).write.stake([jobId, true, 30_000n]));
    expect(await token.read.callbackSucceeded()).toBe(false);
    expect(decodeRevert(await token.read.callbackRevertData()).errorName).toBe(REENTRANT);
    await f.tx(f.stakedAs(stakerB()).write.stake([jobId, false, 10_000n]));
    expect(await token.read.balanceOf([f.addresses.evaluator])).toBe(40_000n);

    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    await f.tx(
      token.write.arm([
        f.addresses.evaluator,
        encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] }),
      ]),
    );
    await f.tx(f.stakedAs(stakerA()).write.claim([jobId]));
    expect(await token.read.attempted()).toBe(true);
    expect(await token.read.callbackSucceeded()).toBe(false);
    expect(decodeRevert(await token.read.callbackRevertData()).errorName).toBe(REENTRANT);
    expect(await token.read.balanceOf([addressOf(stakerA())])).toBe(70_000n + 40_000n);
    expect(await token.read.balanceOf([f.addresses.evaluator])).toBe(0n);
  });

  it("a reentrant staker cannot claim twice", async () => {
    const mock = await f.deployReceiver();
    const { jobId, closesAt } = await createCheckedJob(f);
    await callThrough(
      f,
      mock,
      f.addresses.evaluator,
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "stake", args: [jobId, false, 25_000n] }),
      25_000n,
    );
    await stakeOn(f, stakerA(), jobId, false, 25_000n);
    await stakeOn(f, stakerB(), jobId, true, 20_000n);
    await closeWindow(closesAt);
    await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    const claim = encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] });
    await f.tx(mock.write.arm([f.addresses.evaluator, claim]));
    await callThrough(f, mock, f.addresses.evaluator, claim);
    expect(await mock.read.callbackSucceeded()).toBe(false);
    expect(decodeRevert(await mock.read.callbackRevertData()).errorName).toBe(REENTRANT);
    expect(await mock.read.received()).toBe(35_000n);
    await expectRevert(callThrough(f, mock, f.addresses.evaluator, claim), "EvaluatorNothingToClaim", [
      jobId,
      mock.address,
    ]);
    // Stakes were 70_000; A's winning 25_000 plus its 10_000 share of the pass side are still owed.
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(35_000n);
  });

  it("a provider paid by settle cannot re-enter the evaluator to claim during the payout", async () => {
    const mock = await f.deployReceiver();
    const { jobId } = await createFundedJob(f, { provider: mock.address, evaluator: f.addresses.evaluator });
    await callThrough(
      f,
      mock,
      f.addresses.escrow,
      encodeFunctionData({ abi: jobEscrowAbi, functionName: "deliver", args: [jobId, "work"] }),
    );
    await callThrough(
      f,
      mock,
      f.addresses.evaluator,
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "stake", args: [jobId, true, 10_000n] }),
      10_000n,
    );
    await f.tx(
      mock.write.arm([
        f.addresses.evaluator,
        encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] }),
      ]),
    );
    await f.increaseTime(DEFAULT_WINDOW);
    const settled = await f.tx(f.stakedAs(f.stranger).write.settle([jobId]));
    expect(await mock.read.callbackSucceeded()).toBe(false);
    expect(decodeRevert(await mock.read.callbackRevertData()).errorName).toBe(REENTRANT);
    expect(eventsOf(settled, jobEscrowAbi, "PaymentReleased", f.addresses.escrow)[0]?.amount).toBe(1_000_000n);
    expect(eventsOf(settled, stakedEvaluatorAbi, "StakeClaimed", f.addresses.evaluator)).toEqual([]);
    expect(await mock.read.received()).toBe(1_000_000n);
    expect(await f.staked.read.stakeOf([jobId, mock.address])).toEqual([10_000n, true]);
    expect(await f.balanceOf(NATIVE, f.addresses.evaluator)).toBe(10_000n);
  });
});
