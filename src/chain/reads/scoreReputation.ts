import { getAddress, isAddressEqual, type Address } from "viem";

/** How a provider's job ended, as far as its reputation is concerned. */
export type JobOutcomeKind =
  /** The provider was paid. */
  | "completed"
  /** The evaluator rejected the delivery (or the job, before delivery). */
  | "rejected"
  /** The provider declined the job (the client was refunded at once). */
  | "declined"
  /** The deadline passed with nothing delivered. */
  | "expired-undelivered"
  /** The deadline and evaluation period passed after a delivery nobody judged. */
  | "expired-delivered";

/** One finished job of a provider, from the chain. */
export type ReputationJob = {
  jobId: bigint;
  client: Address;
  provider: Address;
  evaluator: Address;
  /** Payment token (`address(0)`: native currency). */
  token: Address;
  /** What the client put in escrow: the value at risk. */
  value: bigint;
  outcome: JobOutcomeKind;
  /** Seconds between funding and the deadline (undelivered expiries only). */
  deliverySeconds?: number;
};

export type ScoreReputationParameters = {
  /**
   * Evaluators whose verdicts count besides the rule that a client or provider never judges its own job: Guild's
   * staked evaluator, and any others the caller trusts. A verdict by any other address counts for nothing (it could
   * be either party's second wallet).
   */
  trustedEvaluators: readonly Address[];
  /**
   * The small-job floor of each payment token, in its base units (lower-cased address keys). A job worth less than
   * its token's floor weighs (value / floor)² floors instead of value / floor. Tokens without one are not scored.
   */
  floors: ReadonlyMap<Address, bigint>;
  /** Undelivered expiries count against a provider only when it had at least this long. Default 600 s. */
  minDeliverySeconds?: number;
  /** z of the one-sided confidence bound. Default 1.645 (95%). */
  z?: number;
};

/** A provider's track record: the bound it is ranked by, and what the bound rests on. */
export type Reputation = {
  address: Address;
  /**
   * What providers are ranked by: the Wilson lower bound (95%, one-sided) of `successRate` with `sampleSize`
   * observations; 0 without evidence. See docs/reputation.md.
   */
  score: number;
  /** Value-weighted share of counted jobs that succeeded; undefined without evidence. */
  successRate: number | undefined;
  /** Effective number of observations: each distinct client counts up to 1, in proportion to its weight. */
  sampleSize: number;
  /** Distinct clients among the counted jobs. */
  clients: number;
  /** Counted jobs by outcome. */
  completed: number;
  rejected: number;
  expired: number;
  /** Jobs it declined (shown, never scored: a client can make any provider decline at no cost). */
  declined: number;
  /** Finished jobs that counted for nothing: judged by the client, the provider or an untrusted evaluator. */
  ignored: number;
};

/** Weight of one job in floors: value/floor, and (value/floor)² below the floor (splitting a job never adds weight). */
export function jobWeight(value: bigint, floor: bigint): number {
  if (floor <= 0n) return 0;
  // Parts per million of a floor, exact for any bigint magnitude that matters here.
  const ratio = Number((value * 1_000_000n) / floor) / 1_000_000;
  return ratio * Math.min(1, ratio);
}

/**
 * Wilson score lower bound of a success rate `p` over `n` observations (`n` may be fractional); 0 when `n` is 0.
 *
 * @example
 * wilsonLowerBound(1, 1) // 0.27
 */
export function wilsonLowerBound(p: number, n: number, z = 1.645): number {
  if (!(n > 0)) return 0;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return Math.max(0, (centre - spread) / (1 + z2 / n));
}

/**
 * Scores providers from their finished jobs so that reputation costs something to fake:
 * - a job counts only when an independent evaluator judged it (never the client or the provider, and otherwise only
 *   a trusted one): attacker, a farmer that hires itself and approves its own work, or a client that names itself
 *   evaluator to reject an honest provider;
 * - each job weighs its value at risk in floors of its token, quadratically less below the floor: attacker, a farmer
 *   running many 1-wei jobs, or splitting one job into many small ones (the weight never grows by splitting);
 * - each client adds at most one observation to the sample size, so one client (or one wallet farm funding little)
 *   cannot make a record look well established;
 * - the score is a lower confidence bound, so a short record ranks below a long one with the same rate.
 * Declines and expiries after delivery are not held against the provider; undelivered expiries are, when the
 * provider had at least `minDeliverySeconds`.
 *
 * @example
 * const scores = scoreReputation(jobs, { trustedEvaluators: [evaluator], floors: new Map([[zeroAddress, 10n ** 15n]]) });
 */
export function scoreReputation(
  jobs: readonly ReputationJob[],
  { trustedEvaluators, floors, minDeliverySeconds = 600, z = 1.645 }: ScoreReputationParameters,
): Map<Address, Reputation> {
  type Tally = Reputation & { perClient: Map<Address, { weight: number; success: number }> };
  const tallies = new Map<Address, Tally>();
  const tally = (provider: Address): Tally => {
    let entry = tallies.get(provider);
    if (!entry) {
      entry = { ...emptyReputation(provider), perClient: new Map() };
      tallies.set(provider, entry);
    }
    return entry;
  };
  for (const job of jobs) {
    const provider = getAddress(job.provider);
    const entry = tally(provider);
    if (job.outcome === "declined") {
      entry.declined += 1;
      continue;
    }
    if (job.outcome === "expired-delivered") continue;
    if (
      job.outcome === "expired-undelivered" &&
      (job.deliverySeconds === undefined || job.deliverySeconds < minDeliverySeconds)
    )
      continue;
    const selfJudged =
      isAddressEqual(job.client, job.provider) ||
      isAddressEqual(job.evaluator, job.client) ||
      isAddressEqual(job.evaluator, job.provider);
    const trusted = trustedEvaluators.some((evaluator) => isAddressEqual(evaluator, job.evaluator));
    // An expiry needs no verdict, but a self-dealt job's expiry proves nothing either.
    if (selfJudged || (!trusted && job.outcome !== "expired-undelivered")) {
      entry.ignored += 1;
      continue;
    }
    const floor = floors.get(job.token.toLowerCase() as Address);
    const weight = floor === undefined ? 0 : jobWeight(job.value, floor);
    const success = job.outcome === "completed";
    if (success) entry.completed += 1;
    else if (job.outcome === "rejected") entry.rejected += 1;
    else entry.expired += 1;
    const client = getAddress(job.client);
    const perClient = entry.perClient.get(client) ?? { weight: 0, success: 0 };
    perClient.weight += weight;
    if (success) perClient.success += weight;
    entry.perClient.set(client, perClient);
  }
  const result = new Map<Address, Reputation>();
  for (const [provider, { perClient, ...entry }] of tallies) {
    let weight = 0;
    let success = 0;
    let sampleSize = 0;
    for (const client of perClient.values()) {
      weight += client.weight;
      success += client.success;
      sampleSize += Math.min(1, client.weight);
    }
    const successRate = weight > 0 ? Math.min(1, success / weight) : undefined;
    result.set(provider, {
      ...entry,
      clients: perClient.size,
      sampleSize,
      successRate,
      score: successRate === undefined ? 0 : wilsonLowerBound(successRate, sampleSize, z),
    });
  }
  return result;
}

/** The record of a provider with no finished jobs. */
export function emptyReputation(address: Address): Reputation {
  return {
    address,
    score: 0,
    successRate: undefined,
    sampleSize: 0,
    clients: 0,
    completed: 0,
    rejected: 0,
    expired: 0,
    declined: 0,
    ignored: 0,
  };
}
