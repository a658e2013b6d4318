import type { Hash } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Turns down a Funded job (`JobEscrow.decline`); the client is refunded at once. Provider only.
 *
 * @example
 * await declineJob(bob, { jobId });
 */
export async function declineJob(client: GuildClient, { jobId }: { jobId: bigint }): Promise<{ hash: Hash }> {
  const receipt = await writeContract(client, {
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "decline",
    args: [jobId],
    contract: "JobEscrow",
    label: `decline job ${jobId}`,
  });
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash }, "job declined");
  return { hash: receipt.transactionHash };
}
