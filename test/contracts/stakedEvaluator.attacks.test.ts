/**
 * Issue 9's attack table as regression tests, one `it` per row, each ending with the attacker's balance delta:
 * every attack that won money on the old check (a window that never moved, a one-wei lead deciding, a missing
 * bond paying fail, terms a refund could pre-empt, amounts that could not be staked) now leaves the attacker
 * out of pocket and no honest party a wei poorer. Deltas are exact and net of gas (the ledger books each
 * transaction's gas back to its sender), for native ETH and an ERC-20 token.
 *
 * The parties: the client (wallet 1) and its second address (wallet 8), the provider (wallet 2) and its second
 * address (wallet 9), honest checkers (wallets 5 to 7), a rich out-staker (wallet 13) and an arbiter (wallet 12).
 * Terms as in the issue unless stated: budget 1 unit, a 50% bond, a 600 s window; the deployment's default
 * response period (300 s) and flips (4).
 */
import type { Address, TransactionReceipt } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckSettings, encodeCheckTerms } from "../../src/chain/checkTerms.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  type Asset,
  createGuildFixture,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import { createdJobId, jobTerms, Status, statusOf, Verdict } from "../support/contracts-helpers/jobs.js";
import { BalanceLedger } from "../support/contracts-helpers/ledger.js";
import type { TestWallet } from "../support/inProcessChain.js";

const RESPONSE = 300n;
/** The issue's terms: a 600 s window and a 50% bond. */
const ISSUE_TERMS: CheckSettings = { windowSeconds: 600n, bondBps: 5_000n };

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const client = () => f.client;
const clientSecond = () => f.stakers[3]!;
const provider = () => f.provider;
const providerSecond = () => f.stakers[4]!;
const honestA = () => f.stakers[0]!;
const honestB = () => f.stakers[1]!;
const honestC = () => f.stakers[2]!;
const arbiter = () => f.wallets[12]!;
const rich = () => f.wallets[13]!;
const parties = () => [
  client(),
  clientSecond(),
  provider(),
  providerSecond(),
  honestA(),
  honestB(),
  honestC(),
  arbiter(),
  rich(),
];
const addressOf = (w: TestWallet): Address => w.account.address;

/** One checked job between the parties, with everything each of them sends booked on a ledger. */
class Attack {
  jobId = 0n;
  closesAt = 0n;

  constructor(
    readonly token: Address,
    readonly unit: bigint,
    readonly ledger: BalanceLedger,
  ) {}

  /** Funds every party (ERC-20: minted before the ledger starts) and opens the ledger. */
  static async begin(asset: Asset): Promise<Attack> {
    const unit = asset.token === NATIVE ? 10n ** 18n : 10n ** 6n;
    if (asset.token !== NATIVE) {
      for (const wallet of parties()) await f.mintAndApprove(asset.token, wallet, 100n * unit);
    }
    const ledger = new BalanceLedger(f, asset.token);
    await ledger.start(parties());
    return new Attack(asset.token, unit, ledger);
  }

  /** `numerator / denominator` units. */
  u(numerator: bigint, denominator = 1n): bigint {
    return (numerator * this.unit) / denominator;
  }

  /**
   * The client creates and funds a job judged by the staked evaluator; the provider delivers. `expiresIn`
   * (seconds) short enough makes the refund wait for the evaluation period alone.
   */
  async createAndDeliver(
    config: CheckSettings,
    { budget = this.unit, evaluationPeriod = 0n, expiresIn = 86_400n } = {},
  ): Promise<void> {
    const terms = await jobTerms(f, {
      token: this.token,
      evaluator: f.addresses.evaluator,
      expiredAt: (await f.now()) + expiresIn,
      evaluationPeriod,
      evaluatorData: encodeCheckTerms(config),
    });
    const value = this.token === NATIVE ? budget : 0n;
    this.jobId = createdJobId(
      await this.ledger.tx(f.escrowAs(client()).write.createAndFund([terms, budget], { value })),
    );
    await this.ledger.tx(f.escrowAs(provider()).write.deliver([this.jobId, "the work"]));
    this.closesAt = (await f.staked.read.getCheck([this.jobId])).closesAt;
  }

  /** Stakes as `wallet`, in the block at `at` when given; returns the LeadChanged events. */
  async stake(wallet: TestWallet, pass: boolean, amount: bigint, at?: bigint) {
    if (at !== undefined) await f.setNextTimestamp(at);
    const value = this.token === NATIVE ? amount : 0n;
    const receipt = await this.ledger.tx(f.stakedAs(wallet).write.stake([this.jobId, pass, amount], { value }));
    return eventsOf(receipt, stakedEvaluatorAbi, "LeadChanged", f.addresses.evaluator);
  }

