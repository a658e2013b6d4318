import { parseEther, zeroAddress, type Address } from "viem";
import { describe, expect, it } from "vitest";
import type { CheckState, JobState } from "../../src/chain/actions/readJob.js";
import { parseAcceptance } from "../../src/cli/commands/startCommand.js";
import { acceptTerms, DEV_ACCEPTANCE, PUBLIC_ACCEPTANCE, type AcceptancePolicy } from "../../src/daemon/acceptTerms.js";
import { InvalidInputError } from "../../src/errors/input.js";

const EVALUATOR: Address = "0x00000000000000000000000000000000000000e1";
const CLIENT: Address = "0x00000000000000000000000000000000000000c1";
const PROVIDER: Address = "0x00000000000000000000000000000000000000b0";
const FRIEND: Address = "0x00000000000000000000000000000000000000f1";
const NOW = 1_000_000;
const BUDGET = parseEther("0.002");

/** A Funded job on the staked evaluator with public-chain-friendly terms: the evaluator's defaults, a 50% bond. */
function job(check: Partial<CheckState> = {}, fields: Partial<JobState> = {}): JobState {
  return {
    jobId: 1n,
    client: CLIENT,
    provider: PROVIDER,
    evaluator: EVALUATOR,
    token: zeroAddress,
    budget: BUDGET,
    expiredAt: BigInt(NOW + 3_600),
    submittedAt: 0n,
    evaluationPeriod: 86_400n,
    parentJobId: 0n,
    status: "Funded",
    refundableAt: BigInt(NOW + 3_600),
    check: {
      closeOffsetSeconds: 600n,
      responsePeriodSeconds: 300n,
      maxFlips: 4n,
      flips: 0n,
      leader: "pass",
      minStake: BUDGET / 100n,
      bond: BUDGET / 2n,
      passTotal: 0n,
      failTotal: 0n,
      verdict: "None",
      closesAt: undefined,
      latestClose: undefined,
      arbitration: undefined,
      ...check,
    },
    ...fields,
  };
}

function judge(state: JobState, policy: AcceptancePolicy = PUBLIC_ACCEPTANCE, role: "worker" | "checker" = "worker") {
  return acceptTerms({ job: state, policy, role, stakedEvaluator: EVALUATOR, nowSeconds: NOW, maxStakeBps: 10_000n });
}

const ARBITRATION = { escalationThreshold: 0n, arbitrationPeriodSeconds: 600n, escalated: false, rulingDeadline: 0n };

