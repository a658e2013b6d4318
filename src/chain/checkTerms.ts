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
  responsePeriod: bigint;
  maxFlips: bigint;
  minStakeBps: bigint;
  bondBps: bigint;
  arbiter: Address;
  escalationBps: bigint;
  arbitrationPeriod: bigint;
};

const CHECK_TERMS_PARAMETERS = [
  {
    type: "tuple",
    components: [
      { name: "window", type: "uint256" },
      { name: "responsePeriod", type: "uint256" },
      { name: "maxFlips", type: "uint256" },
      { name: "minStakeBps", type: "uint256" },
      { name: "bondBps", type: "uint256" },
      { name: "arbiter", type: "address" },
      { name: "escalationBps", type: "uint256" },
      { name: "arbitrationPeriod", type: "uint256" },
    ],
  },
] as const;

/**
 * `abi.encode(StakedEvaluator.CheckTerms)`, or its first five words for a job without an arbiter: the job's
 * `evaluatorData`.
 *
 * @example
 * encodeCheckTerms({ windowSeconds: 600n, bondBps: 5_000n }); // 256 bytes, 0 where the default applies
 */
export function encodeCheckTerms(settings: CheckSettings): Hex {
  const terms = toEncodedCheckTerms(settings);
  const full = encodeAbiParameters(CHECK_TERMS_PARAMETERS, [terms]);
  // Without an arbiter the contract takes the first five words alone: 96 bytes less calldata.
  return terms.arbiter === zeroAddress && terms.escalationBps === 0n && terms.arbitrationPeriod === 0n
    ? sliceHex(full, 0, 160)
    : full;
}

/** Reads `evaluatorData` written by {@link encodeCheckTerms} (160 or 256 bytes). Throws on anything else. */
export function decodeCheckTerms(data: Hex): EncodedCheckTerms {
  const full = size(data) === 160 ? concatHex([data, `0x${"00".repeat(96)}`]) : data;
  const [terms] = decodeAbiParameters(CHECK_TERMS_PARAMETERS, full);
  return terms;
}

/**
 * The settings with every field filled as the contract reads them (0: the default). A window given without
 * a response period gets a third of it (at least a second): the contract needs the window to be longer
 * than the response period, and the deployment's default response period suits only its default window.
 */
export function toEncodedCheckTerms(settings: CheckSettings): EncodedCheckTerms {
  const window = settings.windowSeconds ?? 0n;
  const derivedResponsePeriod = window === 0n ? 0n : window / 3n > 0n ? window / 3n : 1n;
  return {
    window,
    responsePeriod: settings.responsePeriodSeconds ?? derivedResponsePeriod,
    maxFlips: settings.maxFlips ?? 0n,
    minStakeBps: settings.minStakeBps ?? 100n,
    bondBps: settings.bondBps ?? 0n,
    arbiter: settings.arbiter ?? zeroAddress,
    escalationBps: settings.escalationBps ?? 0n,
    arbitrationPeriod: settings.arbitrationPeriodSeconds ?? 0n,
  };
}
