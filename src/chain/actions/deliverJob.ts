import { parseEventLogs, type Hash, type Hex } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Delivers a job's result on-chain (`JobEscrow.deliver`): the content is published in an event and its
 * keccak256 becomes the deliverable. Only the job's provider, while the job is Funded and not expired.
 *
 * @example
 * const { deliverable } = await deliverJob(bob, { jobId, content: '{"words":42}' });
 */
export async function deliverJob(
  client: GuildClient,
  { jobId, content }: { jobId: bigint; content: string },
): Promise<{ hash: Hash; deliverable: Hex }> {
  const receipt = await writeContract(client, {
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "deliver",
    args: [jobId, content],
    contract: "JobEscrow",
    label: `deliver job ${jobId}`,
  });
  const [submitted] = parseEventLogs({ abi: jobEscrowAbi, eventName: "JobSubmitted", logs: receipt.logs });
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash }, "job delivered");
  return { hash: receipt.transactionHash, deliverable: submitted?.args.deliverable ?? "0x" };
}