  /** The stake call itself, for asserting a refusal. */
  stakeCall(wallet: TestWallet, pass: boolean, amount: bigint) {
    const value = this.token === NATIVE ? amount : 0n;
    return f.stakedAs(wallet).write.stake([this.jobId, pass, amount], { value });
  }

  async settle(at?: bigint): Promise<TransactionReceipt> {
    if (at !== undefined) await f.setNextTimestamp(at);
    return this.ledger.tx(f.stakedAs(honestC()).write.settle([this.jobId]));
  }

  /**
   * Settles an escalated check whose arbiter stayed silent, at the first second it may: the close plus the
   * arbitration period. A second earlier it is refused (EvaluatorAwaitingRuling).
   */
  async settleAfterSilence(): Promise<TransactionReceipt> {
    const { closesAt, rulingDeadline, arbitrationPeriod, escalated } = await f.staked.read.getCheck([this.jobId]);
    expect(escalated).toBe(true);
    expect(rulingDeadline).toBe(closesAt + arbitrationPeriod);
    await f.setNextTimestamp(rulingDeadline - 1n);
    await expectRevert(f.stakedAs(honestC()).write.settle([this.jobId]), "EvaluatorAwaitingRuling", [
      this.jobId,
      rulingDeadline,
    ]);
    return this.settle(rulingDeadline);
  }

  /** The arbiter's ruling at the close, the first second it may rule; before it, it is refused. */
  async ruleAtClose(pass: boolean): Promise<TransactionReceipt> {
    const { closesAt } = await f.staked.read.getCheck([this.jobId]);
    if ((await f.now()) < closesAt - 1n) {
      await f.setNextTimestamp(closesAt - 1n);
      await expectRevert(f.stakedAs(arbiter()).write.rule([this.jobId, pass]), "EvaluatorRulingNotOpen", [
        this.jobId,
        closesAt,
      ]);
      await f.setNextTimestamp(closesAt);
    }
    return this.ledger.tx(f.stakedAs(arbiter()).write.rule([this.jobId, pass]));
  }

  /** Every staker among `wallets` claims what it is owed (winners, losers closing their position, void). */
  async claimAll(wallets: readonly TestWallet[]): Promise<void> {
    for (const wallet of wallets) await this.ledger.tx(f.stakedAs(wallet).write.claim([this.jobId]));
    expect(await f.balanceOf(this.token, f.addresses.evaluator)).toBe(0n);
  }

  /** None of `honest` is a wei poorer than at the start (net of gas). */
  async expectHonestWhole(honest: readonly TestWallet[]): Promise<void> {
    for (const wallet of honest) {
      expect(await this.ledger.delta(wallet), `delta of honest ${addressOf(wallet)}`).toBeGreaterThanOrEqual(0n);
    }
  }

  delta(wallet: TestWallet): Promise<bigint> {
    return this.ledger.delta(wallet);
  }
}

