/**
 * The staked check's terms: what `configureJob` and the constructor accept and refuse (by error name and
 * arguments), the two evaluatorData encodings, the timing rule that keeps a refund from pre-empting a check,
 * and the fast path (the client's approve with nothing staked writes no evaluator storage).
 */
import {
  concatHex,
  encodeDeployData,
  getAddress,
  type Hex,
  numberToHex,
  padHex,
  size,
  sliceHex,
  zeroAddress,
  type Address,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CheckSettings, encodeCheckTerms, decodeCheckTerms } from "../../src/chain/checkTerms.js";
import { jobEscrowAbi, jobEscrowBytecode } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi, stakedEvaluatorBytecode } from "../../src/contracts/StakedEvaluator.js";
import {
  checkReason,
  checkView,
  createCheckedJob,
  stakeOn,
  storageWritesOfTarget,
  TEST_DEFAULTS,
} from "../support/contracts-helpers/evaluator.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import { createGuildFixture, useChainSnapshot, type GuildFixture } from "../support/contracts-helpers/fixture.js";
import {
  createdJobId,
  createFundedJob,
  jobTerms,
  type JobTerms,
  Status,
  statusOf,
  Verdict,
} from "../support/contracts-helpers/jobs.js";
import type { TestWallet } from "../support/inProcessChain.js";

const DAY = 86_400n;
const MAX_WINDOW = 30n * DAY;
const MAX_RESPONSE = 7n * DAY;
const MAX_ARBITRATION = 30n * DAY;
const YEAR = 365n * DAY;
/** Latest end of the test deployment's default terms: 600 + 4 * 300 + 1. */
const DEFAULT_LATEST_END = TEST_DEFAULTS.window + TEST_DEFAULTS.maxFlips * TEST_DEFAULTS.responsePeriod + 1n;

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const addressOf = (w: TestWallet): Address => w.account.address;
const arbiter = () => f.wallets[12]!;

/** Terms for a job judged by the fixture's StakedEvaluator, with a year to evaluate unless told otherwise. */
function checkedTerms(evaluatorData: Hex, overrides: Partial<JobTerms> = {}): Promise<JobTerms> {
  return jobTerms(f, { evaluator: f.addresses.evaluator, evaluationPeriod: YEAR, evaluatorData, ...overrides });
}

/** Creates (without funding) a job with these terms as the fixture's client. */
async function create(terms: JobTerms): Promise<bigint> {
  return createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([terms])));
}

/** The CheckTerms tuple in the order of the errors' arguments. */
type Resolved = [window: bigint, responsePeriod: bigint, maxFlips: bigint, minStakeBps: bigint, bondBps: bigint];

