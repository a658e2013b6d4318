import { erc20Abi, zeroAddress, type Address, type Hash } from "viem";
import { InvalidInputError } from "../../errors/input.js";
import { toGuildError } from "../tx/toGuildError.js";
import { writeContract } from "../tx/writeContract.js";
import type { GuildClient } from "../GuildClient.js";

export type SendPaymentParameters = {
  to: Address;
  /** `address(0)` (default) for the native currency, else an ERC-20 token. */
  token?: Address;
  /** Base units. */
  amount: bigint;
};

/**
 * Pays `amount` of native currency or an ERC-20 token to `to` directly (no escrow).
 *
 * @example
 * const { hash } = await sendPayment(client, { to: bob, amount: parseEther("0.01") });
 */
export async function sendPayment(
  client: GuildClient,
  { to, token = zeroAddress, amount }: SendPaymentParameters,
): Promise<{ hash: Hash }> {
  if (amount <= 0n) throw new InvalidInputError("amount", `${amount} is not positive`, "Pay a positive amount.");
  if (token !== zeroAddress) {
    const receipt = await writeContract(client, {
      address: token,
      abi: erc20Abi,
      functionName: "transfer",
      args: [to, amount],
      contract: "ERC20",
      label: `pay ${amount} of ${token} to ${to}`,
    });
    return { hash: receipt.transactionHash };
  }
  const label = `pay ${amount} wei to ${to}`;
  const context = { contract: "native", functionName: "transfer", account: client.account.address, label };
  let gas: bigint;
  try {
    gas = await client.connection.publicClient.estimateGas({ account: client.account.address, to, value: amount });
  } catch (error) {
    throw toGuildError(error, context);
  }
  try {
    const receipt = await client.sender.send({ to, value: amount, gas, label });
    return { hash: receipt.transactionHash };
  } catch (error) {
    throw toGuildError(error, context);
  }
}