describe.each(["native", "erc20"] as const)("issue 9's attack table, %s", (kind) => {
  const begin = () => Attack.begin(f[kind]);

  it("the client's second address snipes fail one second before the close against a bonded provider with correct work and an honest pass stake: the close moves, the honest side answers, the sniper loses its stake", async () => {
    const a = await begin();
    await a.createAndDeliver(ISSUE_TERMS);
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestA(), true, a.u(1n, 4n));
    // Old check: 0.75 + 1 wei of fail in the last second won, and the honest answer reverted WindowClosed.
    const [snipe] = await a.stake(clientSecond(), false, a.u(3n, 2n), a.closesAt - 1n);
    expect(snipe).toMatchObject({ pass: false, closesAt: a.closesAt - 1n + RESPONSE, flips: 1n });
    await f.setNextTimestamp(a.closesAt);
    await expectRevert(f.stakedAs(honestC()).write.settle([a.jobId]), "EvaluatorWindowOpen", [
      a.jobId,
      snipe!.closesAt,
    ]);
    // The honest checker answers in the last second of its response period by doubling the fail side.
    const [answer] = await a.stake(honestA(), true, a.u(9n, 4n), snipe!.closesAt - 1n);
    expect(answer).toMatchObject({ pass: true, total: a.u(3n), flips: 2n });
    await a.settle(answer!.closesAt);
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([provider(), honestA(), clientSecond()]);

    // The client paid the budget for correct work, as agreed; its second address lost the whole snipe.
    expect(await a.delta(client())).toBe(-a.unit);
    expect(await a.delta(clientSecond())).toBe(-a.u(3n, 2n));
    expect((await a.delta(client())) + (await a.delta(clientSecond()))).toBe(-a.u(5n, 2n));
    // The provider: the budget plus its share of the sniper's stake (0.5 of 3.0 pass, 1.5 reward).
    expect(await a.delta(provider())).toBe(a.unit + a.u(1n, 4n));
    expect(await a.delta(honestA())).toBe(a.u(5n, 4n));
  });

  it("the provider's second address snipes pass one second before the close against two honest fail stakes on wrong work: the honest side answers, the snipe and the bond are lost", async () => {
    const a = await begin();
    await a.createAndDeliver(ISSUE_TERMS);
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestB(), false, a.u(1n, 2n));
    const [failLeads] = await a.stake(honestC(), false, a.u(1n, 2n));
    expect(failLeads).toMatchObject({ pass: false, flips: 1n, closesAt: a.closesAt });
    const [snipe] = await a.stake(providerSecond(), true, a.u(3n, 2n), a.closesAt - 1n);
    expect(snipe).toMatchObject({ pass: true, total: a.u(2n), flips: 2n, closesAt: a.closesAt - 1n + RESPONSE });
    // Both checkers answer within the response period: one without taking the lead, the other taking it.
    expect(await a.stake(honestB(), false, a.u(3n, 2n), snipe!.closesAt - 2n)).toEqual([]);
    const [answer] = await a.stake(honestC(), false, a.u(3n, 2n), snipe!.closesAt - 1n);
    expect(answer).toMatchObject({ pass: false, total: a.u(4n), flips: 3n });
    await a.settle(answer!.closesAt);
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    await a.claimAll([honestB(), honestC(), provider(), providerSecond()]);

    // Old check: the provider and its second address gained the budget and the checkers' 0.6.
    expect(await a.delta(provider())).toBe(-a.u(1n, 2n));
    expect(await a.delta(providerSecond())).toBe(-a.u(3n, 2n));
    expect(await a.delta(client())).toBe(0n);
    expect(await a.delta(honestB())).toBe(a.unit);
    expect(await a.delta(honestC())).toBe(a.unit);
  });

  it("the provider never bonds and a minimum fail stake lands in the last second: the check is void, the pass stakers whole, the attacker gains nothing", async () => {
    const a = await begin();
    await a.createAndDeliver(ISSUE_TERMS);
    await a.stake(honestA(), true, a.u(3n, 4n));
    await a.stake(honestB(), true, a.u(3n, 4n));
    const minimum = a.u(1n, 100n);
    expect(await a.stake(clientSecond(), false, minimum, a.closesAt - 1n)).toEqual([]);
    const settled = await a.settle(a.closesAt);
    expect(eventsOf(settled, stakedEvaluatorAbi, "CheckVoided", f.addresses.evaluator)).toEqual([{ jobId: a.jobId }]);
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([a.jobId])).verdict).toBe(Verdict.Void);
    await a.claimAll([honestA(), honestB(), clientSecond()]);

    // Old check: the 0.01 fail stake took the 1.5 of pass stakes. Now it only gets itself back.
    expect((await a.delta(client())) + (await a.delta(clientSecond()))).toBe(0n);
    expect(await a.delta(honestA())).toBe(0n);
    expect(await a.delta(honestB())).toBe(0n);
    // The provider that did not bond is not paid, and loses nothing it did not stake.
    expect(await a.delta(provider())).toBe(0n);
  });

  it("terms with window = evaluation period - 1 are refused at creation; the tightest accepted terms still settle before any refund, with every flip in the last second", async () => {
    const a = await begin();
    const terms = await jobTerms(f, {
      token: a.token,
      evaluator: f.addresses.evaluator,
      evaluationPeriod: 3_600n,
      evaluatorData: encodeCheckTerms({ windowSeconds: 3_599n }),
    });
    await expectRevert(
      f.escrowAs(client()).write.createAndFund([terms, a.unit], { value: a.token === NATIVE ? a.unit : 0n }),
      "EvaluatorTermsOutlastRefund",
      [3_599n + 4n * RESPONSE + 1n, 3_600n],
    );
    expect(await a.delta(client())).toBe(0n);

    // The tightest terms the contracts accept: the evaluation period is exactly the latest end.
    const evaluationPeriod = 600n + 4n * RESPONSE + 1n;
    await a.createAndDeliver({ windowSeconds: 600n }, { evaluationPeriod, expiresIn: 60n });
    const submittedAt = a.closesAt - 600n;
    await a.stake(honestA(), true, a.u(1n, 10n));
    let close = a.closesAt;
    const plan: [TestWallet, boolean, bigint][] = [
      [clientSecond(), false, a.u(2n, 10n)],
      [honestA(), true, a.u(3n, 10n)],
      [clientSecond(), false, a.u(6n, 10n)],
      [honestA(), true, a.u(12n, 10n)],
    ];
    for (const [wallet, pass, amount] of plan) {
      const [flip] = await a.stake(wallet, pass, amount, close - 1n);
      close = flip!.closesAt;
    }
    const refundableAt = await f.escrow.read.refundableAt([a.jobId]);
    expect(refundableAt).toBe(submittedAt + evaluationPeriod);
    expect(refundableAt).toBeGreaterThan(close);
    // At the final close the client's refund is refused and the check settles.
    await f.setNextTimestamp(close);
    await expectRevert(f.escrowAs(client()).write.claimRefund([a.jobId]), "EscrowNotRefundable", [
      a.jobId,
      refundableAt,
    ]);
    await a.settle(close);
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([honestA(), clientSecond()]);
    expect(await a.delta(client())).toBe(-a.unit);
    expect(await a.delta(clientSecond())).toBe(-a.u(8n, 10n));
    expect(await a.delta(honestA())).toBe(a.u(8n, 10n));
    expect(await a.delta(provider())).toBe(a.unit);
  });

  it("evaluationPeriod = 1 with the default terms is refused at creation", async () => {
    const a = await begin();
    const terms = await jobTerms(f, { token: a.token, evaluator: f.addresses.evaluator, evaluationPeriod: 1n });
    const value = a.token === NATIVE ? a.unit : 0n;
    await expectRevert(
      f.escrowAs(client()).write.createAndFund([terms, a.unit], { value }),
      "EvaluatorTermsOutlastRefund",
      [600n + 4n * RESPONSE + 1n, 1n],
    );
    await expectRevert(f.escrowAs(client()).write.createJobWithTerms([terms]), "EvaluatorTermsOutlastRefund", [
      600n + 4n * RESPONSE + 1n,
      1n,
    ]);
    expect(await f.escrow.read.jobCount()).toBe(0n);
    expect(await a.delta(client())).toBe(0n);
  });

  it("a bond or minimum stake above what a staker can hold is refused at creation (over 100% of the budget)", async () => {
    const a = await begin();
    const value = a.token === NATIVE ? a.unit : 0n;
    for (const [settings, resolved] of [
      [{ bondBps: 10_001n }, [600n, RESPONSE, 4n, 100n, 10_001n]],
      [{ minStakeBps: 10_001n }, [600n, RESPONSE, 4n, 10_001n, 0n]],
    ] as const) {
      const terms = await jobTerms(f, {
        token: a.token,
        evaluator: f.addresses.evaluator,
        evaluatorData: encodeCheckTerms(settings),
      });
      await expectRevert(
        f.escrowAs(client()).write.createAndFund([terms, a.unit], { value }),
        "EvaluatorInvalidTerms",
        resolved,
      );
    }
    expect(await a.delta(client())).toBe(0n);
  });

  it("a rich out-staker against correct work, no arbiter: every flip costs it double, and when the honest side answers the last flip it loses everything it staked", async () => {
    const a = await begin();
    await a.createAndDeliver(ISSUE_TERMS);
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestA(), true, a.u(1n, 2n));
    await a.stake(rich(), false, a.u(2n));
    await a.stake(honestA(), true, a.u(3n));
    await a.stake(rich(), false, a.u(6n));
    const [last] = await a.stake(honestA(), true, a.u(12n));
    expect(last).toMatchObject({ pass: true, total: a.u(16n), flips: 4n });
    await expectRevert(a.stakeCall(rich(), false, a.u(24n)), "EvaluatorLeadLocked", [a.jobId, 4n]);
    await a.settle(last!.closesAt);
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([provider(), honestA(), rich()]);
    expect(await a.delta(rich())).toBe(-a.u(8n));
    await a.expectHonestWhole([provider(), honestA()]);
    expect(await a.delta(client())).toBe(-a.unit);
  });

  it("a rich out-staker for wrong work, no arbiter (where the assumption breaks): the side with the last allowed flip wins, and it had to stake twice everything the honest side staked", async () => {
    const a = await begin();
    await a.createAndDeliver(ISSUE_TERMS);
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestB(), false, a.u(1n));
    await a.stake(rich(), true, a.u(3n, 2n));
    await a.stake(honestB(), false, a.u(3n));
    const [last] = await a.stake(rich(), true, a.u(6n));
    expect(last).toMatchObject({ pass: true, total: a.u(8n), flips: 4n });
    // The honest side has the capital to double again, but the flips are used up and there is no arbiter.
    await expectRevert(a.stakeCall(honestB(), false, a.u(12n)), "EvaluatorLeadLocked", [a.jobId, 4n]);
    await a.settle(last!.closesAt);
    await a.claimAll([provider(), rich(), honestB()]);
    const honestLoss = -(await a.delta(honestB()));
    expect(honestLoss).toBe(a.u(4n));
    const risked = a.u(3n, 2n) + a.u(6n) + a.u(1n, 2n);
    expect(risked).toBeGreaterThanOrEqual(2n * honestLoss);
    // The attacker (provider and second address) takes the budget and the honest stakes: the case the
    // arbiter exists for (next test), and the capital assumption the simulation states.
    expect((await a.delta(provider())) + (await a.delta(rich()))).toBe(a.unit + honestLoss);
  });

  it("the same rich out-staker with an arbiter: the honest side escalates, the arbiter rules, and the out-staker loses everything it staked", async () => {
    const a = await begin();
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 20_000n,
      arbitrationPeriodSeconds: 600n,
    });
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestB(), false, a.u(1n));
    await a.stake(rich(), true, a.u(3n, 2n));
    await a.stake(honestB(), false, a.u(3n));
    await a.stake(rich(), true, a.u(6n));
    // The honest checker cannot double again (the lead is locked, escalated or not), so it escalates.
    await expectRevert(a.stakeCall(honestB(), false, a.u(12n)), "EvaluatorLeadLocked", [a.jobId, 4n]);
    await a.ledger.tx(f.stakedAs(honestB()).write.escalate([a.jobId]));
    await expectRevert(a.stakeCall(honestB(), false, a.u(12n)), "EvaluatorLeadLocked", [a.jobId, 4n]);
    // Staking goes on: the out-staker adds to its lead, which buys it nothing against the arbiter, who rules
    // once staking is over.
    expect(await a.stake(rich(), true, a.u(1n))).toEqual([]);
    await a.ruleAtClose(false);
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    await a.claimAll([honestB(), rich(), provider()]);
    // Everything the out-staker staked (1.5 + 6 + 1) is lost, and the provider its bond.
    expect(await a.delta(rich())).toBe(-a.u(17n, 2n));
    expect(await a.delta(provider())).toBe(-a.u(1n, 2n));
    expect(await a.delta(client())).toBe(0n);
    expect(await a.delta(honestB())).toBe(a.u(9n));
  });

  it("arbiter silence: an escalation in the last second of the last extension cannot outlast the refund; the game's leader wins and the attacker loses its stake", async () => {
    const a = await begin();
    const arbitration = 600n;
    const evaluationPeriod = 600n + 2n * RESPONSE + arbitration + 1n;
    await a.createAndDeliver(
      {
        ...ISSUE_TERMS,
        maxFlips: 2n,
        arbiter: addressOf(arbiter()),
        escalationBps: 10_000n,
        arbitrationPeriodSeconds: arbitration,
      },
      { evaluationPeriod, expiresIn: 60n },
    );
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestA(), true, a.u(1n, 2n));
    const [first] = await a.stake(clientSecond(), false, a.u(2n), a.closesAt - 1n);
    const [second] = await a.stake(honestA(), true, a.u(3n), first!.closesAt - 1n);
    const lastClose = second!.closesAt;
    // The client's second address escalates in the very last second, hoping the arbiter's silence lets the
    // client's refund come first.
    await f.setNextTimestamp(lastClose - 1n);
    await a.ledger.tx(f.stakedAs(clientSecond()).write.escalate([a.jobId]));
    const { rulingDeadline, latestClose } = await f.staked.read.getCheck([a.jobId]);
    expect(rulingDeadline).toBe(lastClose + arbitration);
    const refundableAt = await f.escrow.read.refundableAt([a.jobId]);
    expect(refundableAt).toBe(a.closesAt - 600n + evaluationPeriod);
    // Even the latest close the job allows, plus the arbitration period, ends before the refund.
    expect(refundableAt).toBeGreaterThan(latestClose + arbitration);
    expect(refundableAt).toBeGreaterThan(rulingDeadline);
    await f.setNextTimestamp(rulingDeadline);
    await expectRevert(f.escrowAs(client()).write.claimRefund([a.jobId]), "EscrowNotRefundable", [
      a.jobId,
      refundableAt,
    ]);
    await a.settleAfterSilence();
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([provider(), honestA(), clientSecond()]);
    expect(await a.delta(client())).toBe(-a.unit);
    expect(await a.delta(clientSecond())).toBe(-a.u(2n));
    await a.expectHonestWhole([provider(), honestA()]);
  });
});

