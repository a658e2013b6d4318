import { isAddressEqual, type Address } from "viem";
import type { JobState } from "../chain/actions/readJob.js";

/**
 * The terms an operator's daemon takes jobs and stakes on checks under (`guild start`'s acceptance flags). Amounts
 * are basis points of the job's budget, times are seconds.
 */
export type AcceptancePolicy = {
  /** Evaluators accepted besides the deployment's StakedEvaluator (whose check the daemon can follow and settle). */
  evaluators: readonly Address[];
  /** Arbiters accepted on a check that names one; "any" takes every arbiter not in `deniedArbiters`. */
  arbiters: readonly Address[] | "any";
  deniedArbiters: readonly Address[];
  /** Worker: the highest bond it posts on its own delivery. */
  maxBondBps: bigint;
  /** Worker: the highest minimum stake (a higher one keeps ordinary checkers from backing its work). */
  maxMinStakeBps: bigint;
  /** Worker: the shortest check window (its bond must be mined, and checkers must look, before the close). */
  minWindowSeconds: bigint;
  /** The shortest response period: the time this daemon has to answer a change of lead. */
  minResponsePeriodSeconds: bigint;
  /** Worker: the most changes of lead allowed; without an arbiter also an even number (see {@link acceptTerms}). */
  maxFlips: bigint;
  /** The longest the check may last after delivery (every flip used, then the arbiter's time): money locked. */
  maxCheckSeconds: bigint;
  /** The least time between the check's latest end and the client's refund: this daemon's time to settle. */
  minSettleMarginSeconds: bigint;
  /** Worker: the least time left before the delivery deadline when it takes the job. */
  minTimeToDeadlineSeconds: bigint;
};

/**
 * Defaults for public chains, where a careful operator runs unattended: bounds that leave room for a daemon restart
 * or a gas spike (a response period of 5 minutes, an hour to settle), cap what it puts at risk (a bond of half the
 * price, a minimum stake of a fifth), and trust no arbiter it was not told to. docs/daemon.md gives the reasons.
 */
export const PUBLIC_ACCEPTANCE: AcceptancePolicy = {
  evaluators: [],
  arbiters: [],
  deniedArbiters: [],
  maxBondBps: 5_000n,
  maxMinStakeBps: 2_000n,
  minWindowSeconds: 600n,
  minResponsePeriodSeconds: 300n,
  maxFlips: 6n,
  maxCheckSeconds: 3n * 86_400n,
  minSettleMarginSeconds: 3_600n,
  minTimeToDeadlineSeconds: 60n,
};

/**
 * Defaults on dev chains, whose demo and tests run checks of a few seconds (the deployment's floors are 1 s there):
 * the same amounts and trust, shorter times, still above what a daemon polling every 250 ms needs.
 */
export const DEV_ACCEPTANCE: AcceptancePolicy = {
  ...PUBLIC_ACCEPTANCE,
  minWindowSeconds: 3n,
  minResponsePeriodSeconds: 1n,
  minSettleMarginSeconds: 5n,
};

export type AcceptTermsParameters = {
  job: JobState;
  policy: AcceptancePolicy;
  /** A worker judges a Funded job before it takes it; a checker judges a delivered job before it stakes. */
  role: "worker" | "checker";
  /** The deployment's StakedEvaluator. */
  stakedEvaluator: Address;
  nowSeconds: number;
  /** Checker only: its stake ceiling in basis points of the budget; a minimum stake above it cannot be staked. */
  maxStakeBps?: bigint;
};

/** Which of the job's terms was refused. */
export type RefusedTerm =
  | "evaluator"
  | "arbiter"
  | "bond"
  | "minStake"
  | "window"
  | "responsePeriod"
  | "maxFlips"
  | "checkTime"
  | "settleMargin"
  | "deadline";

export type AcceptTermsReturnType =
  | { accepted: true }
  | {
      accepted: false;
      term: RefusedTerm;
      /** One sentence, published on chain with the decline: "bond of 100% is above this provider's ceiling of 50%". */
      reason: string;
    };

/**
 * Judges a job's terms against the operator's policy. Every bound stops an attack on the daemon's own money:
 *
 * - the evaluator is the deployment's StakedEvaluator or an allowlisted one: a client that names itself (or a
 *   friend) evaluator rejects the delivered work and is refunded, so it gets the work for free;
 * - an arbiter must be allowlisted and not denied: a client's friend as arbiter rules fail on an escalated check
 *   and hands the provider's bond and the checkers' pass stakes to the client's other friend;
 * - the bond and the minimum stake have ceilings: a client cannot make the worker put more at risk than the job
 *   earns, nor price ordinary checkers out of backing the work;
 * - the window has a floor: a window shorter than the time to mine the bond after the delivery closes with the bond
 *   missing, and the client is refunded for delivered work;
 * - the response period has a floor: a daemon must have the time to answer a flip;
 * - flips are bounded and, without an arbiter, even: the last allowed flip is then the pass side's, so a client's
 *   friend with more capital cannot make the final, unanswerable flip to fail;
 * - the check's length has a ceiling (money locked), and the margin between its latest end and the client's refund
 *   a floor: with one second to settle, the client's `claimRefund` pre-empts the provider's `settle`;
 * - the deadline leaves time to deliver.
 *
 * @example
 * const verdict = acceptTerms({ job, policy: DEV_ACCEPTANCE, role: "worker", stakedEvaluator, nowSeconds });
 * if (!verdict.accepted) await declineJob(client, { jobId: job.jobId, why: verdict.reason });
 */
