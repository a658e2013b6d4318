import { keccak256, stringToHex, toBytes, zeroAddress, zeroHash, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  createGuildFixture,
  gasCost,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import { createdJobId, createFundedJob, jobTerms, Status, statusOf } from "../support/contracts-helpers/jobs.js";

const DEFAULT_EVALUATION_PERIOD = 86_400n;
const DECLINED = stringToHex("declined", { size: 32 });
const reason = (text: string) => stringToHex(text, { size: 32 });

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

describe.each(["native", "erc20"] as const)("JobEscrow money paths, %s", (kind) => {
  const token = (): Address => f[kind].token;
  const isNative = () => token() === NATIVE;
  /** Native cost of a receipt for `payer`, or 0 for ERC-20 balances (gas is paid in ETH). */
  const gasIn = (receipt: Parameters<typeof gasCost>[0]) => (isNative() ? gasCost(receipt) : 0n);

  it("createJobWithTerms -> setBudget -> fund escrows the budget (Open -> Funded)", async () => {
    const budget = 2_500_000n;
    if (!isNative()) await f.mintAndApprove(token(), f.client, budget);
    const terms = await jobTerms(f, { token: token(), description: "summarise the paper" });
    const created = await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms]));
    const jobId = createdJobId(created);
    expect(jobId).toBe(1n);
    expect(await f.escrow.read.jobCount()).toBe(1n);
    expect(eventsOf(created, jobEscrowAbi, "JobCreated", f.addresses.escrow)).toEqual([
      {
        jobId,
        client: f.client.account.address,
        provider: f.provider.account.address,
        evaluator: f.evaluator.account.address,
        expiredAt: terms.expiredAt,
      },
    ]);
    expect(eventsOf(created, jobEscrowAbi, "JobDetails", f.addresses.escrow)).toEqual([
      {
        jobId,
        parentJobId: 0n,
        token: token(),
        evaluationPeriod: DEFAULT_EVALUATION_PERIOD,
        description: "summarise the paper",
      },
    ]);
    expect(await f.escrow.read.getJob([jobId])).toEqual({
      client: f.client.account.address,
      provider: f.provider.account.address,
      evaluator: f.evaluator.account.address,
      token: token(),
      budget: 0n,
      expiredAt: terms.expiredAt,
      submittedAt: 0n,
      evaluationPeriod: DEFAULT_EVALUATION_PERIOD,
      parentJobId: 0n,
      status: Status.Open,
    });

    // The provider may propose a budget (ERC-8183), the client sets the final one.
    const proposed = await f.tx(f.escrowAs(f.provider).write.setBudget([jobId, 9n]));
    expect(eventsOf(proposed, jobEscrowAbi, "BudgetSet", f.addresses.escrow)).toEqual([{ jobId, amount: 9n }]);
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, budget]));
    expect((await f.escrow.read.getJob([jobId])).budget).toBe(budget);

    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const escrowBefore = await f.balanceOf(token(), f.addresses.escrow);
    const funded = await f.tx(f.escrowAs(f.client).write.fund([jobId, budget], { value: isNative() ? budget : 0n }));
    expect(eventsOf(funded, jobEscrowAbi, "JobFunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore - budget - gasIn(funded));
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(escrowBefore + budget);
    expect(await statusOf(f, jobId)).toBe(Status.Funded);
  });

  it("createAndFund creates, prices and funds in one transaction", async () => {
    const budget = 7_000_000n;
    if (!isNative()) await f.mintAndApprove(token(), f.client, budget);
    const terms = await jobTerms(f, { token: token(), evaluationPeriod: 3_600n });
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const receipt = await f.tx(
      f.escrowAs(f.client).write.createAndFund([terms, budget], { value: isNative() ? budget : 0n }),
    );
    const jobId = createdJobId(receipt);
    expect(eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow)).toEqual([
      "JobCreated",
      "JobDetails",
      "BudgetSet",
      "JobFunded",
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "JobDetails", f.addresses.escrow)[0]?.evaluationPeriod).toBe(3_600n);
    expect(eventsOf(receipt, jobEscrowAbi, "BudgetSet", f.addresses.escrow)).toEqual([{ jobId, amount: budget }]);
    expect(eventsOf(receipt, jobEscrowAbi, "JobFunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    const job = await f.escrow.read.getJob([jobId]);
    expect(job.status).toBe(Status.Funded);
    expect(job.budget).toBe(budget);
    expect(job.evaluationPeriod).toBe(3_600n);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore - budget - gasIn(receipt));
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(budget);
  });

  it("submit then complete pays the provider exactly the budget (Funded -> Submitted -> Completed)", async () => {
    const { jobId, budget } = await createFundedJob(f, { token: token(), budget: 3_000_000n });
    const deliverable = keccak256(stringToHex("ipfs://result"));
    const submitted = await f.tx(f.escrowAs(f.provider).write.submit([jobId, deliverable]));
    const submittedBlock = await f.publicClient.getBlock({ blockNumber: submitted.blockNumber });
    expect(eventsOf(submitted, jobEscrowAbi, "JobSubmitted", f.addresses.escrow)).toEqual([
      { jobId, provider: f.provider.account.address, deliverable },
    ]);
    const job = await f.escrow.read.getJob([jobId]);
    expect(job.status).toBe(Status.Submitted);
    expect(job.submittedAt).toBe(submittedBlock.timestamp);

    const providerBefore = await f.balanceOf(token(), f.provider.account.address);
    const evaluatorBefore = await f.balanceOf(token(), f.evaluator.account.address);
    const completed = await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, reason("good work")]));
    expect(eventNamesOf(completed, jobEscrowAbi, f.addresses.escrow)).toEqual(["JobCompleted", "PaymentReleased"]);
    expect(eventsOf(completed, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
      { jobId, evaluator: f.evaluator.account.address, reason: reason("good work") },
    ]);
    expect(eventsOf(completed, jobEscrowAbi, "PaymentReleased", f.addresses.escrow)).toEqual([
      { jobId, provider: f.provider.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.provider.account.address)).toBe(providerBefore + budget);
    expect(await f.balanceOf(token(), f.evaluator.account.address)).toBe(evaluatorBefore - gasIn(completed));
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(0n);
    expect(await f.escrow.read.creditOf([f.provider.account.address, token()])).toBe(0n);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
  });

  it("deliver publishes the content and submits keccak256(content) as the deliverable", async () => {
    const { jobId } = await createFundedJob(f, { token: token() });
    const content = "Result: 1,204 words — naïve count ✓";
    const { result } = await f.escrowAs(f.provider).simulate.deliver([jobId, content], {
      account: f.provider.account.address,
    });
    expect(result).toBe(keccak256(toBytes(content)));
    const receipt = await f.tx(f.escrowAs(f.provider).write.deliver([jobId, content]));
    expect(eventsOf(receipt, jobEscrowAbi, "JobSubmitted", f.addresses.escrow)).toEqual([
      { jobId, provider: f.provider.account.address, deliverable: keccak256(toBytes(content)) },
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "DeliverablePublished", f.addresses.escrow)).toEqual([
      { jobId, deliverable: keccak256(toBytes(content)), content },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Submitted);
  });

  it("the evaluator rejects a Funded job and the client is refunded (Funded -> Rejected)", async () => {
    const { jobId, budget } = await createFundedJob(f, { token: token(), budget: 4_000_000n });
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const receipt = await f.tx(f.escrowAs(f.evaluator).write.reject([jobId, reason("not started")]));
    expect(eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow)).toEqual(["JobRejected", "Refunded"]);
    expect(eventsOf(receipt, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
      { jobId, rejector: f.evaluator.account.address, reason: reason("not started") },
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "Refunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore + budget);
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(0n);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
  });

  it("the evaluator rejects a Submitted job and the client is refunded (Submitted -> Rejected)", async () => {
    const { jobId, budget } = await createFundedJob(f, { token: token(), budget: 4_500_000n });
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "draft"]));
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const providerBefore = await f.balanceOf(token(), f.provider.account.address);
    const receipt = await f.tx(f.escrowAs(f.evaluator).write.reject([jobId, reason("wrong answer")]));
    expect(eventsOf(receipt, jobEscrowAbi, "Refunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "PaymentReleased", f.addresses.escrow)).toEqual([]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore + budget);
    expect(await f.balanceOf(token(), f.provider.account.address)).toBe(providerBefore);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
  });

  it("the provider declines a Funded job and the client is refunded at once", async () => {
    const { jobId, budget } = await createFundedJob(f, { token: token(), budget: 1_500_000n });
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const receipt = await f.tx(f.escrowAs(f.provider).write.decline([jobId]));
    expect(eventsOf(receipt, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
      { jobId, rejector: f.provider.account.address, reason: DECLINED },
    ]);
    expect(await f.escrow.read.DECLINED()).toBe(DECLINED);
    expect(eventsOf(receipt, jobEscrowAbi, "Refunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore + budget);
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(0n);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
  });

  it("anyone may claim the refund of a Funded job from expiredAt, not a second earlier (Funded -> Expired)", async () => {
    const { jobId, budget, terms } = await createFundedJob(f, { token: token(), budget: 2_000_000n });
    expect(await f.escrow.read.refundableAt([jobId])).toBe(terms.expiredAt);
    await f.setNextTimestamp(terms.expiredAt - 1n);
    await expectRevert(f.escrowAs(f.stranger).write.claimRefund([jobId]), "EscrowNotRefundable", [
      jobId,
      terms.expiredAt,
    ]);
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const strangerBefore = await f.balanceOf(token(), f.stranger.account.address);
    await f.setNextTimestamp(terms.expiredAt);
    const receipt = await f.tx(f.escrowAs(f.stranger).write.claimRefund([jobId]));
    expect(eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow)).toEqual(["JobExpired", "Refunded"]);
    expect(eventsOf(receipt, jobEscrowAbi, "Refunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore + budget);
    expect(await f.balanceOf(token(), f.stranger.account.address)).toBe(strangerBefore - gasIn(receipt));
    expect(await statusOf(f, jobId)).toBe(Status.Expired);
  });

  it("a Submitted job whose evaluation period outlasts expiredAt is refundable only from submittedAt + evaluationPeriod", async () => {
    const { jobId, budget, terms } = await createFundedJob(f, {
      token: token(),
      budget: 2_000_000n,
      expiredAt: (await f.now()) + 1_000n,
      evaluationPeriod: 5_000n,
    });
    const submitted = await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "done"]));
    const submittedAt = (await f.publicClient.getBlock({ blockNumber: submitted.blockNumber })).timestamp;
    const refundAt = submittedAt + 5_000n;
    expect(refundAt).toBeGreaterThan(terms.expiredAt);
    expect(await f.escrow.read.refundableAt([jobId])).toBe(refundAt);

    // Past expiredAt the delivered job is still protected while the evaluator may answer.
    await f.setNextTimestamp(terms.expiredAt + 10n);
    await expectRevert(f.escrowAs(f.client).write.claimRefund([jobId]), "EscrowNotRefundable", [jobId, refundAt]);
    await f.setNextTimestamp(refundAt - 1n);
    await expectRevert(f.escrowAs(f.client).write.claimRefund([jobId]), "EscrowNotRefundable", [jobId, refundAt]);
    await f.setNextTimestamp(refundAt);
    const clientBefore = await f.balanceOf(token(), f.client.account.address);
    const receipt = await f.tx(f.escrowAs(f.stranger).write.claimRefund([jobId]));
    expect(eventsOf(receipt, jobEscrowAbi, "JobExpired", f.addresses.escrow)).toEqual([{ jobId }]);
    expect(await f.balanceOf(token(), f.client.account.address)).toBe(clientBefore + budget);
    expect(await statusOf(f, jobId)).toBe(Status.Expired);
  });

  it("a Submitted job whose expiredAt is later than the evaluation period's end is refundable from expiredAt", async () => {
    const { jobId, budget, terms } = await createFundedJob(f, {
      token: token(),
      budget: 2_000_000n,
      expiredAt: (await f.now()) + 50_000n,
      evaluationPeriod: 100n,
    });
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "done"]));
    expect(await f.escrow.read.refundableAt([jobId])).toBe(terms.expiredAt);
    await f.increaseTime(200n);
    await f.setNextTimestamp(terms.expiredAt - 1n);
    await expectRevert(f.escrowAs(f.client).write.claimRefund([jobId]), "EscrowNotRefundable", [
      jobId,
      terms.expiredAt,
    ]);
    await f.setNextTimestamp(terms.expiredAt);
    const escrowBefore = await f.balanceOf(token(), f.addresses.escrow);
    const receipt = await f.tx(f.escrowAs(f.stranger).write.claimRefund([jobId]));
    expect(eventsOf(receipt, jobEscrowAbi, "Refunded", f.addresses.escrow)).toEqual([
      { jobId, client: f.client.account.address, token: token(), amount: budget },
    ]);
    expect(await f.balanceOf(token(), f.addresses.escrow)).toBe(escrowBefore - budget);
    expect(await statusOf(f, jobId)).toBe(Status.Expired);
  });

  it("the client may be its own evaluator and complete the job", async () => {
    const { jobId, budget } = await createFundedJob(f, {
      token: token(),
      evaluator: f.client.account.address,
      budget: 800_000n,
    });
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "done"]));
    const providerBefore = await f.balanceOf(token(), f.provider.account.address);
    await f.tx(f.escrowAs(f.client).write.complete([jobId, zeroHash]));
    expect(await f.balanceOf(token(), f.provider.account.address)).toBe(providerBefore + budget);
  });
});

