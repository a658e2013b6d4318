import { isAddressEqual, type Hash } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import { InvalidInputError } from "../../errors/input.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";
import { readJob } from "./readJob.js";

/**
 * The client accepts a delivered job and the provider is paid: through the staked evaluator's early
 * `approve` (allowed while no stake says fail), or `complete` when the client is the job's evaluator.
 *
 * @example
 * await approveDelivery(alice, { jobId });
 */
export async function approveDelivery(client: GuildClient, { jobId }: { jobId: bigint }): Promise<{ hash: Hash }> {
  const job = await readJob(client, { jobId });
  const me = client.account.address;
  let hash: Hash;
  if (isAddressEqual(job.evaluator, client.addresses.evaluator)) {
    const receipt = await writeContract(client, {
      address: client.addresses.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "approve",
      args: [jobId],
      contract: "StakedEvaluator",
      label: `approve the delivery of job ${jobId}`,
    });
    hash = receipt.transactionHash;
  } else if (isAddressEqual(job.evaluator, me)) {
    const receipt = await writeContract(client, {
      address: client.addresses.escrow,
      abi: jobEscrowAbi,
      functionName: "complete",
      args: [jobId, `0x${"0".repeat(64)}`],
      contract: "JobEscrow",
      label: `complete job ${jobId}`,
    });
    hash = receipt.transactionHash;
  } else {
    throw new InvalidInputError(
      "jobId",
      `job ${jobId} is judged by ${job.evaluator}`,
      "Only its evaluator can approve it.",
    );
  }
  client.logger.info({ jobId: jobId.toString(), txHash: hash }, "delivery approved");
  return { hash };
}