describe.each(["native", "erc20"] as const)("escalation attacks, %s", (kind) => {
  it("flip in the last second then escalate at once, hoping the arbiter stays silent: staking goes on, the outbid side answers within its response period, and the flipper loses its stake", async () => {
    const a = await Attack.begin(f[kind]);
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 600n,
    });
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestA(), true, a.u(1n, 2n));
    // The client's second address doubles the pass side in the last second, and escalates in the next block
    // to freeze its new lead (the leader may escalate: it freezes nothing).
    const [flip] = await a.stake(clientSecond(), false, a.u(2n), a.closesAt - 1n);
    expect(flip).toMatchObject({ pass: false, flips: 1n, closesAt: a.closesAt - 1n + RESPONSE });
    await f.setNextTimestamp(a.closesAt);
    await a.ledger.tx(f.stakedAs(clientSecond()).write.escalate([a.jobId]));
    // The honest checker answers in the last second of its response period, and the close moves again.
    const [answer] = await a.stake(honestA(), true, a.u(3n), flip!.closesAt - 1n);
    expect(answer).toMatchObject({ pass: true, total: a.u(4n), flips: 2n, closesAt: flip!.closesAt - 1n + RESPONSE });
    // The arbiter stays silent: the leader at the close wins, at the close plus the arbitration period.
    await a.settleAfterSilence();
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([clientSecond(), provider(), honestA()]);
    expect(await a.delta(client())).toBe(-a.unit);
    expect(await a.delta(clientSecond())).toBe(-a.u(2n));
    // The provider: the budget and its share of the flipper's stake (0.5 of 4 pass, 2 reward).
    expect(await a.delta(provider())).toBe(a.unit + a.u(1n, 4n));
    expect(await a.delta(honestA())).toBe(a.u(7n, 4n));
  });

  it("the flipper's second address, staked on the outbid side, escalates in the next block (the sybil that beat 'only the outbid side may escalate'): staking goes on, the honest side answers, the arbiter stays silent, and the attacker loses", async () => {
    // The attacker keeps a minimum stake on pass from a second address, flips to fail from the first in the
    // last second, and escalates from the second in the next block. When escalating stopped staking, the
    // honest pass side could not answer and a silent arbiter left fail leading.
    const a = await Attack.begin(f[kind]);
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 600n,
    });
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(honestA(), true, a.u(1n, 2n));
    const minimum = a.u(1n, 100n);
    await a.stake(rich(), true, minimum);
    const [flip] = await a.stake(clientSecond(), false, a.u(2n) + 2n * minimum, a.closesAt - 1n);
    expect(flip).toMatchObject({ pass: false, flips: 1n, closesAt: a.closesAt - 1n + RESPONSE });
    await f.setNextTimestamp(a.closesAt);
    await a.ledger.tx(f.stakedAs(rich()).write.escalate([a.jobId]));
    // The honest checker answers within its response period by doubling the fail side.
    const [answer] = await a.stake(honestA(), true, a.u(3n) + 3n * minimum, flip!.closesAt - 1n);
    expect(answer).toMatchObject({ pass: true, total: a.u(4n) + 4n * minimum, flips: 2n });
    await a.settleAfterSilence();
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([clientSecond(), rich(), provider(), honestA()]);
    // Pass holds 4.04 and fail 2.02: each pass stake earns half of itself.
    expect(await a.delta(clientSecond())).toBe(-(a.u(2n) + 2n * minimum));
    expect(await a.delta(rich())).toBe(minimum / 2n);
    expect(await a.delta(client())).toBe(-a.unit);
    // The attacker (the client, its second address, the sybil) paid the budget for correct work and lost
    // 2.015 on top of it.
    const attacker = (await a.delta(client())) + (await a.delta(clientSecond())) + (await a.delta(rich()));
    expect(attacker).toBe(-a.unit - a.u(2n) - 2n * minimum + minimum / 2n);
    expect(await a.delta(provider())).toBe(a.unit + a.u(1n, 4n));
    expect(await a.delta(honestA())).toBe(a.u(7n, 4n) + (minimum * 3n) / 2n);
  });

  it("a provider bundles delivery, a second address's fail stake and an escalation in one block, hoping to lay the default terms (no bond) over the job's: the job's terms hold, and a silent arbiter cannot pay the unbonded provider", async () => {
    const a = await Attack.begin(f[kind]);
    const terms = await jobTerms(f, {
      token: a.token,
      evaluator: f.addresses.evaluator,
      evaluatorData: encodeCheckTerms({
        ...ISSUE_TERMS,
        arbiter: addressOf(arbiter()),
        escalationBps: 0n,
        arbitrationPeriodSeconds: 600n,
      }),
    });
    const value = a.token === NATIVE ? a.unit : 0n;
    a.jobId = createdJobId(await a.ledger.tx(f.escrowAs(client()).write.createAndFund([terms, a.unit], { value })));
    const minimum = a.u(1n, 100n);
    const gas = 500_000n;
    const sent: `0x${string}`[] = [];
    await f.testClient.setAutomine(false);
    try {
      sent.push(await f.escrowAs(provider()).write.deliver([a.jobId, "wrong work"], { gas }));
      sent.push(
        await f.stakedAs(providerSecond()).write.stake([a.jobId, false, minimum], {
          value: a.token === NATIVE ? minimum : 0n,
          gas,
        }),
      );
      sent.push(await f.stakedAs(providerSecond()).write.escalate([a.jobId], { gas }));
      await f.mine();
    } finally {
      await f.testClient.setAutomine(true);
    }
    const receipts = [];
    for (const hash of sent) receipts.push(a.ledger.book(await f.publicClient.waitForTransactionReceipt({ hash })));
    expect(receipts.map((r) => r.status)).toEqual(["success", "success", "success"]);
    expect(new Set(receipts.map((r) => r.blockNumber)).size).toBe(1);
    const deliveredAt = (await f.publicClient.getBlock({ blockNumber: receipts[0]!.blockNumber })).timestamp;
    // The job's own terms: its 600 s window from the delivery, its 50% bond, its 1% minimum stake.
    const check = await f.staked.read.getCheck([a.jobId]);
    expect([check.escalated, check.closeOffset, check.closesAt, check.bond, check.minStake]).toEqual([
      true,
      600n,
      deliveredAt + 600n,
      a.u(1n, 2n),
      minimum,
    ]);
    expect(check.rulingDeadline).toBe(deliveredAt + 600n + 600n);
    await expectRevert(a.stakeCall(honestA(), false, minimum - 1n), "EvaluatorStakeTooSmall", [
      a.jobId,
      minimum - 1n,
      minimum,
    ]);
    // The arbiter never rules and the provider never bonds: pass leads at the end, without the bond.
    await a.settleAfterSilence();
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    expect((await f.staked.read.getCheck([a.jobId])).verdict).toBe(Verdict.Void);
    await a.claimAll([providerSecond()]);
    expect(await a.delta(provider())).toBe(0n);
    expect(await a.delta(providerSecond())).toBe(0n);
    expect(await a.delta(client())).toBe(0n);
  });
});

