import { encodeDeployData, stringToHex, zeroAddress, zeroHash, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi, jobEscrowBytecode } from "../../src/contracts/JobEscrow.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  createGuildFixture,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import { createdJobId, createFundedJob, jobTerms, Status, statusOf } from "../support/contracts-helpers/jobs.js";
import type { TestWallet } from "../support/inProcessChain.js";

const MAX_PERIOD = 365n * 86_400n;
const MAX_BUDGET = 2n ** 88n - 1n;
const reason = stringToHex("because", { size: 32 });

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const addressOf = (w: TestWallet): Address => w.account.address;

/** An Open job with a provider and the given budget (0: none set). */
async function openJob(budget = 0n, token: Address = NATIVE): Promise<bigint> {
  const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { token })])));
  if (budget !== 0n) await f.tx(f.escrowAs(f.client).write.setBudget([jobId, budget]));
  return jobId;
}

describe("JobEscrow refuses bad terms at creation", () => {
  it("refuses a zero evaluator", async () => {
    await expectRevert(
      f
        .escrowAs(f.client)
        .write.createJob([addressOf(f.provider), zeroAddress, (await f.now()) + 100n, "x", zeroAddress]),
      "EscrowZeroEvaluator",
      [],
    );
    const terms = await jobTerms(f, { evaluator: zeroAddress });
    await expectRevert(f.escrowAs(f.client).write.createJobWithTerms([terms]), "EscrowZeroEvaluator");
    await expectRevert(f.escrowAs(f.client).write.createAndFund([terms, 1n], { value: 1n }), "EscrowZeroEvaluator");
  });

  it("refuses an expiry that is not in the future or does not fit 40 bits", async () => {
    const next = (await f.now()) + 10n;
    for (const expiredAt of [next, next - 5n]) {
      await f.setNextTimestamp(next);
      await expectRevert(
        f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { expiredAt })]),
        "EscrowInvalidExpiry",
        [expiredAt, next],
      );
    }
    const tooFar = 2n ** 40n;
    await f.setNextTimestamp(next + 1n);
    await expectRevert(
      f.escrowAs(f.client).write.createJob([addressOf(f.provider), addressOf(f.evaluator), tooFar, "x", zeroAddress]),
      "EscrowInvalidExpiry",
      [tooFar, next + 1n],
    );
    // The largest 40-bit expiry is accepted and stored exactly.
    const jobId = createdJobId(
      await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { expiredAt: tooFar - 1n })])),
    );
    expect((await f.escrow.read.getJob([jobId])).expiredAt).toBe(tooFar - 1n);
  });

  it("refuses an evaluation period over 365 days, in a job and in the constructor", async () => {
    await expectRevert(
      f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { evaluationPeriod: MAX_PERIOD + 1n })]),
      "EscrowEvaluationPeriodTooLong",
      [MAX_PERIOD + 1n, MAX_PERIOD],
    );
    await expectRevert(
      f.publicClient.call({
        account: f.deployer.account,
        data: encodeDeployData({ abi: jobEscrowAbi, bytecode: jobEscrowBytecode, args: [MAX_PERIOD + 1n] }),
      }),
      "EscrowEvaluationPeriodTooLong",
      [MAX_PERIOD + 1n, MAX_PERIOD],
    );
  });

  it("createAndFund refuses a zero provider, a zero budget and a budget over 88 bits", async () => {
    await createFundedJob(f);
    const terms = await jobTerms(f);
    await expectRevert(
      f.escrowAs(f.client).write.createAndFund([{ ...terms, provider: zeroAddress }, 1n], { value: 1n }),
      "EscrowZeroProvider",
      [],
    );
    await expectRevert(f.escrowAs(f.client).write.createAndFund([terms, 0n]), "EscrowZeroBudget", [2n]);
    await expectRevert(f.escrowAs(f.client).write.createAndFund([terms, MAX_BUDGET + 1n]), "EscrowBudgetTooLarge", [
      MAX_BUDGET + 1n,
      MAX_BUDGET,
    ]);
    expect(await f.escrow.read.jobCount()).toBe(1n);
  });
});

