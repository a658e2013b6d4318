import { zeroAddress, type Address, type Hash } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Withdraws payouts the escrow credited to this agent because a transfer to it failed
 * (`JobEscrow.withdraw` / `withdrawTo`). Returns the amount, or 0 without sending when there is none.
 *
 * @example
 * const { amount } = await withdrawCredits(bob, {});
 */
export async function withdrawCredits(
  client: GuildClient,
  { token = zeroAddress, to }: { token?: Address; to?: Address },
): Promise<{ amount: bigint; hash: Hash | undefined }> {
  const amount = await client.connection.publicClient.readContract({
    address: client.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "creditOf",
    args: [client.account.address, token],
  });
  if (amount === 0n) return { amount, hash: undefined };
  const common = { address: client.addresses.escrow, abi: jobEscrowAbi, contract: "JobEscrow" } as const;
  const receipt = to
    ? await writeContract(client, {
        ...common,
        functionName: "withdrawTo",
        args: [token, to],
        label: `withdraw credits to ${to}`,
      })
    : await writeContract(client, { ...common, functionName: "withdraw", args: [token], label: "withdraw credits" });
  client.logger.info({ txHash: receipt.transactionHash, token, amount: amount.toString() }, "credits withdrawn");
  return { amount, hash: receipt.transactionHash };
}