export function acceptTerms({
  job,
  policy,
  role,
  stakedEvaluator,
  nowSeconds,
  maxStakeBps,
}: AcceptTermsParameters): AcceptTermsReturnType {
  const me = role === "worker" ? "this provider" : "this checker";
  const refuse = (term: RefusedTerm, reason: string): AcceptTermsReturnType => ({ accepted: false, term, reason });
  const worker = role === "worker";

  if (worker) {
    const left = job.expiredAt - BigInt(nowSeconds);
    if (left < policy.minTimeToDeadlineSeconds) {
      const when = left > 0n ? `is ${seconds(left)} away` : "has passed";
      return refuse(
        "deadline",
        `the deadline ${when}, under ${me}'s minimum of ${seconds(policy.minTimeToDeadlineSeconds)} to deliver`,
      );
    }
  }
  const { check } = job;
  if (!check) {
    if (policy.evaluators.some((evaluator) => isAddressEqual(evaluator, job.evaluator))) return { accepted: true };
    const whose = isAddressEqual(job.evaluator, job.client)
      ? "the client itself"
      : isAddressEqual(job.evaluator, job.provider)
        ? "the provider itself"
        : job.evaluator;
    return refuse("evaluator", `the evaluator is ${whose}, not the staked evaluator or one ${me} accepts`);
  }
  // `check` is read only for the deployment's StakedEvaluator (readJob).
  if (!isAddressEqual(job.evaluator, stakedEvaluator)) {
    return refuse("evaluator", `the evaluator ${job.evaluator} is not the staked evaluator ${me} follows`);
  }

  const arbiter = check.arbitration?.arbiter;
  if (arbiter) {
    if (policy.deniedArbiters.some((denied) => isAddressEqual(denied, arbiter))) {
      return refuse("arbiter", `the arbiter ${arbiter} is denied by ${me}`);
    }
    if (policy.arbiters !== "any" && !policy.arbiters.some((allowed) => isAddressEqual(allowed, arbiter))) {
      return refuse("arbiter", `the arbiter ${arbiter} is not one ${me} accepts`);
    }
  }

  if (worker) {
    const bondBps = bps(check.bond, job.budget);
    if (bondBps > policy.maxBondBps) {
      return refuse("bond", `bond of ${percent(bondBps)} is above ${me}'s ceiling of ${percent(policy.maxBondBps)}`);
    }
    const minStakeBps = bps(check.minStake, job.budget);
    if (minStakeBps > policy.maxMinStakeBps) {
      return refuse(
        "minStake",
        `minimum stake of ${percent(minStakeBps)} is above ${me}'s ceiling of ${percent(policy.maxMinStakeBps)}`,
      );
    }
    if (check.closeOffsetSeconds < policy.minWindowSeconds) {
      return refuse(
        "window",
        `check window ${seconds(check.closeOffsetSeconds)} is under ${me}'s minimum of ${seconds(policy.minWindowSeconds)}`,
      );
    }
  } else if (maxStakeBps !== undefined && check.minStake > (job.budget * maxStakeBps) / 10_000n) {
    return refuse(
      "minStake",
      `minimum stake of ${percent(bps(check.minStake, job.budget))} is above ${me}'s stake ceiling of ${percent(maxStakeBps)}`,
    );
  }

  if (check.responsePeriodSeconds < policy.minResponsePeriodSeconds) {
    return refuse(
      "responsePeriod",
      `response period ${seconds(check.responsePeriodSeconds)} is under ${me}'s minimum of ${seconds(policy.minResponsePeriodSeconds)}`,
    );
  }
  if (worker) {
    if (check.maxFlips > policy.maxFlips) {
      return refuse("maxFlips", `${check.maxFlips} flips allowed, above ${me}'s maximum of ${policy.maxFlips}`);
    }
    if (!arbiter && check.maxFlips % 2n === 1n) {
      return refuse(
        "maxFlips",
        `${check.maxFlips} flips with no arbiter gives the last, unanswerable flip to the fail side`,
      );
    }
  }

  // From delivery: the close after every remaining flip, then the arbiter's time to rule.
  const latestEnd =
    check.closeOffsetSeconds +
    (check.maxFlips - check.flips) * check.responsePeriodSeconds +
    (check.arbitration?.arbitrationPeriodSeconds ?? 0n);
  if (latestEnd > policy.maxCheckSeconds) {
    return refuse(
      "checkTime",
      `the check can last ${seconds(latestEnd)} after delivery, above ${me}'s maximum of ${seconds(policy.maxCheckSeconds)}`,
    );
  }
  // A delivered job is refundable at its `refundableAt`; before delivery, one evaluation period after it at least.
  const refundAfter = job.status === "Submitted" ? job.refundableAt - job.submittedAt : job.evaluationPeriod;
  const margin = refundAfter - latestEnd;
  if (margin < policy.minSettleMarginSeconds) {
    return refuse(
      "settleMargin",
      `${seconds(margin)} between the check's latest end and the client's refund is under ${me}'s minimum of ${seconds(policy.minSettleMarginSeconds)} to settle`,
    );
  }
  return { accepted: true };
}

function bps(amount: bigint, budget: bigint): bigint {
  // Rounded up: a bond of 50.01% is above a 50% ceiling.
  return budget === 0n ? 0n : (amount * 10_000n + budget - 1n) / budget;
}

function percent(value: bigint): string {
  return `${Number(value) / 100}%`;
}

function seconds(value: bigint): string {
  return `${value} s`;
}