describe("JobEscrow refuses a wrong msg.value, a wrong expectedBudget and short transfers", () => {
  it("native createAndFund and fund need msg.value == budget", async () => {
    const budget = 10_000n;
    const terms = await jobTerms(f);
    for (const sent of [0n, budget - 1n, budget + 1n]) {
      await expectRevert(
        f.escrowAs(f.client).write.createAndFund([terms, budget], { value: sent }),
        "EscrowWrongValue",
        [budget, sent],
      );
    }
    const jobId = await openJob(budget);
    for (const sent of [0n, budget - 1n, budget * 2n]) {
      await expectRevert(f.escrowAs(f.client).write.fund([jobId, budget], { value: sent }), "EscrowWrongValue", [
        budget,
        sent,
      ]);
    }
    expect(await statusOf(f, jobId)).toBe(Status.Open);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
  });

  it("ERC-20 createAndFund and fund refuse any msg.value", async () => {
    const budget = 10_000n;
    await f.mintAndApprove(f.erc20.token, f.client, budget);
    const terms = await jobTerms(f, { token: f.erc20.token });
    await expectRevert(f.escrowAs(f.client).write.createAndFund([terms, budget], { value: 1n }), "EscrowWrongValue", [
      0n,
      1n,
    ]);
    const jobId = await openJob(budget, f.erc20.token);
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, budget], { value: budget }), "EscrowWrongValue", [
      0n,
      budget,
    ]);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
    expect(await f.balanceOf(f.erc20.token, f.addresses.escrow)).toBe(0n);
  });

  it("fund refuses an expectedBudget that differs from the budget (a budget changed under the client)", async () => {
    const jobId = await openJob(5_000n);
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, 4_999n], { value: 5_000n }), "EscrowBudgetMismatch", [
      jobId,
      5_000n,
      4_999n,
    ]);
    // The provider raises the budget after the client read it: the client's fund no longer matches.
    await f.tx(f.escrowAs(f.provider).write.setBudget([jobId, 9_000n]));
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, 5_000n], { value: 5_000n }), "EscrowBudgetMismatch", [
      jobId,
      9_000n,
      5_000n,
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Open);
  });

  it("fund refuses a zero budget", async () => {
    const jobId = await openJob();
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, 0n]), "EscrowZeroBudget", [jobId]);
  });

  it("setBudget refuses a budget over 88 bits", async () => {
    const jobId = await openJob();
    await expectRevert(f.escrowAs(f.client).write.setBudget([jobId, MAX_BUDGET + 1n]), "EscrowBudgetTooLarge", [
      MAX_BUDGET + 1n,
      MAX_BUDGET,
    ]);
  });

  it("refuses a fee-on-transfer token, in createAndFund and in fund", async () => {
    const fee = await f.deployFeeOnTransferToken();
    const budget = 1_000_000n;
    await f.mintAndApprove(fee.address, f.client, budget * 2n);
    const terms = await jobTerms(f, { token: fee.address });
    await expectRevert(f.escrowAs(f.client).write.createAndFund([terms, budget]), "EscrowTransferShortfall", [
      fee.address,
      budget,
      budget - budget / 100n,
    ]);
    const jobId = await openJob(budget, fee.address);
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, budget]), "EscrowTransferShortfall", [
      fee.address,
      budget,
      budget - budget / 100n,
    ]);
    expect(await fee.read.balanceOf([f.addresses.escrow])).toBe(0n);
    expect(await statusOf(f, jobId)).toBe(Status.Open);
  });

  it("an ERC-20 job without allowance fails in the token", async () => {
    const terms = await jobTerms(f, { token: f.erc20.token });
    await expectRevert(f.escrowAs(f.stranger).write.createAndFund([terms, 1_000n]), "ERC20InsufficientAllowance", [
      f.addresses.escrow,
      0n,
      1_000n,
    ]);
  });
});