describe("StakedEvaluator evaluatorData encodings", () => {
  it("encodeCheckTerms writes 96 bytes with the default timing, 160 with its own, 256 with an arbiter; all decode back", () => {
    const short = encodeCheckTerms({ windowSeconds: 900n, bondBps: 2_500n });
    expect(size(short)).toBe(96);
    expect(decodeCheckTerms(short)).toMatchObject({ window: 900n, minStakeBps: 100n, bondBps: 2_500n, maxFlips: 0n });
    const timed = encodeCheckTerms({ windowSeconds: 900n, maxFlips: 6n });
    expect(size(timed)).toBe(160);
    expect(decodeCheckTerms(timed)).toMatchObject({ window: 900n, responsePeriod: 0n, maxFlips: 6n });
    const long = encodeCheckTerms({
      arbiter: addressOf(f.stranger),
      escalationBps: 20_000n,
      arbitrationPeriodSeconds: 3_600n,
    });
    expect(size(long)).toBe(256);
    expect(decodeCheckTerms(long)).toMatchObject({
      window: 0n,
      arbiter: addressOf(f.stranger),
      escalationBps: 20_000n,
      arbitrationPeriod: 3_600n,
    });
  });

  it("96 bytes (window, minimum stake, bond) and 160 bytes (and the timing) configure a check without an arbiter; 256 bytes name one", async () => {
    const short = await create(await checkedTerms(encodeCheckTerms({ windowSeconds: 900n, bondBps: 700n })));
    expect(await f.staked.read.getCheck([short])).toMatchObject({
      closeOffset: 900n,
      responsePeriod: 300n,
      maxFlips: 4n,
    });
    const timed = await create(
      await checkedTerms(encodeCheckTerms({ windowSeconds: 900n, responsePeriodSeconds: 120n, maxFlips: 6n })),
    );
    expect(await f.staked.read.getCheck([timed])).toMatchObject({
      closeOffset: 900n,
      responsePeriod: 120n,
      maxFlips: 6n,
    });
    const long = await f.tx(
      f.escrowAs(f.client).write.createJobWithTerms([
        await checkedTerms(
          encodeCheckTerms({
            windowSeconds: 900n,
            arbiter: addressOf(arbiter()),
            escalationBps: 0n,
            arbitrationPeriodSeconds: 60n,
          }),
        ),
      ]),
    );
    expect(eventNamesOf(long, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["ArbiterNamed", "CheckConfigured"]);
    expect((await f.staked.read.getCheck([short])).arbiter).toBe(zeroAddress);
    const named = await f.staked.read.getCheck([createdJobId(long)]);
    expect([named.arbiter, named.escalationThreshold, named.arbitrationPeriod]).toEqual([
      addressOf(arbiter()),
      0n,
      60n,
    ]);
  });

  it("refuses every other length (EvaluatorMalformedTerms) and creates no job", async () => {
    const full = encodeCheckTerms({
      windowSeconds: 900n,
      arbiter: addressOf(arbiter()),
      arbitrationPeriodSeconds: 60n,
    });
    const lengths = [1, 32, 64, 95, 97, 128, 159, 161, 192, 224, 255, 257, 288, 320];
    for (const length of lengths) {
      const data = length <= 256 ? sliceHex(full, 0, length) : concatHex([full, padHex("0x", { size: length - 256 })]);
      await expectRevert(
        f.escrowAs(f.client).write.createJobWithTerms([await checkedTerms(data)]),
        "EvaluatorMalformedTerms",
        [BigInt(length)],
      );
    }
    expect(await f.escrow.read.jobCount()).toBe(0n);
  });
});

describe("StakedEvaluator refuses terms out of range (EvaluatorInvalidTerms)", () => {
  const cases: { name: string; settings: CheckSettings; resolved: Resolved }[] = [
    {
      name: "a window over 30 days",
      settings: { windowSeconds: MAX_WINDOW + 1n },
      resolved: [MAX_WINDOW + 1n, 300n, 4n, 100n, 0n],
    },
    {
      name: "a response period as long as the window",
      settings: { windowSeconds: 600n, responsePeriodSeconds: 600n },
      resolved: [600n, 600n, 4n, 100n, 0n],
    },
    {
      name: "a window no longer than the default response period",
      settings: { windowSeconds: 300n },
      resolved: [300n, 300n, 4n, 100n, 0n],
    },
    {
      name: "a response period over 7 days",
      settings: { windowSeconds: MAX_WINDOW, responsePeriodSeconds: MAX_RESPONSE + 1n },
      resolved: [MAX_WINDOW, MAX_RESPONSE + 1n, 4n, 100n, 0n],
    },
    { name: "a single flip", settings: { maxFlips: 1n }, resolved: [600n, 300n, 1n, 100n, 0n] },
    { name: "16 flips", settings: { maxFlips: 16n }, resolved: [600n, 300n, 16n, 100n, 0n] },
    { name: "a minimum stake over 100%", settings: { minStakeBps: 10_001n }, resolved: [600n, 300n, 4n, 10_001n, 0n] },
    { name: "a bond over 100%", settings: { bondBps: 10_001n }, resolved: [600n, 300n, 4n, 100n, 10_001n] },
  ];
  for (const { name, settings, resolved } of cases) {
    it(`refuses ${name}`, async () => {
      await expectRevert(
        f.escrowAs(f.client).write.createJobWithTerms([await checkedTerms(encodeCheckTerms(settings))]),
        "EvaluatorInvalidTerms",
        resolved,
      );
      expect(await f.escrow.read.jobCount()).toBe(0n);
    });
  }

  it("accepts the largest terms of every field, and the tightest timing (a response period one second under the window, 2 flips)", async () => {
    const largest = await createFundedJob(f, {
      evaluator: f.addresses.evaluator,
      evaluationPeriod: YEAR,
      budget: 10_000n,
      evaluatorData: encodeCheckTerms({
        windowSeconds: MAX_WINDOW,
        responsePeriodSeconds: MAX_RESPONSE,
        maxFlips: 15n,
        minStakeBps: 10_000n,
        bondBps: 10_000n,
        arbiter: addressOf(arbiter()),
        escalationBps: 10_000_000n,
        arbitrationPeriodSeconds: MAX_ARBITRATION,
      }),
    });
    expect(eventsOf(largest.receipt, stakedEvaluatorAbi, "CheckTimingSet", f.addresses.evaluator)).toEqual([
      { jobId: largest.jobId, responsePeriod: MAX_RESPONSE, maxFlips: 15n },
    ]);
    expect(await f.staked.read.getCheck([largest.jobId])).toEqual(
      checkView({
        closeOffset: MAX_WINDOW,
        responsePeriod: MAX_RESPONSE,
        maxFlips: 15n,
        minStake: 10_000n,
        bond: 10_000n,
        arbiter: addressOf(arbiter()),
        escalationThreshold: 10_000n * 1_000n,
        arbitrationPeriod: MAX_ARBITRATION,
      }),
    );
    // Every flip in the last second still fits the close's 24-bit offset: deliver and read the latest close.
    await f.tx(f.escrowAs(f.provider).write.deliver([largest.jobId, "work"]));
    const { closesAt, latestClose } = await f.staked.read.getCheck([largest.jobId]);
    expect(latestClose - closesAt).toBe(15n * MAX_RESPONSE);

    const tightest = await create(
      await checkedTerms(encodeCheckTerms({ windowSeconds: 301n, responsePeriodSeconds: 300n, maxFlips: 2n })),
    );
    const check = await f.staked.read.getCheck([tightest]);
    expect([check.closeOffset, check.responsePeriod, check.maxFlips]).toEqual([301n, 300n, 2n]);
  });

  it("CheckTimingSet only for timing other than the default", async () => {
    const same = await f.tx(
      f
        .escrowAs(f.client)
        .write.createJobWithTerms([
          await checkedTerms(encodeCheckTerms({ windowSeconds: 900n, responsePeriodSeconds: 300n, maxFlips: 4n })),
        ]),
    );
    expect(eventNamesOf(same, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual(["CheckConfigured"]);
    const other = await f.tx(
      f
        .escrowAs(f.client)
        .write.createJobWithTerms([await checkedTerms(encodeCheckTerms({ windowSeconds: 900n, maxFlips: 5n }))]),
    );
    const jobId = createdJobId(other);
    expect(eventsOf(other, stakedEvaluatorAbi, "CheckTimingSet", f.addresses.evaluator)).toEqual([
      { jobId, responsePeriod: 300n, maxFlips: 5n },
    ]);
    const check = await f.staked.read.getCheck([jobId]);
    expect([check.responsePeriod, check.maxFlips]).toEqual([300n, 5n]);
  });
});

describe("StakedEvaluator refuses a bad arbitration (EvaluatorInvalidArbitration)", () => {
  const named = (settings: CheckSettings): CheckSettings => ({
    arbiter: addressOf(arbiter()),
    escalationBps: 5_000n,
    arbitrationPeriodSeconds: 600n,
    ...settings,
  });

  it("refuses the client, the provider or nobody as arbiter", async () => {
    for (const who of [addressOf(f.client), addressOf(f.provider)]) {
      await expectRevert(
        f.escrowAs(f.client).write.createJobWithTerms([await checkedTerms(encodeCheckTerms(named({ arbiter: who })))]),
        "EvaluatorInvalidArbitration",
        [who, 5_000n, 600n],
      );
    }
    // 256 bytes with a zero arbiter but a period: the client meant to name one and did not.
    await expectRevert(
      f
        .escrowAs(f.client)
        .write.createJobWithTerms([
          await checkedTerms(encodeCheckTerms({ escalationBps: 5_000n, arbitrationPeriodSeconds: 600n })),
        ]),
      "EvaluatorInvalidArbitration",
      [zeroAddress, 5_000n, 600n],
    );
  });

  it("refuses an arbiter word with bits above the address", async () => {
    const data = encodeCheckTerms(named({}));
    const dirty = concatHex([
      sliceHex(data, 0, 160),
      numberToHex((1n << 160n) | BigInt(addressOf(arbiter())), { size: 32 }),
      sliceHex(data, 192, 256),
    ]);
    await expectRevert(
      f.escrowAs(f.client).write.createJobWithTerms([await checkedTerms(dirty)]),
      "EvaluatorInvalidArbitration",
      [addressOf(arbiter()), 5_000n, 600n],
    );
  });

  it("refuses a threshold over 1000x the budget and a period out of range", async () => {
    const bad: [bigint, bigint][] = [
      [10_000_001n, 600n],
      [5_000n, 0n],
      [5_000n, MAX_ARBITRATION + 1n],
    ];
    for (const [escalationBps, period] of bad) {
      await expectRevert(
        f
          .escrowAs(f.client)
          .write.createJobWithTerms([
            await checkedTerms(encodeCheckTerms(named({ escalationBps, arbitrationPeriodSeconds: period }))),
          ]),
        "EvaluatorInvalidArbitration",
        [addressOf(arbiter()), escalationBps, period],
      );
    }
    expect(await f.escrow.read.jobCount()).toBe(0n);
  });

  it("the provider may be unknown at creation; the arbiter stays valid", async () => {
    const jobId = await create(
      await checkedTerms(encodeCheckTerms(named({})), { provider: zeroAddress, evaluationPeriod: DAY }),
    );
    expect((await f.staked.read.getCheck([jobId])).arbiter).toBe(addressOf(arbiter()));
  });
});

describe("StakedEvaluator: a refund never pre-empts a check (EvaluatorTermsOutlastRefund)", () => {
  it("explicit terms: window + maxFlips * responsePeriod + arbitrationPeriod + margin must fit the evaluation period", async () => {
    const settings: CheckSettings = {
      windowSeconds: 1_000n,
      responsePeriodSeconds: 100n,
      maxFlips: 3n,
      arbiter: addressOf(arbiter()),
      escalationBps: 5_000n,
      arbitrationPeriodSeconds: 500n,
    };
    const latestEnd = 1_000n + 3n * 100n + 500n + 1n;
    await expectRevert(
      f
        .escrowAs(f.client)
        .write.createJobWithTerms([
          await checkedTerms(encodeCheckTerms(settings), { evaluationPeriod: latestEnd - 1n }),
        ]),
      "EvaluatorTermsOutlastRefund",
      [latestEnd, latestEnd - 1n],
    );
    const jobId = await create(await checkedTerms(encodeCheckTerms(settings), { evaluationPeriod: latestEnd }));
    expect((await f.escrow.read.getJob([jobId])).evaluationPeriod).toBe(latestEnd);
  });

  it("default terms with a custom evaluation period: the escrow asks the evaluator, which refuses what does not fit", async () => {
    for (const fund of [false, true]) {
      const terms = await checkedTerms("0x", { evaluationPeriod: DEFAULT_LATEST_END - 1n });
      const attempt = fund
        ? f.escrowAs(f.client).write.createAndFund([terms, 1_000n], { value: 1_000n })
        : f.escrowAs(f.client).write.createJobWithTerms([terms]);
      await expectRevert(attempt, "EvaluatorTermsOutlastRefund", [DEFAULT_LATEST_END, DEFAULT_LATEST_END - 1n]);
    }
    expect(await f.escrow.read.jobCount()).toBe(0n);
    const terms = await checkedTerms("0x", { evaluationPeriod: DEFAULT_LATEST_END });
    const receipt = await f.tx(f.escrowAs(f.client).write.createAndFund([terms, 1_000n], { value: 1_000n }));
    // Nothing is configured: the check keeps the defaults, read from the contract.
    expect(eventNamesOf(receipt, stakedEvaluatorAbi, f.addresses.evaluator)).toEqual([]);
    expect(await f.staked.read.getCheck([createdJobId(receipt)])).toEqual(checkView({ minStake: 10n }));
  });

  it("an EOA evaluator is not asked: any evaluation period goes", async () => {
    const { jobId } = await createFundedJob(f, { evaluationPeriod: 1n });
    expect((await f.escrow.read.getJob([jobId])).evaluationPeriod).toBe(1n);
  });

  it("a deployment's floors: the shortest response and arbitration periods, and the settle margin", async () => {
    const strict = await deployEvaluator({ minResponsePeriod: 300n, minSettleMargin: 300n });
    const terms = (settings: CheckSettings, evaluationPeriod = YEAR) =>
      jobTerms(f, { evaluator: strict, evaluationPeriod, evaluatorData: encodeCheckTerms(settings) });
    await expectRevert(
      f.escrowAs(f.client).write.createJobWithTerms([await terms({ responsePeriodSeconds: 299n })]),
      "EvaluatorInvalidTerms",
      [600n, 299n, 4n, 100n, 0n],
    );
    await expectRevert(
      f
        .escrowAs(f.client)
        .write.createJobWithTerms([await terms({ arbiter: addressOf(arbiter()), arbitrationPeriodSeconds: 299n })]),
      "EvaluatorInvalidArbitration",
      [addressOf(arbiter()), 0n, 299n],
    );
    // 600 + 4 * 300 + a 300 s margin.
    await expectRevert(
      f.escrowAs(f.client).write.createJobWithTerms([await terms({}, 2_099n)]),
      "EvaluatorTermsOutlastRefund",
      [2_100n, 2_099n],
    );
    await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await terms({ responsePeriodSeconds: 300n }, 2_100n)]));
  });
});

