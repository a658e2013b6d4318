import { erc20Abi, type Address, type Hash } from "viem";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Makes sure `spender` may pull `amount` of `token` from the agent: approves exactly `amount` when the
 * current allowance is lower (never an unlimited allowance: an agent's wallet should not trust a
 * contract with more than the call needs).
 *
 * @example
 * await ensureAllowance(client, { token, spender: client.addresses.escrow, amount: budget });
 */
export async function ensureAllowance(
  client: GuildClient,
  { token, spender, amount }: { token: Address; spender: Address; amount: bigint },
): Promise<{ hash: Hash | undefined }> {
  const allowance = await client.connection.publicClient.readContract({
    address: token,
    abi: erc20Abi,
    functionName: "allowance",
    args: [client.account.address, spender],
  });
  if (allowance >= amount) return { hash: undefined };
  const receipt = await writeContract(client, {
    address: token,
    abi: erc20Abi,
    functionName: "approve",
    args: [spender, amount],
    contract: "ERC20",
    label: `approve ${amount} of token ${token} for ${spender}`,
  });
  return { hash: receipt.transactionHash };
}
