/**
 * The assumptions of the checks simulation, in one place: every figure docs/simulation.md quotes comes from here.
 * Amounts are in ETH as numbers here and in wei (bigint) on the chain.
 */

/** How honest checkers size the stake that takes the lead back. */
export type HonestRule = "doubling" | "all-in";

export type ModelParameters = {
  /** Every job's budget, in ETH. */
  budget: number;
  /** The job's check terms (StakedEvaluator `CheckTerms`). */
  windowSeconds: bigint;
  responsePeriodSeconds: bigint;
  maxFlips: number;
  minStakeBps: bigint;
  bondBps: bigint;
  /** Arbitration terms of jobs that name an arbiter. */
  escalationBps: bigint;
  arbitrationPeriodSeconds: bigint;
  /** Number of honest checkers. */
  checkers: number;
  /** Each checker's verdict is right with probability p, p drawn once per checker from U(low, high). */
  accuracyLow: number;
  accuracyHigh: number;
  /** Each checker's per-job ceiling (most it will stake on one job), in ETH: log-normal. */
  ceilingMedian: number;
  ceilingSigma: number;
  /** Chance that a checker reviews a job when it is delivered. */
  reviewChance: number;
  /** Chance that a checker who did not review it looks at a job once its lead has changed (a dispute). */
  disputeReviewChance: number;
  /** Opening stake of each reviewing checker on its verdict, in ETH (at least the job's minimum stake). */
  openingStake: number;
  /** Seconds after a change of lead before the honest checkers answer (under the response period). */
  honestDelaySeconds: bigint;
  /** Seconds after a change of lead before a rich out-staker answers. */
  attackerDelaySeconds: bigint;
  /** Seconds after the close before an honest arbiter rules (it may rule only once staking is over). */
  arbiterDelaySeconds: bigint;
  /** How honest checkers size a flip. */
  honestRule: HonestRule;
};

export const DEFAULT_MODEL: ModelParameters = {
  budget: 1,
  windowSeconds: 600n,
  responsePeriodSeconds: 300n,
  maxFlips: 4,
  minStakeBps: 100n,
  bondBps: 5_000n,
  escalationBps: 20_000n,
  arbitrationPeriodSeconds: 600n,
  checkers: 40,
  accuracyLow: 0.7,
  accuracyHigh: 0.95,
  ceilingMedian: 0.5,
  ceilingSigma: 0.8,
  reviewChance: 0.15,
  disputeReviewChance: 0.35,
  openingStake: 0.05,
  honestDelaySeconds: 60n,
  attackerDelaySeconds: 30n,
  arbiterDelaySeconds: 60n,
  honestRule: "doubling",
};

/**
 * The honest side's expected capital on a job: the expected summed ceilings of the checkers who review it when
 * it is delivered (checkers x review chance x mean log-normal ceiling). Attackers' capital is a multiple of it.
 */
export function honestCapitalPerJob(model: ModelParameters): number {
  const meanCeiling = model.ceilingMedian * Math.exp((model.ceilingSigma * model.ceilingSigma) / 2);
  return model.checkers * model.reviewChance * meanCeiling;
}

export type Attack = "none" | "sniper" | "client-second-address" | "provider-second-address" | "rich-out-staker";
export type ArbiterMode = "none" | "honest" | "silent";
/** The work delivered: good, bad, or either with equal chance (per job). */
export type WorkMix = "good" | "bad" | "either";

/** One cell of the experiment: every job of a cell is played the same way, with its own random draws. */
export type Cell = {
  attack: Attack;
  arbiter: ArbiterMode;
  work: WorkMix;
  /** The attacker's capital as a multiple of {@link honestCapitalPerJob}; 0 without an attacker. */
  capitalMultiple: number;
};

export const ATTACKS: readonly Exclude<Attack, "none">[] = [
  "sniper",
  "client-second-address",
  "provider-second-address",
  "rich-out-staker",
];
export const ARBITER_MODES: readonly ArbiterMode[] = ["none", "honest", "silent"];
/** Capital multiples swept for every attack and arbiter mode. */
export const CAPITAL_MULTIPLES: readonly number[] = [0.5, 1, 2, 4, 8];
/** The multiple of the headline table (an attacker as rich as the whole honest side of a job). */
export const HEADLINE_MULTIPLE = 1;

/** What each attack wants, and on which work it is played. */
export const ATTACK_WORK: Record<Exclude<Attack, "none">, WorkMix> = {
  // A third party with no view on the work: it backs whichever side trails, in the last second of each close.
  sniper: "either",
  // The client's second address stakes fail on good work, in the last second, to get the budget refunded.
  "client-second-address": "good",
  // The provider delivered wrong work; its bond and its second address keep pass ahead, in the last second.
  "provider-second-address": "bad",
  // A third party who knows the truth and backs the wrong side early with large capital, answering each flip.
  "rich-out-staker": "either",
};

/** Every cell of a run: honest and dishonest workers without an attacker, then the attack grid. */
export function allCells(): Cell[] {
  const cells: Cell[] = [];
  for (const arbiter of ARBITER_MODES) {
    cells.push({ attack: "none", arbiter, work: "good", capitalMultiple: 0 });
    cells.push({ attack: "none", arbiter, work: "bad", capitalMultiple: 0 });
  }
  for (const attack of ATTACKS) {
    for (const arbiter of ARBITER_MODES) {
      for (const capitalMultiple of CAPITAL_MULTIPLES) {
        cells.push({ attack, arbiter, work: ATTACK_WORK[attack], capitalMultiple });
      }
    }
  }
  return cells;
}

export function cellKey(cell: Cell): string {
  return `${cell.attack}|${cell.arbiter}|${cell.work}|${cell.capitalMultiple}`;
}