describe("JobEscrow creation and setup", () => {
  it("createJob (the ERC-8183 signature) makes a native job with the default evaluation period", async () => {
    const expiredAt = (await f.now()) + 3_600n;
    const receipt = await f.tx(
      f
        .escrowAs(f.client)
        .write.createJob([
          f.provider.account.address,
          f.evaluator.account.address,
          expiredAt,
          "translate",
          zeroAddress,
        ]),
    );
    const jobId = createdJobId(receipt);
    expect(eventsOf(receipt, jobEscrowAbi, "JobDetails", f.addresses.escrow)).toEqual([
      { jobId, parentJobId: 0n, token: NATIVE, evaluationPeriod: DEFAULT_EVALUATION_PERIOD, description: "translate" },
    ]);
    const job = await f.escrow.read.getJob([jobId]);
    expect(job.token).toBe(NATIVE);
    expect(job.expiredAt).toBe(expiredAt);
    expect(job.status).toBe(Status.Open);
  });

  it("createJob refuses a hook (ERC-8183 hooks are not supported)", async () => {
    const hook = f.stranger.account.address;
    await expectRevert(
      f
        .escrowAs(f.client)
        .write.createJob([
          f.provider.account.address,
          f.evaluator.account.address,
          (await f.now()) + 3_600n,
          "x",
          hook,
        ]),
      "EscrowHookNotSupported",
      [hook],
    );
    expect(await f.escrow.read.jobCount()).toBe(0n);
  });

  it("a job created without a provider cannot be funded until the client sets one", async () => {
    const terms = await jobTerms(f, { provider: zeroAddress });
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, 1_000n]));
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, 1_000n], { value: 1_000n }), "EscrowProviderNotSet", [
      jobId,
    ]);
    const receipt = await f.tx(f.escrowAs(f.client).write.setProvider([jobId, f.provider.account.address]));
    expect(eventsOf(receipt, jobEscrowAbi, "ProviderSet", f.addresses.escrow)).toEqual([
      { jobId, provider: f.provider.account.address },
    ]);
    expect((await f.escrow.read.getJob([jobId])).provider).toBe(f.provider.account.address);
    await f.tx(f.escrowAs(f.client).write.fund([jobId, 1_000n], { value: 1_000n }));
    expect(await statusOf(f, jobId)).toBe(Status.Funded);
  });

  it("the client rejects an Open job: Rejected, and nothing is refunded because nothing was escrowed", async () => {
    const terms = await jobTerms(f);
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, 5_000n]));
    const receipt = await f.tx(f.escrowAs(f.client).write.reject([jobId, reason("changed my mind")]));
    expect(eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow)).toEqual(["JobRejected"]);
    expect(eventsOf(receipt, jobEscrowAbi, "JobRejected", f.addresses.escrow)).toEqual([
      { jobId, rejector: f.client.account.address, reason: reason("changed my mind") },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
  });

  it("stores the largest budget and evaluation period it accepts", async () => {
    // 2^88 - 1: the width of a staker's position in the StakedEvaluator, so any bond or minimum stake in
    // basis points of a budget can be staked.
    const maxBudget = 2n ** 88n - 1n;
    const maxPeriod = await f.escrow.read.MAX_EVALUATION_PERIOD();
    expect(maxPeriod).toBe(365n * 86_400n);
    const terms = await jobTerms(f, { token: f.erc20.token, evaluationPeriod: maxPeriod });
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
    await f.tx(f.escrowAs(f.client).write.setBudget([jobId, maxBudget]));
    const job = await f.escrow.read.getJob([jobId]);
    expect(job.budget).toBe(maxBudget);
    expect(job.evaluationPeriod).toBe(maxPeriod);
    await f.mintAndApprove(f.erc20.token, f.client, maxBudget);
    await f.tx(f.escrowAs(f.client).write.fund([jobId, maxBudget]));
    expect(await f.balanceOf(f.erc20.token, f.addresses.escrow)).toBe(maxBudget);
  });
});