describe("StakedEvaluator constructor", () => {
  const defaults = {
    window: 600n,
    responsePeriod: 300n,
    maxFlips: 4n,
    minStakeBps: 100n,
    bondBps: 0n,
    arbiter: zeroAddress as Address,
    escalationBps: 0n,
    arbitrationPeriod: 0n,
  };
  const deployCall = (escrow: Address, terms: typeof defaults, minResponse: bigint, margin: bigint) =>
    f.publicClient.call({
      account: f.deployer.account,
      data: encodeDeployData({
        abi: stakedEvaluatorAbi,
        bytecode: stakedEvaluatorBytecode,
        args: [escrow, terms, minResponse, margin],
      }),
    });

  it("refuses floors of zero or a response floor over 7 days (EvaluatorInvalidLimits)", async () => {
    for (const [minResponse, margin] of [
      [0n, 1n],
      [MAX_RESPONSE + 1n, 1n],
      [1n, 0n],
    ] as const) {
      await expectRevert(deployCall(f.addresses.escrow, defaults, minResponse, margin), "EvaluatorInvalidLimits", [
        minResponse,
        margin,
      ]);
    }
  });

  it("refuses defaults that name an arbiter (EvaluatorInvalidArbitration)", async () => {
    const cases = [
      { ...defaults, arbiter: addressOf(arbiter()) },
      { ...defaults, escalationBps: 1n },
      { ...defaults, arbitrationPeriod: 600n },
    ];
    for (const terms of cases) {
      await expectRevert(deployCall(f.addresses.escrow, terms, 1n, 1n), "EvaluatorInvalidArbitration", [
        terms.arbiter,
        terms.escalationBps,
        terms.arbitrationPeriod,
      ]);
    }
  });

  it("refuses defaults out of range or under the response floor (EvaluatorInvalidTerms)", async () => {
    await expectRevert(deployCall(f.addresses.escrow, { ...defaults, window: 0n }, 1n, 1n), "EvaluatorInvalidTerms", [
      0n,
      300n,
      4n,
      100n,
      0n,
    ]);
    await expectRevert(
      deployCall(f.addresses.escrow, { ...defaults, responsePeriod: 299n }, 300n, 1n),
      "EvaluatorInvalidTerms",
      [600n, 299n, 4n, 100n, 0n],
    );
    await expectRevert(
      deployCall(f.addresses.escrow, { ...defaults, bondBps: 10_001n }, 1n, 1n),
      "EvaluatorInvalidTerms",
      [600n, 300n, 4n, 100n, 10_001n],
    );
  });

  it("refuses defaults that do not fit the escrow's default evaluation period (EvaluatorTermsOutlastRefund)", async () => {
    const shortEscrow = await deployEscrow(DEFAULT_LATEST_END - 1n);
    await expectRevert(deployCall(shortEscrow, defaults, 1n, 1n), "EvaluatorTermsOutlastRefund", [
      DEFAULT_LATEST_END,
      DEFAULT_LATEST_END - 1n,
    ]);
    const exactEscrow = await deployEscrow(DEFAULT_LATEST_END);
    await deployCall(exactEscrow, defaults, 1n, 1n);
  });
});

