import type { Hash } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Refunds the client of a job nobody finished in time (`JobEscrow.claimRefund`); anyone may call it
 * once the job is refundable.
 *
 * @example
 * await claimRefund(alice, { jobId });
 */
export async function claimRefund(client: GuildClient, { jobId }: { jobId: bigint }): Promise<{ hash: Hash }> {
  const receipt = await writeContract(client, {
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "claimRefund",
    args: [jobId],
    contract: "JobEscrow",
    label: `claim the refund of job ${jobId}`,
  });
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash }, "refund claimed");
  return { hash: receipt.transactionHash };
}
