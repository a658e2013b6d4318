import { isAddressEqual, parseEventLogs, zeroAddress, type Address, type Hash, type Hex } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { GuildError } from "../../errors/GuildError.js";
import { InvalidInputError } from "../../errors/input.js";
import { type CheckSettings, encodeCheckTerms, responsePeriodFor } from "../checkTerms.js";
import { readCheckLimits } from "../reads/readCheckLimits.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";
import { ensureAllowance } from "./ensureAllowance.js";

export type { CheckSettings } from "../checkTerms.js";

export type CreateAndFundJobParameters = {
  provider: Address;
  /** Base units of `token`. */
  budget: bigint;
  /** `address(0)` (default) for native currency, else an ERC-20 token (approved here as needed). */
  token?: Address;
  description: string;
  /** Seconds from the chain's current time until the delivery deadline. Default 1 hour. */
  deadlineSeconds?: bigint;
  /** Who judges: the staked evaluator (default), or any address (e.g. the client itself). */
  evaluator?: Address;
  /** Seconds the evaluator has after delivery; 0 (default) takes the escrow's default. */
  evaluationPeriod?: bigint;
  /** A live job this agent is the provider of, when hiring for it. */
  parentJobId?: bigint;
  check?: CheckSettings;
};

export type CreateAndFundJobReturnType = {
  jobId: bigint;
  hash: Hash;
  /** The ERC-20 approval sent first, when one was needed. */
  approveHash: Hash | undefined;
  expiredAt: bigint;
};

/**
 * Creates a job and escrows its budget in one transaction (`JobEscrow.createAndFund`). For ERC-20 jobs it
 * first approves exactly the budget when needed. Simulates before sending.
 *
 * @example
 * const { jobId } = await createAndFundJob(alice, {
 *   provider: bob, budget: parseEther("0.002"), description: "word-count: count the words in ...",
 *   check: { bondBps: 5_000n },
 * });
 */
export async function createAndFundJob(
  client: GuildClient,
  params: CreateAndFundJobParameters,
): Promise<CreateAndFundJobReturnType> {
  const { provider, budget, description } = params;
  const token = params.token ?? zeroAddress;
  const evaluator = params.evaluator ?? client.addresses.evaluator;
  if (budget <= 0n) throw new InvalidInputError("budget", `${budget} is not positive`, "Give a budget above zero.");
  if (isAddressEqual(provider, client.account.address)) {
    throw new InvalidInputError("provider", "it is this agent itself", "Hire another agent.");
  }
  const deadlineSeconds = params.deadlineSeconds ?? 3_600n;
  if (deadlineSeconds <= 0n) {
    throw new InvalidInputError(
      "deadlineSeconds",
      `${deadlineSeconds} is not positive`,
      "Give a deadline in the future.",
    );
  }
  const block = await client.connection.publicClient.getBlock({ blockTag: "latest" });
  const expiredAt = block.timestamp + deadlineSeconds;

  let evaluatorData: Hex = "0x";
  if (params.check) {
    if (!isAddressEqual(evaluator, client.addresses.evaluator)) {
      throw new InvalidInputError("check", "check settings apply only to the staked evaluator", "Drop them or use it.");
    }
    let check = params.check;
    if (check.windowSeconds !== undefined && check.responsePeriodSeconds === undefined) {
      check = {
        ...check,
        responsePeriodSeconds: responsePeriodFor(check.windowSeconds, await readCheckLimits(client)),
      };
    }
    evaluatorData = encodeCheckTerms(check);
  }

  const approveHash =
    token === zeroAddress
      ? undefined
      : (await ensureAllowance(client, { token, spender: client.addresses.escrow, amount: budget })).hash;

  const receipt = await writeContract(client, {
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "createAndFund",
    args: [
      {
        provider,
        evaluator,
        token,
        expiredAt,
        evaluationPeriod: params.evaluationPeriod ?? 0n,
        parentJobId: params.parentJobId ?? 0n,
        description,
        evaluatorData,
      },
      budget,
    ],
    ...(token === zeroAddress ? { value: budget } : {}),
    contract: "JobEscrow",
    label: `create and fund a job for ${provider}`,
  });
  const [created] = parseEventLogs({ abi: jobEscrowAbi, eventName: "JobCreated", logs: receipt.logs });
  if (!created) throw new GuildError(`Transaction ${receipt.transactionHash} created no job.`);
  client.logger.info(
    {
      jobId: created.args.jobId.toString(),
      txHash: receipt.transactionHash,
      provider,
      token,
      budget: budget.toString(),
    },
    "job created and funded",
  );
  return { jobId: created.args.jobId, hash: receipt.transactionHash, approveHash, expiredAt };
}