describe.each(["native", "erc20"] as const)("front-running the arbiter's ruling, %s", (kind) => {
  it("regression (open in 89a052a): the arbiter rules only once staking is over, so a stake sent to land before the ruling in its block is refused (EvaluatorWindowClosed); the front-runner gains nothing and the honest winner keeps the whole reward", async () => {
    // When a ruling could come while staking was open, a stake mined between the arbiter sending its ruling and
    // the ruling being mined, on the side the ruling names, could not lose and took a pro-rata share of the
    // losers' stakes from the stakers who backed that side before anyone knew the ruling.
    const a = await Attack.begin(f[kind]);
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 600n,
    });
    // Wrong work: the provider bonds and its second address backs pass; an honest checker stakes fail and,
    // outbid, escalates instead of doubling.
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(providerSecond(), true, a.u(3n, 2n));
    await a.stake(honestB(), false, a.u(1n));
    await a.ledger.tx(f.stakedAs(honestB()).write.escalate([a.jobId]));
    // A ruling sent while staking is open is refused, so no ruling can be seen coming in time to stake on it.
    await expectRevert(f.stakedAs(arbiter()).write.rule([a.jobId, false]), "EvaluatorRulingNotOpen", [
      a.jobId,
      a.closesAt,
    ]);
    // The arbiter rules fail in the close's own second; the front-runner's fail stake is ordered before it.
    const gas = 500_000n;
    const sent: `0x${string}`[] = [];
    await f.testClient.setAutomine(false);
    try {
      await f.setNextTimestamp(a.closesAt);
      sent.push(
        await f.stakedAs(rich()).write.stake([a.jobId, false, a.u(1n)], {
          value: a.token === NATIVE ? a.u(1n) : 0n,
          gas,
        }),
      );
      sent.push(await f.stakedAs(arbiter()).write.rule([a.jobId, false], { gas }));
      await f.mine();
    } finally {
      await f.testClient.setAutomine(true);
    }
    const receipts = [];
    for (const hash of sent) receipts.push(a.ledger.book(await f.publicClient.waitForTransactionReceipt({ hash })));
    expect(receipts.map((r) => r.status)).toEqual(["reverted", "success"]);
    expect(receipts[0]!.blockNumber).toBe(receipts[1]!.blockNumber);
    expect((await f.publicClient.getBlock({ blockNumber: receipts[1]!.blockNumber })).timestamp).toBe(a.closesAt);
    expect(await f.staked.read.stakeOf([a.jobId, addressOf(rich())])).toEqual([0n, false]);
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    await expectRevert(f.stakedAs(rich()).write.claim([a.jobId]), "EvaluatorNothingToClaim", [
      a.jobId,
      addressOf(rich()),
    ]);
    await a.claimAll([honestB(), provider(), providerSecond()]);
    expect(await a.delta(provider())).toBe(-a.u(1n, 2n));
    expect(await a.delta(providerSecond())).toBe(-a.u(3n, 2n));
    // The front-runner paid gas and nothing else (the ledger books gas back); the honest checker, who staked
    // before the ruling was known, keeps the whole of the pass side's 2 units.
    expect(await a.delta(rich()), "front-runner's gain").toBe(0n);
    expect(await a.delta(honestB())).toBe(a.u(2n));
  });

  it("a stake in the last second before the close is a bet like any other: no ruling can be seen yet, and when the arbiter names the other side the latecomer loses its stake", async () => {
    const a = await Attack.begin(f[kind]);
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 600n,
    });
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(providerSecond(), true, a.u(3n, 2n));
    await a.stake(honestB(), false, a.u(1n));
    await a.ledger.tx(f.stakedAs(honestB()).write.escalate([a.jobId]));
    // The latecomer guesses fail in the last second of staking (the outbid side, which no freeze stops).
    expect(await a.stake(rich(), false, a.u(1n), a.closesAt - 1n)).toEqual([]);
    // The arbiter rules pass: the latecomer's stake goes to the pass side.
    await a.ruleAtClose(true);
    expect(await statusOf(f, a.jobId)).toBe(Status.Completed);
    await a.claimAll([honestB(), rich(), provider(), providerSecond()]);
    expect(await a.delta(rich())).toBe(-a.u(1n));
    expect(await a.delta(honestB())).toBe(-a.u(1n));
  });
});