describe("acceptTerms", () => {
  it("accepts the evaluator's default terms with the hire tool's 50% bond, on public and dev defaults", () => {
    expect(judge(job())).toEqual({ accepted: true });
    expect(judge(job(), DEV_ACCEPTANCE)).toEqual({ accepted: true });
    expect(judge(job(), PUBLIC_ACCEPTANCE, "checker")).toEqual({ accepted: true });
  });

  it("a client that names itself evaluator: refused, saying so", () => {
    const verdict = judge(job({}, { evaluator: CLIENT, check: undefined }));
    expect(verdict).toMatchObject({ accepted: false, term: "evaluator" });
    expect(verdict.accepted === false && verdict.reason).toContain("the client itself");
    // An evaluator the operator allowlisted is taken.
    expect(
      judge(job({}, { evaluator: FRIEND, check: undefined }), { ...PUBLIC_ACCEPTANCE, evaluators: [FRIEND] }),
    ).toEqual({
      accepted: true,
    });
  });

  it("a bond or minimum stake above the ceiling is refused; at the ceiling it is taken", () => {
    expect(judge(job({ bond: BUDGET }))).toMatchObject({
      accepted: false,
      term: "bond",
      reason: "bond of 100% is above this provider's ceiling of 50%",
    });
    expect(judge(job({ bond: BUDGET / 2n + 1n }))).toMatchObject({ accepted: false, term: "bond" });
    expect(judge(job({ minStake: (BUDGET * 21n) / 100n }))).toMatchObject({ accepted: false, term: "minStake" });
    expect(judge(job({ minStake: BUDGET / 5n }))).toEqual({ accepted: true });
    // A checker does not post the bond, but cannot stake a minimum above its own ceiling.
    expect(judge(job({ bond: BUDGET }), PUBLIC_ACCEPTANCE, "checker")).toEqual({ accepted: true });
    expect(
      acceptTerms({
        job: job({ minStake: BUDGET / 2n }),
        policy: PUBLIC_ACCEPTANCE,
        role: "checker",
        stakedEvaluator: EVALUATOR,
        nowSeconds: NOW,
        maxStakeBps: 2_500n,
      }),
    ).toMatchObject({ accepted: false, term: "minStake" });
  });

  it("a one-second settle margin (the refund right behind the check's latest end) is refused", () => {
    // window 600 + 4 flips x 300 = 1800 s; the refund 1 s later.
    const tight = job({}, { evaluationPeriod: 1_801n });
    expect(judge(tight)).toMatchObject({ accepted: false, term: "settleMargin" });
    expect(judge(tight, PUBLIC_ACCEPTANCE, "checker")).toMatchObject({ accepted: false, term: "settleMargin" });
    expect(judge(job({}, { evaluationPeriod: 1_800n + 3_600n }))).toEqual({ accepted: true });
    // The arbiter's time counts toward the latest end.
    const arbitrated = job({ arbitration: { arbiter: FRIEND, ...ARBITRATION } }, { evaluationPeriod: 1_800n + 3_600n });
    expect(judge(arbitrated, { ...PUBLIC_ACCEPTANCE, arbiters: [FRIEND] })).toMatchObject({ term: "settleMargin" });
    // A delivered job measures from its delivery to its refund, flips already made counted.
    const delivered = job(
      { flips: 2n, closesAt: BigInt(NOW + 600), latestClose: BigInt(NOW + 1_200) },
      { status: "Submitted", submittedAt: BigInt(NOW - 300), refundableAt: BigInt(NOW - 300 + 1_201 + 3_600) },
    );
    expect(judge(delivered, PUBLIC_ACCEPTANCE, "checker")).toEqual({ accepted: true });
  });

  it("timing floors and ceilings: window, response period, flips, length, deadline", () => {
    expect(judge(job({ closeOffsetSeconds: 400n }))).toMatchObject({ term: "window" });
    expect(judge(job({ responsePeriodSeconds: 60n }))).toMatchObject({ term: "responsePeriod" });
    expect(judge(job({ responsePeriodSeconds: 60n }), PUBLIC_ACCEPTANCE, "checker")).toMatchObject({
      term: "responsePeriod",
    });
    expect(judge(job({ maxFlips: 8n }))).toMatchObject({ term: "maxFlips" });
    // An odd count with no arbiter leaves the last flip to the fail side.
    expect(judge(job({ maxFlips: 5n }))).toMatchObject({ term: "maxFlips" });
    expect(judge(job({ closeOffsetSeconds: 3n * 86_400n }), PUBLIC_ACCEPTANCE)).toMatchObject({ term: "checkTime" });
    expect(judge(job({}, { expiredAt: BigInt(NOW + 30) }))).toMatchObject({ term: "deadline" });
    expect(judge(job({}, { expiredAt: BigInt(NOW - 30) }))).toMatchObject({ term: "deadline" });
    // Dev chains: checks of a few seconds.
    const short = job({ closeOffsetSeconds: 5n, responsePeriodSeconds: 1n });
    expect(judge(short)).toMatchObject({ accepted: false });
    expect(judge(short, DEV_ACCEPTANCE)).toEqual({ accepted: true });
  });

  it("arbiters: none accepted by default; an allowlist, any, and a deny list", () => {
    const named = job({ arbitration: { arbiter: FRIEND, ...ARBITRATION } });
    expect(judge(named)).toMatchObject({ accepted: false, term: "arbiter" });
    expect(judge(named, PUBLIC_ACCEPTANCE, "checker")).toMatchObject({ accepted: false, term: "arbiter" });
    expect(judge(named, { ...PUBLIC_ACCEPTANCE, arbiters: [FRIEND] })).toEqual({ accepted: true });
    expect(judge(named, { ...PUBLIC_ACCEPTANCE, arbiters: "any" })).toEqual({ accepted: true });
    expect(judge(named, { ...PUBLIC_ACCEPTANCE, arbiters: "any", deniedArbiters: [FRIEND] })).toMatchObject({
      term: "arbiter",
    });
    // With an arbiter the last flip is not final: an odd count is taken.
    expect(
      judge(job({ maxFlips: 5n, arbitration: { arbiter: FRIEND, ...ARBITRATION } }), {
        ...PUBLIC_ACCEPTANCE,
        arbiters: [FRIEND],
      }),
    ).toEqual({ accepted: true });
  });
});

describe("guild start's acceptance flags", () => {
  it("parses only the flags given, in basis points and seconds", () => {
    expect(parseAcceptance({})).toEqual({});
    expect(
      parseAcceptance({
        maxBondPercent: "25",
        minSettleMargin: "2h",
        minWindow: "90",
        maxFlips: "4",
        acceptArbiters: "any",
        denyArbiters: FRIEND,
      }),
    ).toEqual({
      maxBondBps: 2_500n,
      minSettleMarginSeconds: 7_200n,
      minWindowSeconds: 90n,
      maxFlips: 4n,
      arbiters: "any",
      deniedArbiters: [FRIEND],
    });
  });

  it("refuses malformed values, naming the flag", () => {
    for (const [options, field] of [
      [{ maxBondPercent: "150" }, "max-bond-percent"],
      [{ minSettleMargin: "soon" }, "min-settle-margin"],
      [{ maxFlips: "1" }, "max-flips"],
      [{ acceptEvaluators: "0x1234" }, "accept-evaluators"],
    ] as const) {
      expect(() => parseAcceptance(options)).toThrow(InvalidInputError);
      try {
        parseAcceptance(options);
      } catch (error) {
        expect((error as InvalidInputError).field).toBe(field);
      }
    }
  });
});