describe("StakedEvaluator fast path", () => {
  it("the client's approve with nothing staked writes no evaluator storage, and the check reads Pass", async () => {
    for (const config of [undefined, { windowSeconds: 900n, bondBps: 5_000n }]) {
      const { jobId } = await createCheckedJob(f, config ? { config } : {});
      const receipt = await f.tx(f.stakedAs(f.client).write.approve([jobId]));
      expect(await storageWritesOfTarget(f, receipt.transactionHash)).toBe(0);
      expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckSettled", f.addresses.evaluator)).toEqual([
        { jobId, passed: true, passTotal: 0n, failTotal: 0n, bondPosted: 0n },
      ]);
      expect(eventsOf(receipt, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
        { jobId, evaluator: f.addresses.evaluator, reason: checkReason(jobId, true, 0n, 0n, 0n) },
      ]);
      expect(await statusOf(f, jobId)).toBe(Status.Completed);
      expect((await f.staked.read.getCheck([jobId])).verdict).toBe(Verdict.Pass);
      // Terminal: nothing more to settle, stake or approve.
      await expectRevert(f.stakedAs(f.stranger).write.settle([jobId]), "EvaluatorNotSettleable", [
        jobId,
        Status.Completed,
      ]);
      await expectRevert(
        f.stakedAs(f.stranger).write.stake([jobId, true, 1_000_000n], { value: 1_000_000n }),
        "EvaluatorJobNotSubmitted",
        [jobId, Status.Completed],
      );
      await expectRevert(f.stakedAs(f.client).write.approve([jobId]), "EvaluatorJobNotSubmitted", [
        jobId,
        Status.Completed,
      ]);
    }
  });

  it("an approve with pass stakes does write the check (so the count above can see a write)", async () => {
    const { jobId } = await createCheckedJob(f);
    await stakeOn(f, f.stakers[0]!, jobId, true, 10_000n);
    const receipt = await f.tx(f.stakedAs(f.client).write.approve([jobId]));
    expect(await storageWritesOfTarget(f, receipt.transactionHash)).toBeGreaterThan(0);
  });
});

/** Deploys another StakedEvaluator on the fixture's escrow with the default terms and these floors. */
async function deployEvaluator(limits: { minResponsePeriod: bigint; minSettleMargin: bigint }): Promise<Address> {
  const receipt = await f.tx(
    f.deployer.deployContract({
      abi: stakedEvaluatorAbi,
      bytecode: stakedEvaluatorBytecode,
      args: [
        f.addresses.escrow,
        {
          window: 600n,
          responsePeriod: 300n,
          maxFlips: 4n,
          minStakeBps: 100n,
          bondBps: 0n,
          arbiter: zeroAddress,
          escalationBps: 0n,
          arbitrationPeriod: 0n,
        },
        limits.minResponsePeriod,
        limits.minSettleMargin,
      ],
      chain: f.deployer.chain,
    }),
  );
  return getAddress(receipt.contractAddress!);
}

async function deployEscrow(defaultEvaluationPeriod: bigint): Promise<Address> {
  const receipt = await f.tx(
    f.deployer.deployContract({
      abi: jobEscrowAbi,
      bytecode: jobEscrowBytecode,
      args: [defaultEvaluationPeriod],
      chain: f.deployer.chain,
    }),
  );
  return getAddress(receipt.contractAddress!);
}