describe.each(["native", "erc20"] as const)("the arbiter's own stake, %s", (kind) => {
  it("OPEN (fails on the current contract, for the lead): the named arbiter stakes in the last second before the close on the side it will rule, then rules it: a risk-free bet on its own ruling that takes most of the losers' stakes from the honest checker; it should not be able to stake on a job it may rule", async () => {
    // The contract already keeps an arbiter that became the job's provider from ruling; an arbiter with a stake
    // in the outcome is the same conflict. Its ruling decides its own bet, so ruling the truth still pays it a
    // share of the losers' stakes taken from the checkers who staked before anyone knew the ruling. (A second
    // address of the arbiter's cannot be refused by the contract; the named one can.)
    const a = await Attack.begin(f[kind]);
    await a.createAndDeliver({
      ...ISSUE_TERMS,
      arbiter: addressOf(arbiter()),
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 600n,
    });
    // Wrong work: the provider bonds and its second address backs pass; an honest checker stakes fail and,
    // outbid, escalates.
    await a.stake(provider(), true, a.u(1n, 2n));
    await a.stake(providerSecond(), true, a.u(3n, 2n));
    await a.stake(honestB(), false, a.u(1n));
    await a.ledger.tx(f.stakedAs(honestB()).write.escalate([a.jobId]));
    // The arbiter, who will rule fail, backs fail in the last second: 2.9 against 2 flips nothing, and the
    // trailing side is never frozen.
    let refused = false;
    try {
      expect(await a.stake(arbiter(), false, a.u(19n, 10n), a.closesAt - 1n)).toEqual([]);
    } catch {
      refused = true;
    }
    await a.ruleAtClose(false);
    expect(await statusOf(f, a.jobId)).toBe(Status.Rejected);
    await a.claimAll([honestB(), ...(refused ? [] : [arbiter()]), provider(), providerSecond()]);
    expect(await a.delta(provider())).toBe(-a.u(1n, 2n));
    expect(await a.delta(providerSecond())).toBe(-a.u(3n, 2n));
    // What should hold: the arbiter gains nothing from its ruling, and the honest checker keeps the whole of the
    // pass side's 2 units. Today the arbiter takes 2 x 1.9 / 2.9 = 1.31 of them and the checker 0.69.
    expect(await a.delta(arbiter()), "arbiter's gain").toBeLessThanOrEqual(0n);
    expect(await a.delta(honestB())).toBe(a.u(2n));
  });
});

