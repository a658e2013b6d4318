import { encodeAbiParameters, keccak256, zeroAddress, type Address, type Hash, type TransactionReceipt } from "viem";
import type { TestWallet } from "../testChain.js";
import { NATIVE, type GuildFixture } from "./fixture.js";
import { type CheckSettings, encodeCheckTerms } from "../../../src/chain/checkTerms.js";
import { createFundedJob } from "./jobs.js";

export type { CheckSettings } from "../../../src/chain/checkTerms.js";

/**
 * A job evaluated by the StakedEvaluator, funded and delivered by the fixture's provider (or `providerWallet`).
 * `config` is sent as evaluatorData; without it the evaluator's defaults apply.
 */
export async function createCheckedJob(
  f: GuildFixture,
  {
    token = NATIVE,
    budget = 1_000_000n,
    config,
    evaluationPeriod = 0n,
    providerWallet = f.provider,
    client = f.client,
  }: {
    token?: Address;
    budget?: bigint;
    config?: CheckSettings;
    evaluationPeriod?: bigint;
    providerWallet?: TestWallet;
    client?: TestWallet;
  } = {},
): Promise<{
  jobId: bigint;
  budget: bigint;
  submittedAt: bigint;
  closesAt: bigint;
  createReceipt: TransactionReceipt;
}> {
  const { jobId, receipt } = await createFundedJob(f, {
    client,
    token,
    budget,
    evaluator: f.addresses.evaluator,
    provider: providerWallet.account.address,
    evaluationPeriod,
    ...(config ? { evaluatorData: encodeCheckTerms(config) } : {}),
  });
  const delivered = await f.tx(f.escrowAs(providerWallet).write.deliver([jobId, "the work"]));
  const submittedAt = (await f.publicClient.getBlock({ blockNumber: delivered.blockNumber })).timestamp;
  const { closesAt } = await f.staked.read.getCheck([jobId]);
  return { jobId, budget, submittedAt, closesAt, createReceipt: receipt };
}

/** Stakes `amount` on `pass` as `wallet`, minting and approving it first for ERC-20 jobs. */
export async function stakeOn(
  f: GuildFixture,
  wallet: TestWallet,
  jobId: bigint,
  pass: boolean,
  amount: bigint,
  token: Address = NATIVE,
): Promise<TransactionReceipt> {
  if (token !== NATIVE) await f.mintAndApprove(token, wallet, amount);
  return f.tx(f.stakedAs(wallet).write.stake([jobId, pass, amount], { value: token === NATIVE ? amount : 0n }));
}

/** The reason the evaluator passes to the escrow: `keccak256(abi.encode(jobId, passed, passTotal, failTotal, bondPosted))`. */
export function checkReason(
  jobId: bigint,
  passed: boolean,
  passTotal: bigint,
  failTotal: bigint,
  bondPosted: bigint,
): Hash {
  return keccak256(
    encodeAbiParameters(
      [{ type: "uint256" }, { type: "bool" }, { type: "uint256" }, { type: "uint256" }, { type: "uint256" }],
      [jobId, passed, passTotal, failTotal, bondPosted],
    ),
  );
}

/**
 * Expected payouts of winning stakes claimed in the given order: each gets its stake plus
 * `stake * rewardLeft / winningStakeLeft` (rounded down), the last one the whole remainder.
 */
export function expectedWinnerPayouts(stakesInClaimOrder: readonly bigint[], reward: bigint): bigint[] {
  let winnersLeft = stakesInClaimOrder.reduce((sum, amount) => sum + amount, 0n);
  let rewardLeft = reward;
  return stakesInClaimOrder.map((amount) => {
    const share = amount === winnersLeft ? rewardLeft : (amount * rewardLeft) / winnersLeft;
    winnersLeft -= amount;
    rewardLeft -= share;
    return amount + share;
  });
}

/** `getCheck`'s result, as viem decodes it. */
export type CheckView = Awaited<ReturnType<GuildFixture["staked"]["read"]["getCheck"]>>;

/** Terms of the test deployment (`createGuildFixture`'s defaults with {@link DEV_CHECK_LIMITS}). */
export const TEST_DEFAULTS = {
  window: 600n,
  responsePeriod: 300n,
  maxFlips: 4n,
  minStakeBps: 100n,
  bondBps: 0n,
  evaluationPeriod: 86_400n,
  minResponsePeriod: 1n,
  minSettleMargin: 1n,
} as const;

/**
 * The view of a fresh check under the test deployment's defaults (nothing staked, no arbiter, not submitted),
 * with `overrides` applied: compare whole views so that a field nobody expected to change is caught too.
 */
export function checkView(overrides: Partial<CheckView> = {}): CheckView {
  return {
    closeOffset: TEST_DEFAULTS.window,
    closesAt: 0n,
    latestClose: 0n,
    responsePeriod: TEST_DEFAULTS.responsePeriod,
    maxFlips: TEST_DEFAULTS.maxFlips,
    flips: 0n,
    passLeads: true,
    minStake: 0n,
    bond: 0n,
    passTotal: 0n,
    failTotal: 0n,
    arbiter: zeroAddress,
    escalationThreshold: 0n,
    arbitrationPeriod: 0n,
    escalated: false,
    rulingDeadline: 0n,
    verdict: 0,
    ...overrides,
  };
}

/**
 * How many SSTOREs the transaction's own target executed (call depth 1), from the node's
 * `debug_traceTransaction`: a contract that claims to leave its storage alone on some path is held to it.
 */
export async function storageWritesOfTarget(f: GuildFixture, hash: Hash): Promise<number> {
  const trace = (await f.publicClient.request({
    method: "debug_traceTransaction" as never,
    params: [hash, { disableStorage: true, disableMemory: true, disableStack: true }] as never,
  })) as { structLogs: { op: string; depth: number }[] };
  return trace.structLogs.filter((log) => log.op === "SSTORE" && log.depth === 1).length;
}
