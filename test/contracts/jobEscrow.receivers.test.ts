import { encodeFunctionData, slice, toFunctionSelector, zeroHash, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { decodeRevert, expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  createGuildFixture,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import { createdJobId, createFundedJob, jobTerms, Status, statusOf } from "../support/contracts-helpers/jobs.js";
import { callThrough, ReceiverMode, type ReceiverHandle } from "../support/contracts-helpers/receivers.js";

const REENTRANT_CALL = toFunctionSelector("ReentrancyGuardReentrantCall()");
const budget = 3_000_000_000_000_000n;

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const escrowData = (call: Parameters<typeof encodeFunctionData<typeof jobEscrowAbi>>[0]) => encodeFunctionData(call);

/** A job whose provider is the mock; the mock has delivered. */
async function jobDeliveredBy(mock: ReceiverHandle, token: Address = NATIVE, amount = budget): Promise<bigint> {
  const { jobId } = await createFundedJob(f, { provider: mock.address, token, budget: amount });
  await callThrough(
    f,
    mock,
    f.addresses.escrow,
    escrowData({ abi: jobEscrowAbi, functionName: "deliver", args: [jobId, "work"] }),
  );
  return jobId;
}

/** A Funded native job whose client is the mock. */
async function jobFundedBy(mock: ReceiverHandle, overrides: Parameters<typeof jobTerms>[1] = {}): Promise<bigint> {
  const terms = await jobTerms(f, overrides);
  const receipt = await callThrough(
    f,
    mock,
    f.addresses.escrow,
    escrowData({ abi: jobEscrowAbi, functionName: "createAndFund", args: [terms, budget] }),
    budget,
  );
  return createdJobId(receipt);
}

describe.each([
  { label: "reverts", mode: ReceiverMode.Revert },
  { label: "burns all its gas", mode: ReceiverMode.BurnGas },
])("a native receiver that $label", ({ mode }) => {
  it("as provider: the payout is credited, the job still completes, and only withdrawTo gets it out", async () => {
    const mock = await f.deployReceiver();
    const jobId = await jobDeliveredBy(mock);
    await f.tx(mock.write.setMode([mode]));

    const receipt = await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, zeroHash]));
    expect(eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow)).toEqual([
      "JobCompleted",
      "PaymentReleased",
      "PayoutCredited",
    ]);
    expect(eventsOf(receipt, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([
      { jobId, account: mock.address, token: NATIVE, amount: budget },
    ]);
    // The receiver gets PAYOUT_GAS, not the whole transaction.
    expect(receipt.gasUsed).toBeLessThan((await f.escrow.read.PAYOUT_GAS()) + 150_000n);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(budget);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(budget);
    expect(await f.balanceOf(NATIVE, mock.address)).toBe(0n);

    const withdraw = escrowData({ abi: jobEscrowAbi, functionName: "withdraw", args: [NATIVE] });
    // A bounded eth_call: gas estimation would run the gas-burning receiver to the block limit many times.
    await expectRevert(
      mock.simulate.execute([f.addresses.escrow, 0n, withdraw], {
        account: f.deployer.account.address,
        gas: 2_000_000n,
      }),
      "EscrowWithdrawFailed",
      [mock.address, NATIVE, budget],
    );
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(budget);

    const to = f.stranger.account.address;
    const strangerBefore = await f.balanceOf(NATIVE, to);
    const out = await callThrough(
      f,
      mock,
      f.addresses.escrow,
      escrowData({ abi: jobEscrowAbi, functionName: "withdrawTo", args: [NATIVE, to] }),
    );
    expect(eventsOf(out, jobEscrowAbi, "Withdrawn", f.addresses.escrow)).toEqual([
      { account: mock.address, to, token: NATIVE, amount: budget },
    ]);
    expect(await f.balanceOf(NATIVE, to)).toBe(strangerBefore + budget);
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(0n);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
    await expectRevert(callThrough(f, mock, f.addresses.escrow, withdraw), "EscrowNothingToWithdraw", [
      mock.address,
      NATIVE,
    ]);
  });

  it("as client: rejection, decline and expiry refunds are credited and the jobs settle", async () => {
    const mock = await f.deployReceiver();
    const rejected = await jobFundedBy(mock);
    const declined = await jobFundedBy(mock);
    const expiring = await jobFundedBy(mock, { expiredAt: (await f.now()) + 500n });
    await f.tx(mock.write.setMode([mode]));

    const rejectReceipt = await f.tx(f.escrowAs(f.evaluator).write.reject([rejected, zeroHash]));
    expect(eventNamesOf(rejectReceipt, jobEscrowAbi, f.addresses.escrow)).toEqual([
      "JobRejected",
      "Refunded",
      "PayoutCredited",
    ]);
    expect(eventsOf(rejectReceipt, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([
      { jobId: rejected, account: mock.address, token: NATIVE, amount: budget },
    ]);
    const declineReceipt = await f.tx(f.escrowAs(f.provider).write.decline([declined]));
    expect(eventsOf(declineReceipt, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toHaveLength(1);
    await f.increaseTime(600n);
    const expireReceipt = await f.tx(f.escrowAs(f.stranger).write.claimRefund([expiring]));
    expect(eventsOf(expireReceipt, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([
      { jobId: expiring, account: mock.address, token: NATIVE, amount: budget },
    ]);

    expect(await statusOf(f, rejected)).toBe(Status.Rejected);
    expect(await statusOf(f, declined)).toBe(Status.Rejected);
    expect(await statusOf(f, expiring)).toBe(Status.Expired);
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(3n * budget);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(3n * budget);

    // Once the receiver accepts payments again it withdraws everything in one call.
    await f.tx(mock.write.setMode([ReceiverMode.Accept]));
    await callThrough(
      f,
      mock,
      f.addresses.escrow,
      escrowData({ abi: jobEscrowAbi, functionName: "withdraw", args: [NATIVE] }),
    );
    expect(await mock.read.received()).toBe(3n * budget);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(0n);
  });
});

describe("an ERC-20 receiver the token refuses (blocklist)", () => {
  it.each([
    { label: "the token reverts", quiet: false, withdrawError: "TokenAccountBlocked" },
    { label: "the token returns false", quiet: true, withdrawError: "SafeERC20FailedOperation" },
  ])("$label: payouts to a blocked provider and client are credited", async ({ quiet, withdrawError }) => {
    const token = await f.deployConfigurableToken();
    await f.tx(token.write.setQuietRefusal([quiet]));
    const provider = f.provider.account.address;
    const client = f.client.account.address;
    const { jobId } = await createFundedJob(f, { token: token.address, budget: 5_000_000n });
    const { jobId: refunded } = await createFundedJob(f, { token: token.address, budget: 2_000_000n });
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "work"]));
    await f.tx(token.write.setBlocked([provider, true]));
    await f.tx(token.write.setBlocked([client, true]));

    const paid = await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, zeroHash]));
    expect(eventsOf(paid, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([
      { jobId, account: provider, token: token.address, amount: 5_000_000n },
    ]);
    const back = await f.tx(f.escrowAs(f.provider).write.decline([refunded]));
    expect(eventsOf(back, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([
      { jobId: refunded, account: client, token: token.address, amount: 2_000_000n },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await statusOf(f, refunded)).toBe(Status.Rejected);
    expect(await f.escrow.read.creditOf([provider, token.address])).toBe(5_000_000n);
    expect(await f.escrow.read.creditOf([client, token.address])).toBe(2_000_000n);
    expect(await f.escrow.read.creditOf([provider, NATIVE])).toBe(0n);
    expect(await token.read.balanceOf([f.addresses.escrow])).toBe(7_000_000n);

    const expectedArgs = withdrawError === "TokenAccountBlocked" ? [provider] : [token.address];
    await expectRevert(f.escrowAs(f.provider).write.withdraw([token.address]), withdrawError, expectedArgs);
    const to = f.stranger.account.address;
    const out = await f.tx(f.escrowAs(f.provider).write.withdrawTo([token.address, to]));
    expect(eventsOf(out, jobEscrowAbi, "Withdrawn", f.addresses.escrow)).toEqual([
      { account: provider, to, token: token.address, amount: 5_000_000n },
    ]);
    expect(await token.read.balanceOf([to])).toBe(5_000_000n);
    expect(await token.read.balanceOf([f.addresses.escrow])).toBe(2_000_000n);
    await expectRevert(f.escrowAs(f.provider).write.withdraw([token.address]), "EscrowNothingToWithdraw", [
      provider,
      token.address,
    ]);
    // The client's credit is untouched by the provider's withdrawal and is its own to take.
    await f.tx(token.write.setBlocked([client, false]));
    await f.tx(f.escrowAs(f.client).write.withdraw([token.address]));
    expect(await token.read.balanceOf([client])).toBe(2_000_000n);
    expect(await token.read.balanceOf([f.addresses.escrow])).toBe(0n);
  });
});

describe("a reentrant native receiver", () => {
  async function expectReentryRefused(mock: ReceiverHandle): Promise<void> {
    expect(await mock.read.callbackSucceeded()).toBe(false);
    const revertData = await mock.read.callbackRevertData();
    expect(slice(revertData, 0, 4)).toBe(REENTRANT_CALL);
    expect(decodeRevert(revertData).errorName).toBe("ReentrancyGuardReentrantCall");
  }

  it("as provider, cannot re-enter withdraw, claimRefund, reject or complete while being paid; it is paid exactly once", async () => {
    const mock = await f.deployReceiver();
    // A refundable job and two jobs the mock evaluates, reachable only by re-entering.
    const { jobId: expired, terms } = await createFundedJob(f, { expiredAt: (await f.now()) + 300n, budget: 1_000n });
    const { jobId: judged } = await createFundedJob(f, { evaluator: mock.address, budget: 2_000n });
    const { jobId: approved } = await createFundedJob(f, { evaluator: mock.address, budget: 3_000n });
    await f.tx(f.escrowAs(f.provider).write.deliver([approved, "done"]));
    await f.setNextTimestamp(terms.expiredAt);
    await f.mine();
    const escrowBefore = await f.balanceOf(NATIVE, f.addresses.escrow);

    const callbacks = [
      escrowData({ abi: jobEscrowAbi, functionName: "withdraw", args: [NATIVE] }),
      escrowData({ abi: jobEscrowAbi, functionName: "claimRefund", args: [expired] }),
      escrowData({ abi: jobEscrowAbi, functionName: "reject", args: [judged, zeroHash] }),
      escrowData({ abi: jobEscrowAbi, functionName: "complete", args: [approved, zeroHash] }),
    ];
    let paid = 0n;
    for (const callback of callbacks) {
      const jobId = await jobDeliveredBy(mock);
      await f.tx(mock.write.arm([f.addresses.escrow, callback]));
      const receipt = await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, zeroHash]));
      paid += budget;
      await expectReentryRefused(mock);
      expect(eventsOf(receipt, jobEscrowAbi, "PayoutCredited", f.addresses.escrow)).toEqual([]);
      expect(await mock.read.received()).toBe(paid);
    }
    expect(await f.balanceOf(NATIVE, mock.address)).toBe(paid);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(escrowBefore);
    expect(await statusOf(f, expired)).toBe(Status.Funded);
    expect(await statusOf(f, judged)).toBe(Status.Funded);
    expect(await statusOf(f, approved)).toBe(Status.Submitted);
  });

  it("as client, cannot re-enter claimRefund or fund while being refunded", async () => {
    const mock = await f.deployReceiver();
    const first = await jobFundedBy(mock, { expiredAt: (await f.now()) + 300n });
    const second = await jobFundedBy(mock, { expiredAt: (await f.now()) + 300n });
    const openTerms = await jobTerms(f);
    const open = createdJobId(
      await callThrough(
        f,
        mock,
        f.addresses.escrow,
        escrowData({ abi: jobEscrowAbi, functionName: "createJobWithTerms", args: [openTerms] }),
      ),
    );
    await f.increaseTime(400n);

    await f.tx(
      mock.write.arm([
        f.addresses.escrow,
        escrowData({ abi: jobEscrowAbi, functionName: "claimRefund", args: [second] }),
      ]),
    );
    await f.tx(f.escrowAs(f.stranger).write.claimRefund([first]));
    await expectReentryRefused(mock);
    expect(await statusOf(f, second)).toBe(Status.Funded);
    expect(await mock.read.received()).toBe(budget);

    await f.tx(
      mock.write.arm([f.addresses.escrow, escrowData({ abi: jobEscrowAbi, functionName: "fund", args: [open, 0n] })]),
    );
    await f.tx(f.escrowAs(f.stranger).write.claimRefund([second]));
    await expectReentryRefused(mock);
    expect(await mock.read.received()).toBe(2n * budget);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
  });

  it("cannot re-enter withdraw while withdrawing its credit", async () => {
    const mock = await f.deployReceiver();
    const jobId = await jobDeliveredBy(mock);
    await f.tx(mock.write.setMode([ReceiverMode.Revert]));
    await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, zeroHash]));
    const withdraw = escrowData({ abi: jobEscrowAbi, functionName: "withdraw", args: [NATIVE] });
    await f.tx(mock.write.arm([f.addresses.escrow, withdraw]));
    const receipt = await callThrough(f, mock, f.addresses.escrow, withdraw);
    await expectReentryRefused(mock);
    expect(eventsOf(receipt, jobEscrowAbi, "Withdrawn", f.addresses.escrow)).toHaveLength(1);
    expect(await mock.read.received()).toBe(budget);
    expect(await f.escrow.read.creditOf([mock.address, NATIVE])).toBe(0n);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
  });
});

