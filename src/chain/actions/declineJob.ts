import type { Hash } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Turns down a Funded job (`JobEscrow.decline`); the client is refunded at once. Provider only. With `why`, the
 * reason is published on chain (`DeclineExplained`), where the client and `guild job` read it.
 *
 * @example
 * await declineJob(bob, { jobId, why: "bond of 100% is above this provider's ceiling of 50%" });
 */
export async function declineJob(
  client: GuildClient,
  { jobId, why }: { jobId: bigint; why?: string },
): Promise<{ hash: Hash }> {
  const common = {
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "decline",
    contract: "JobEscrow",
    label: `decline job ${jobId}`,
  } as const;
  const receipt =
    why === undefined
      ? await writeContract(client, { ...common, args: [jobId] })
      : await writeContract(client, { ...common, args: [jobId, why] });
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash, why }, "job declined");
  return { hash: receipt.transactionHash };
}