describe("issue 9's attack table, the per-staker cap", () => {
  it("a budget over 2^88 - 1 is refused; at 2^88 - 1 with a 100% bond and a 100% minimum stake the provider can bond and is paid", async () => {
    const a = await Attack.begin(f.erc20);
    const max = 2n ** 88n - 1n;
    await f.mintAndApprove(a.token, client(), max + 1n);
    await f.mintAndApprove(a.token, provider(), max);
    const ledger = new BalanceLedger(f, a.token);
    await ledger.start([client(), provider()]);
    const over = await jobTerms(f, { token: a.token, evaluator: f.addresses.evaluator });
    await expectRevert(f.escrowAs(client()).write.createAndFund([over, max + 1n]), "EscrowBudgetTooLarge", [
      max + 1n,
      max,
    ]);
    const attack = new Attack(a.token, a.unit, ledger);
    await attack.createAndDeliver({ windowSeconds: 600n, minStakeBps: 10_000n, bondBps: 10_000n }, { budget: max });
    const check = await f.staked.read.getCheck([attack.jobId]);
    expect([check.bond, check.minStake]).toEqual([max, max]);
    await attack.stake(provider(), true, max);
    await attack.settle(attack.closesAt);
    expect(await statusOf(f, attack.jobId)).toBe(Status.Completed);
    await attack.claimAll([provider()]);
    expect(await ledger.delta(provider())).toBe(max);
    expect(await ledger.delta(client())).toBe(-max);
  });
});