describe("a reentrant ERC-20 token", () => {
  async function expectReentryRefused(token: Awaited<ReturnType<GuildFixture["deployReentrantToken"]>>) {
    expect(await token.read.attempted()).toBe(true);
    expect(await token.read.callbackSucceeded()).toBe(false);
    const revertData = await token.read.callbackRevertData();
    expect(decodeRevert(revertData).errorName).toBe("ReentrancyGuardReentrantCall");
  }

  it("cannot re-enter fund, createAndFund or withdraw from inside the escrow's transfers", async () => {
    const token = await f.deployReentrantToken();
    const tokenAddress = token.address;
    await f.mintAndApprove(tokenAddress, f.client, 100n * budget);
    const terms = await jobTerms(f, { token: tokenAddress });

    const cases = [
      escrowData({ abi: jobEscrowAbi, functionName: "createAndFund", args: [terms, budget] }),
      escrowData({ abi: jobEscrowAbi, functionName: "fund", args: [1n, budget] }),
      escrowData({ abi: jobEscrowAbi, functionName: "withdraw", args: [tokenAddress] }),
    ];
    let funded = 0n;
    for (const callback of cases) {
      await f.tx(token.write.arm([f.addresses.escrow, callback]));
      await f.tx(f.escrowAs(f.client).write.createAndFund([terms, budget]));
      funded += budget;
      await expectReentryRefused(token);
      expect(await token.read.balanceOf([f.addresses.escrow])).toBe(funded);
    }
    expect(await f.escrow.read.jobCount()).toBe(3n);
    for (const jobId of [1n, 2n, 3n])
      expect((await f.escrow.read.getJob([jobId])).client).toBe(f.client.account.address);
  });

  it("cannot re-enter while the escrow pays out; the payout and the accounting stay exact", async () => {
    const token = await f.deployReentrantToken();
    const { jobId } = await createFundedJob(f, { token: token.address, budget });
    const { jobId: other } = await createFundedJob(f, { token: token.address, budget: 7n });
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "work"]));
    await f.tx(
      token.write.arm([
        f.addresses.escrow,
        escrowData({ abi: jobEscrowAbi, functionName: "claimRefund", args: [other] }),
      ]),
    );
    await f.increaseTime(2n * 86_400n);
    // The refund of `other` is due, yet re-entering from the payout of `jobId` cannot take it.
    await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, zeroHash]));
    await expectReentryRefused(token);
    expect(await token.read.balanceOf([f.provider.account.address])).toBe(budget);
    expect(await token.read.balanceOf([f.addresses.escrow])).toBe(7n);
    expect(await statusOf(f, other)).toBe(Status.Funded);
    expect(await f.escrow.read.creditOf([f.provider.account.address, token.address])).toBe(0n);
  });
});