describe("JobEscrow parent jobs", () => {
  it("the provider of a Funded or Submitted parent may link sub-jobs to it", async () => {
    const { jobId: parent } = await createFundedJob(f);
    const subTerms = await jobTerms(f, { parentJobId: parent, provider: f.stakers[0]!.account.address });
    const receipt = await f.tx(f.escrowAs(f.provider).write.createAndFund([subTerms, 500n], { value: 500n }));
    const child = createdJobId(receipt);
    expect(eventsOf(receipt, jobEscrowAbi, "JobDetails", f.addresses.escrow)[0]?.parentJobId).toBe(parent);
    const childJob = await f.escrow.read.getJob([child]);
    expect(childJob.parentJobId).toBe(parent);
    expect(childJob.client).toBe(f.provider.account.address);

    await f.tx(f.escrowAs(f.provider).write.deliver([parent, "done"]));
    const viaTerms = await f.tx(f.escrowAs(f.provider).write.createJobWithTerms([subTerms]));
    expect((await f.escrow.read.getJob([createdJobId(viaTerms)])).parentJobId).toBe(parent);
  });

  it("refuses an unknown parent", async () => {
    await createFundedJob(f);
    const terms = await jobTerms(f, { parentJobId: 2n });
    await expectRevert(f.escrowAs(f.provider).write.createJobWithTerms([terms]), "EscrowInvalidParent", [2n]);
    const zeroTerms = await jobTerms(f, { parentJobId: 99n });
    await expectRevert(
      f.escrowAs(f.provider).write.createAndFund([zeroTerms, 1n], { value: 1n }),
      "EscrowInvalidParent",
      [99n],
    );
  });

  it("refuses anyone but the parent's provider", async () => {
    const { jobId: parent } = await createFundedJob(f);
    const terms = await jobTerms(f, { parentJobId: parent });
    for (const wallet of [f.client, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(wallet).write.createJobWithTerms([terms]), "EscrowNotParentProvider", [
        parent,
        wallet.account.address,
      ]);
    }
  });

  it("refuses an Open parent and every terminal parent", async () => {
    const openTerms = await jobTerms(f);
    const open = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([openTerms])));
    const { jobId: completed } = await createFundedJob(f);
    await f.tx(f.escrowAs(f.provider).write.deliver([completed, "x"]));
    await f.tx(f.escrowAs(f.evaluator).write.complete([completed, zeroHash]));
    const { jobId: rejected } = await createFundedJob(f);
    await f.tx(f.escrowAs(f.provider).write.decline([rejected]));
    const { jobId: expired, terms } = await createFundedJob(f, { expiredAt: (await f.now()) + 100n });
    await f.setNextTimestamp(terms.expiredAt);
    await f.tx(f.escrowAs(f.client).write.claimRefund([expired]));

    for (const parent of [open, completed, rejected, expired]) {
      const subTerms = await jobTerms(f, { parentJobId: parent });
      await expectRevert(f.escrowAs(f.provider).write.createJobWithTerms([subTerms]), "EscrowInvalidParent", [parent]);
    }
  });
});
