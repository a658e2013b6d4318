import { encodeCheckTerms } from "../../../src/chain/checkTerms.js";
import { parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import type { TestWallet } from "../testChain.js";
import { NATIVE, type GuildFixture } from "./fixture.js";

/** ERC-8183 job states, in the order of the escrow's `Status` enum. */
export const Status = { Open: 0, Funded: 1, Submitted: 2, Completed: 3, Rejected: 4, Expired: 5 } as const;
/** The staked evaluator's `Verdict` enum. */
export const Verdict = { None: 0, Pass: 1, Fail: 2, Void: 3 } as const;

export type JobTerms = {
  provider: Address;
  evaluator: Address;
  token: Address;
  expiredAt: bigint;
  evaluationPeriod: bigint;
  parentJobId: bigint;
  description: string;
  evaluatorData: Hex;
};

/** The staked evaluator's terms with only the window, minimum stake and bond set (the default timing). */
export function encodeCheckConfig(window: bigint, minStakeBps: bigint, bondBps: bigint): Hex {
  return encodeCheckTerms({ windowSeconds: window, minStakeBps, bondBps });
}

/** Job terms with the fixture's provider and EOA evaluator, native ETH, expiring in a day. */
export async function jobTerms(f: GuildFixture, overrides: Partial<JobTerms> = {}): Promise<JobTerms> {
  return {
    provider: f.provider.account.address,
    evaluator: f.evaluator.account.address,
    token: NATIVE,
    expiredAt: (await f.now()) + 86_400n,
    evaluationPeriod: 0n,
    parentJobId: 0n,
    description: "count the words",
    evaluatorData: "0x",
    ...overrides,
  };
}

/** The id of the job a receipt created (from its JobCreated event). */
export function createdJobId(receipt: TransactionReceipt): bigint {
  const [created] = parseEventLogs({ abi: jobEscrowAbi, logs: receipt.logs, eventName: "JobCreated" });
  if (!created) throw new Error("The transaction created no job.");
  return created.args.jobId;
}

export type CreateFundedJobParameters = Partial<JobTerms> & { client?: TestWallet; budget?: bigint };

/**
 * Creates and funds a job in one transaction (minting and approving the budget first for ERC-20 jobs).
 *
 * @example
 * const { jobId } = await createFundedJob(f, { token: f.erc20.token, budget: 5_000_000n });
 */
export async function createFundedJob(
  f: GuildFixture,
  { client = f.client, budget = 1_000_000n, ...overrides }: CreateFundedJobParameters = {},
): Promise<{ jobId: bigint; receipt: TransactionReceipt; terms: JobTerms; budget: bigint }> {
  const terms = await jobTerms(f, overrides);
  if (terms.token !== NATIVE) await f.mintAndApprove(terms.token, client, budget);
  const receipt = await f.tx(
    f.escrowAs(client).write.createAndFund([terms, budget], { value: terms.token === NATIVE ? budget : 0n }),
  );
  return { jobId: createdJobId(receipt), receipt, terms, budget };
}

/** Creates, funds and submits a job; returns the submission receipt too. */
export async function createSubmittedJob(
  f: GuildFixture,
  params: CreateFundedJobParameters & { providerWallet?: TestWallet } = {},
): Promise<{ jobId: bigint; terms: JobTerms; budget: bigint; submitReceipt: TransactionReceipt }> {
  const { providerWallet = f.provider, ...rest } = params;
  const created = await createFundedJob(f, { provider: providerWallet.account.address, ...rest });
  const submitReceipt = await f.tx(f.escrowAs(providerWallet).write.deliver([created.jobId, "the answer is 42"]));
  return { jobId: created.jobId, terms: created.terms, budget: created.budget, submitReceipt };
}

/** Current status of a job. */
export async function statusOf(f: GuildFixture, jobId: bigint): Promise<number> {
  return (await f.escrow.read.getJob([jobId])).status;
}