describe("JobEscrow refuses calls from every wrong party", () => {
  it("setProvider: only the client, only while Open, only once, never zero", async () => {
    const jobId = createdJobId(
      await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { provider: zeroAddress })])),
    );
    for (const w of [f.provider, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.setProvider([jobId, addressOf(w)]), "EscrowUnauthorized", [
        jobId,
        addressOf(w),
      ]);
    }
    await expectRevert(f.escrowAs(f.client).write.setProvider([jobId, zeroAddress]), "EscrowZeroProvider", []);
    await f.tx(f.escrowAs(f.client).write.setProvider([jobId, addressOf(f.provider)]));
    await expectRevert(
      f.escrowAs(f.client).write.setProvider([jobId, addressOf(f.stranger)]),
      "EscrowProviderAlreadySet",
      [jobId, addressOf(f.provider)],
    );
    const rejected = createdJobId(
      await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { provider: zeroAddress })])),
    );
    await f.tx(f.escrowAs(f.client).write.reject([rejected, reason]));
    await expectRevert(f.escrowAs(f.client).write.setProvider([rejected, addressOf(f.provider)]), "EscrowWrongStatus", [
      rejected,
      Status.Rejected,
    ]);
  });

  it("setBudget: only the client or the provider, only while Open", async () => {
    const jobId = await openJob();
    for (const w of [f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.setBudget([jobId, 1n]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    const { jobId: funded } = await createFundedJob(f);
    for (const w of [f.client, f.provider]) {
      await expectRevert(f.escrowAs(w).write.setBudget([funded, 1n]), "EscrowWrongStatus", [funded, Status.Funded]);
    }
  });

  it("fund: only the client, only while Open", async () => {
    const jobId = await openJob(1_000n);
    for (const w of [f.provider, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.fund([jobId, 1_000n], { value: 1_000n }), "EscrowUnauthorized", [
        jobId,
        addressOf(w),
      ]);
    }
    await f.tx(f.escrowAs(f.client).write.fund([jobId, 1_000n], { value: 1_000n }));
    await expectRevert(f.escrowAs(f.client).write.fund([jobId, 1_000n], { value: 1_000n }), "EscrowWrongStatus", [
      jobId,
      Status.Funded,
    ]);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(1_000n);
  });

  it("submit and deliver: only the provider, only while Funded, only before expiredAt", async () => {
    const open = await openJob(1_000n);
    await expectRevert(f.escrowAs(f.provider).write.submit([open, zeroHash]), "EscrowWrongStatus", [open, Status.Open]);
    const { jobId, terms } = await createFundedJob(f, { expiredAt: (await f.now()) + 1_000n });
    for (const w of [f.client, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.submit([jobId, zeroHash]), "EscrowUnauthorized", [jobId, addressOf(w)]);
      await expectRevert(f.escrowAs(w).write.deliver([jobId, "x"]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    await f.setNextTimestamp(terms.expiredAt);
    await expectRevert(f.escrowAs(f.provider).write.submit([jobId, zeroHash]), "EscrowJobExpired", [
      jobId,
      terms.expiredAt,
    ]);
    await f.setNextTimestamp(terms.expiredAt);
    await expectRevert(f.escrowAs(f.provider).write.deliver([jobId, "late"]), "EscrowJobExpired", [
      jobId,
      terms.expiredAt,
    ]);
    await f.mine();

    // One second before expiry is still in time; a second submission is refused.
    const { jobId: onTime, terms: onTimeTerms } = await createFundedJob(f, { expiredAt: (await f.now()) + 1_000n });
    await f.setNextTimestamp(onTimeTerms.expiredAt - 1n);
    await f.tx(f.escrowAs(f.provider).write.deliver([onTime, "just in time"]));
    await expectRevert(f.escrowAs(f.provider).write.deliver([onTime, "again"]), "EscrowWrongStatus", [
      onTime,
      Status.Submitted,
    ]);
  });

  it("complete: only the evaluator, only while Submitted", async () => {
    const { jobId } = await createFundedJob(f);
    await expectRevert(f.escrowAs(f.evaluator).write.complete([jobId, reason]), "EscrowWrongStatus", [
      jobId,
      Status.Funded,
    ]);
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
    for (const w of [f.client, f.provider, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.complete([jobId, reason]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    const open = await openJob(1_000n);
    await expectRevert(f.escrowAs(f.evaluator).write.complete([open, reason]), "EscrowWrongStatus", [
      open,
      Status.Open,
    ]);
  });

  it("reject: only the client while Open, only the evaluator while Funded or Submitted", async () => {
    const open = await openJob(1_000n);
    for (const w of [f.provider, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.reject([open, reason]), "EscrowUnauthorized", [open, addressOf(w)]);
    }
    const { jobId } = await createFundedJob(f);
    for (const w of [f.client, f.provider, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.reject([jobId, reason]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
    for (const w of [f.client, f.provider, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.reject([jobId, reason]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    expect(await statusOf(f, jobId)).toBe(Status.Submitted);
  });

  it("decline: only the provider, only while Funded", async () => {
    const open = await openJob(1_000n);
    await expectRevert(f.escrowAs(f.provider).write.decline([open]), "EscrowWrongStatus", [open, Status.Open]);
    const { jobId } = await createFundedJob(f);
    for (const w of [f.client, f.evaluator, f.stranger]) {
      await expectRevert(f.escrowAs(w).write.decline([jobId]), "EscrowUnauthorized", [jobId, addressOf(w)]);
    }
    await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
    await expectRevert(f.escrowAs(f.provider).write.decline([jobId]), "EscrowWrongStatus", [jobId, Status.Submitted]);
  });

  it("claimRefund: never for an Open job", async () => {
    const open = await openJob(1_000n);
    await f.increaseTime(200_000n);
    await expectRevert(f.escrowAs(f.client).write.claimRefund([open]), "EscrowWrongStatus", [open, Status.Open]);
  });

  it("withdraw and withdrawTo with nothing credited", async () => {
    for (const token of [NATIVE, f.erc20.token]) {
      await expectRevert(f.escrowAs(f.stranger).write.withdraw([token]), "EscrowNothingToWithdraw", [
        addressOf(f.stranger),
        token,
      ]);
      await expectRevert(
        f.escrowAs(f.client).write.withdrawTo([token, addressOf(f.client)]),
        "EscrowNothingToWithdraw",
        [addressOf(f.client), token],
      );
    }
  });

  it("every job function refuses an unknown job id", async () => {
    await createFundedJob(f);
    for (const jobId of [0n, 2n, 2n ** 64n]) {
      const calls: (() => Promise<unknown>)[] = [
        () => f.escrow.read.getJob([jobId]),
        () => f.escrow.read.refundableAt([jobId]),
        () => f.escrowAs(f.client).write.setProvider([jobId, addressOf(f.provider)]),
        () => f.escrowAs(f.client).write.setBudget([jobId, 1n]),
        () => f.escrowAs(f.client).write.fund([jobId, 1n], { value: 1n }),
        () => f.escrowAs(f.provider).write.submit([jobId, zeroHash]),
        () => f.escrowAs(f.provider).write.deliver([jobId, "x"]),
        () => f.escrowAs(f.evaluator).write.complete([jobId, reason]),
        () => f.escrowAs(f.evaluator).write.reject([jobId, reason]),
        () => f.escrowAs(f.client).write.claimRefund([jobId]),
        () => f.escrowAs(f.provider).write.decline([jobId]),
      ];
      for (const call of calls) await expectRevert(call(), "EscrowJobNotFound", [jobId]);
    }
  });
});

describe("JobEscrow terminal states never change", () => {
  type Terminal = { label: string; status: number; make: () => Promise<bigint> };
  const terminals: Terminal[] = [
    {
      label: "Completed",
      status: Status.Completed,
      make: async () => {
        const { jobId } = await createFundedJob(f);
        await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
        await f.tx(f.escrowAs(f.evaluator).write.complete([jobId, reason]));
        return jobId;
      },
    },
    {
      label: "Rejected while Open",
      status: Status.Rejected,
      make: async () => {
        const jobId = await openJob(1_000n);
        await f.tx(f.escrowAs(f.client).write.reject([jobId, reason]));
        return jobId;
      },
    },
    {
      label: "Rejected by the evaluator",
      status: Status.Rejected,
      make: async () => {
        const { jobId } = await createFundedJob(f);
        await f.tx(f.escrowAs(f.provider).write.deliver([jobId, "x"]));
        await f.tx(f.escrowAs(f.evaluator).write.reject([jobId, reason]));
        return jobId;
      },
    },
    {
      label: "Rejected by decline",
      status: Status.Rejected,
      make: async () => {
        const { jobId } = await createFundedJob(f);
        await f.tx(f.escrowAs(f.provider).write.decline([jobId]));
        return jobId;
      },
    },
    {
      label: "Expired",
      status: Status.Expired,
      make: async () => {
        const { jobId, terms } = await createFundedJob(f, { expiredAt: (await f.now()) + 100n });
        await f.setNextTimestamp(terms.expiredAt);
        await f.tx(f.escrowAs(f.stranger).write.claimRefund([jobId]));
        return jobId;
      },
    },
  ];

  it.each(terminals)("$label: every transition reverts with EscrowWrongStatus", async ({ status, make }) => {
    const jobId = await make();
    const before = await f.escrow.read.getJob([jobId]);
    const escrowBalance = await f.balanceOf(NATIVE, f.addresses.escrow);
    await f.increaseTime(10n * 86_400n);
    const wrongStatus = [jobId, status];
    await expectRevert(f.escrowAs(f.client).write.setBudget([jobId, 5n]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.provider).write.setBudget([jobId, 5n]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(
      f.escrowAs(f.client).write.fund([jobId, before.budget], { value: before.budget }),
      "EscrowWrongStatus",
      wrongStatus,
    );
    await expectRevert(
      f.escrowAs(f.client).write.setProvider([jobId, addressOf(f.stranger)]),
      "EscrowWrongStatus",
      wrongStatus,
    );
    await expectRevert(f.escrowAs(f.provider).write.submit([jobId, zeroHash]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.provider).write.deliver([jobId, "x"]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.evaluator).write.complete([jobId, reason]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.evaluator).write.reject([jobId, reason]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.client).write.reject([jobId, reason]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.stranger).write.claimRefund([jobId]), "EscrowWrongStatus", wrongStatus);
    await expectRevert(f.escrowAs(f.provider).write.decline([jobId]), "EscrowWrongStatus", wrongStatus);
    expect(await f.escrow.read.getJob([jobId])).toEqual(before);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(escrowBalance);
  });
});
