import {
  concatHex,
  decodeAbiParameters,
  encodeAbiParameters,
  size,
  sliceHex,
  zeroAddress,
  type Address,
  type Hex,
} from "viem";

/**
 * Terms of the staked check, for jobs judged by the StakedEvaluator, sent as the job's `evaluatorData`.
 * Omitted timing fields take the evaluator's defaults; see docs/contracts.md for the game they set.
 */
export type CheckSettings = {
  /** Seconds from delivery to the first close. */
  windowSeconds?: bigint;
  /** Seconds the outbid side has to answer a change of lead. */
  responsePeriodSeconds?: bigint;
  /** Changes of lead allowed by staking (2 to 15). */
  maxFlips?: bigint;
  /** Smallest stake, in basis points of the budget. Default 100 (1%). */
  minStakeBps?: bigint;
  /** Bond the provider must stake on its own work, in basis points of the budget. Default 0. */
  bondBps?: bigint;
  /** Who may rule an escalated check (never the client or the provider); none by default. */
  arbiter?: Address;
  /** Both sides' stakes, in basis points of the budget, needed before a staker may escalate. */
  escalationBps?: bigint;
  /** Seconds the arbiter has to rule once escalated. */
  arbitrationPeriodSeconds?: bigint;
};

/** The terms as the contract stores them: every field present, 0 where the default applies. */
export type EncodedCheckTerms = {
  window: bigint;
  minStakeBps: bigint;
  bondBps: bigint;
  responsePeriod: bigint;
  maxFlips: bigint;
  arbiter: Address;
  escalationBps: bigint;
  arbitrationPeriod: bigint;
};

const CHECK_TERMS_PARAMETERS = [
  {
    type: "tuple",
    components: [
      { name: "window", type: "uint256" },
      { name: "minStakeBps", type: "uint256" },
      { name: "bondBps", type: "uint256" },
      { name: "responsePeriod", type: "uint256" },
      { name: "maxFlips", type: "uint256" },
      { name: "arbiter", type: "address" },
      { name: "escalationBps", type: "uint256" },
      { name: "arbitrationPeriod", type: "uint256" },
    ],
  },
] as const;

/**
 * `abi.encode(StakedEvaluator.CheckTerms)` without the trailing fields left at their defaults (3, 5 or 8
 * words): the job's `evaluatorData`.
 *
 * @example
 * encodeCheckTerms({ windowSeconds: 600n, bondBps: 5_000n }); // 96 bytes: window, minimum stake, bond
 */
export function encodeCheckTerms(settings: CheckSettings): Hex {
  const terms = toEncodedCheckTerms(settings);
  const full = encodeAbiParameters(CHECK_TERMS_PARAMETERS, [terms]);
  // Trailing fields left at 0 are left out (the contract reads them as defaults): less calldata.
  if (terms.arbiter !== zeroAddress || terms.escalationBps !== 0n || terms.arbitrationPeriod !== 0n) return full;
  return terms.responsePeriod === 0n && terms.maxFlips === 0n ? sliceHex(full, 0, 96) : sliceHex(full, 0, 160);
}

/** Reads `evaluatorData` written by {@link encodeCheckTerms} (96, 160 or 256 bytes). Throws on anything else. */
export function decodeCheckTerms(data: Hex): EncodedCheckTerms {
  const full = size(data) < 256 ? concatHex([data, `0x${"00".repeat(256 - size(data))}`]) : data;
  const [terms] = decodeAbiParameters(CHECK_TERMS_PARAMETERS, full);
  return terms;
}

/** The settings with every field filled as the contract reads them (0: the default). */
export function toEncodedCheckTerms(settings: CheckSettings): EncodedCheckTerms {
  return {
    window: settings.windowSeconds ?? 0n,
    responsePeriod: settings.responsePeriodSeconds ?? 0n,
    maxFlips: settings.maxFlips ?? 0n,
    minStakeBps: settings.minStakeBps ?? 100n,
    bondBps: settings.bondBps ?? 0n,
    arbiter: settings.arbiter ?? zeroAddress,
    escalationBps: settings.escalationBps ?? 0n,
    arbitrationPeriod: settings.arbitrationPeriodSeconds ?? 0n,
  };
}

/**
 * A response period for a window given without one: the evaluator's default when it is shorter than the
 * window (the contract wants the window longer than the response period), else a third of the window, but
 * never under the deployment's floor.
 *
 * @example
 * responsePeriodFor(12n, { defaultResponsePeriod: 300n, minResponsePeriod: 1n }); // 4n
 */
export function responsePeriodFor(
  windowSeconds: bigint,
  { defaultResponsePeriod, minResponsePeriod }: { defaultResponsePeriod: bigint; minResponsePeriod: bigint },
): bigint {
  if (defaultResponsePeriod < windowSeconds) return defaultResponsePeriod;
  const third = windowSeconds / 3n;
  return third > minResponsePeriod ? third : minResponsePeriod;
}
