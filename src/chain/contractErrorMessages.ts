import { formatEther } from "viem";

const STATUS = ["Open", "Funded", "Submitted", "Completed", "Rejected", "Expired"] as const;

/** Name of an escrow status value. */
export function statusName(status: number | bigint): string {
  return STATUS[Number(status)] ?? `status ${status}`;
}

const time = (seconds: unknown) => new Date(Number(seconds) * 1000).toISOString();
const units = (amount: unknown) =>
  `${String(amount)} base units (${formatEther(BigInt(String(amount)))} if 18 decimals)`;

/**
 * One sentence per custom error of Guild's contracts (and OpenZeppelin's ERC-20 errors), for people and
 * for the model: what is wrong, in the terms of the call that failed.
 */
const MESSAGES: Record<string, (args: readonly unknown[]) => string> = {
  EscrowHookNotSupported: ([hook]) => `Hooks are not supported; pass the zero address instead of ${hook}.`,
  EscrowZeroEvaluator: () => "The job needs an evaluator address.",
  EscrowZeroProvider: () => "The job needs a provider address.",
  EscrowInvalidExpiry: ([at, now]) => `The deadline ${time(at)} is not in the future (chain time ${time(now)}).`,
  EscrowEvaluationPeriodTooLong: ([period, max]) =>
    `Evaluation period ${period} s is longer than the ${max} s allowed.`,
  EscrowJobNotFound: ([jobId]) => `Job ${jobId} does not exist.`,
  EscrowWrongStatus: ([jobId, status]) => `Job ${jobId} is ${statusName(status as number)}, which does not allow this.`,
  EscrowUnauthorized: ([jobId, caller]) => `${caller} is not the party allowed to do this on job ${jobId}.`,
  EscrowProviderAlreadySet: ([jobId, provider]) => `Job ${jobId} already has provider ${provider}.`,
  EscrowProviderNotSet: ([jobId]) => `Job ${jobId} has no provider yet.`,
  EscrowZeroBudget: ([jobId]) => `Job ${jobId} has no budget.`,
  EscrowBudgetTooLarge: ([amount]) => `Budget ${units(amount)} is larger than a job can hold.`,
  EscrowBudgetMismatch: ([jobId, budget, expected]) =>
    `Job ${jobId}'s budget is ${budget}, not the ${expected} expected; it changed.`,
  EscrowWrongValue: ([expected, sent]) => `The transaction must carry ${expected} wei of value, not ${sent}.`,
  EscrowTransferShortfall: ([token, expected, received]) =>
    `Token ${token} delivered ${received} instead of ${expected} (a fee-on-transfer token is not supported).`,
  EscrowJobExpired: ([jobId, at]) => `Job ${jobId} expired at ${time(at)}.`,
  EscrowNotRefundable: ([jobId, at]) => `Job ${jobId} cannot be refunded before ${time(at)}.`,
  EscrowInvalidParent: ([parent]) => `Parent job ${parent} does not exist or is not live.`,
  EscrowNotParentProvider: ([parent, caller]) => `${caller} is not the provider of parent job ${parent}.`,
  EscrowNothingToWithdraw: ([account, token]) => `${account} has no credited payouts in token ${token}.`,
  EscrowWithdrawFailed: ([to]) => `The withdrawal to ${to} was refused by the receiver; withdraw to another address.`,
  EvaluatorOnlyEscrow: () => "Only the escrow may configure a check.",
  EvaluatorNotJobEvaluator: ([jobId]) => `Job ${jobId} is not judged by the staked evaluator.`,
  EvaluatorInvalidConfig: ([w, m, b]) => `Invalid check settings (window ${w} s, min stake ${m} bps, bond ${b} bps).`,
  EvaluatorWindowTooLong: ([w, p]) => `The check window (${w} s) must be shorter than the evaluation period (${p} s).`,
  EvaluatorJobNotSubmitted: ([jobId, status]) => `Job ${jobId} is ${statusName(status as number)}, not Submitted.`,
  EvaluatorAlreadySettled: ([jobId]) => `The check of job ${jobId} is already settled.`,
  EvaluatorNotSettled: ([jobId]) => `The check of job ${jobId} is not settled yet.`,
  EvaluatorWindowClosed: ([jobId, at]) => `The check window of job ${jobId} closed at ${time(at)}.`,
  EvaluatorWindowOpen: ([jobId, at]) => `The check window of job ${jobId} is open until ${time(at)}.`,
  EvaluatorClientCannotStake: ([jobId]) => `The client of job ${jobId} cannot stake on its check.`,
  EvaluatorProviderMustStakePass: ([jobId]) => `The provider of job ${jobId} can only stake on pass.`,
  EvaluatorSideConflict: ([jobId, pass]) => `You already staked on ${pass ? "pass" : "fail"} for job ${jobId}.`,
  EvaluatorStakeTooSmall: ([jobId, stake, min]) => `A stake of ${stake} on job ${jobId} is below the minimum ${min}.`,
  EvaluatorStakeTooLarge: ([jobId]) => `The stake on job ${jobId} is too large.`,
  EvaluatorWrongValue: ([expected, sent]) => `The transaction must carry ${expected} wei of value, not ${sent}.`,
  EvaluatorTransferShortfall: ([token]) => `Token ${token} delivered less than the stake (fee-on-transfer).`,
  EvaluatorUnauthorized: ([jobId, caller]) => `${caller} is not the client of job ${jobId}.`,
  EvaluatorFailStakePresent: ([jobId]) => `Job ${jobId} has a stake on fail, so it cannot be approved early.`,
  EvaluatorNotSettleable: ([jobId, status]) =>
    `Job ${jobId} is ${statusName(status as number)}; there is nothing to settle.`,
  EvaluatorNothingToClaim: ([jobId, staker]) => `${staker} has nothing to claim on job ${jobId}.`,
  EvaluatorClaimFailed: ([to]) => `The receiver ${to} refused the claim; claim to another address.`,
  EvaluatorLeadFrozen: ([jobId, from]) =>
    `The leading side of job ${jobId} cannot add to its stakes from ${time(from)}: the other side has the last response period.`,
  EvaluatorLeadLocked: ([jobId, flips]) =>
    `The lead of job ${jobId} is locked after ${flips} changes; only its arbiter can change it.`,
  EvaluatorNoArbiter: ([jobId]) => `The terms of job ${jobId} name no arbiter to escalate to.`,
  EvaluatorNotStaker: ([jobId, caller]) => `${caller} holds no stake on job ${jobId}; only stakers may escalate.`,
  EvaluatorBelowEscalationThreshold: ([jobId, staked, threshold]) =>
    `The stakes on job ${jobId} (${units(staked)}) are below its escalation threshold (${units(threshold)}).`,
  EvaluatorEscalated: ([jobId]) => `The check of job ${jobId} is already escalated to its arbiter.`,
  RegistryAlreadyRegistered: ([agent]) => `${agent} is already registered; update it instead.`,
  RegistryNotRegistered: ([agent]) => `${agent} is not registered.`,
  RegistryEmptyName: () => "The agent needs a name.",
  RegistryInvalidName: ([name]) =>
    `"${name}" is not a valid agent name: use up to 32 lowercase letters, digits, - or _, starting with a letter or digit.`,
  RegistryNameTaken: ([name, owner]) => `The name "${name}" belongs to ${owner}; choose another name.`,
  RegistryTooManySkills: ([count, max]) => `${count} skills is more than the ${max} allowed.`,
  RegistryEmptySkill: ([index]) => `Skill number ${Number(index) + 1} is empty.`,
  RegistryDuplicateSkill: ([skill]) => `Skill "${skill}" is listed twice.`,
  ERC20InsufficientBalance: ([sender, balance, needed]) =>
    `${sender} holds ${balance} of the token but ${needed} is needed.`,
  ERC20InsufficientAllowance: ([spender, allowance, needed]) =>
    `The allowance for ${spender} is ${allowance} but ${needed} is needed.`,
  ReentrancyGuardReentrantCall: () => "A reentrant call was refused.",
  SafeERC20FailedOperation: ([token]) => `A transfer of token ${token} failed.`,
};

/** The sentence for a custom error, or a generic one naming it. */
export function describeContractError(errorName: string | undefined, args: readonly unknown[]): string {
  if (!errorName) return "The contract reverted without a reason.";
  const describe = MESSAGES[errorName];
  return describe ? describe(args) : `The contract reverted with ${errorName}(${args.map(String).join(", ")}).`;
}
