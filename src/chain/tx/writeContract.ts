import {
  encodeFunctionData,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type TransactionReceipt,
} from "viem";
import type { GuildClient } from "../GuildClient.js";
import { toGuildError } from "./toGuildError.js";

export type WriteContractParameters<
  abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
> = {
  address: Address;
  abi: abi;
  functionName: functionName;
  args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
  value?: bigint;
  /** Contract name for errors ("JobEscrow"). */
  contract: string;
  /** What this transaction does, for logs and errors ("fund job for bob"). */
  label: string;
};

/**
 * Simulates a contract call (gas estimation runs it against the latest state), so a revert comes back as
 * a typed {@link ContractRevertedError} before any gas is spent; then sends it through the agent's
 * transaction sender and waits for the receipt.
 *
 * @example
 * const receipt = await writeContract(client, {
 *   address: client.addresses.escrow, abi: jobEscrowAbi, functionName: "deliver",
 *   args: [jobId, content], contract: "JobEscrow", label: `deliver job ${jobId}`,
 * });
 */
export async function writeContract<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(client: GuildClient, params: WriteContractParameters<abi, functionName>): Promise<TransactionReceipt> {
  const { address, abi, functionName, args, value, contract, label } = params;
  const context = { contract, functionName: String(functionName), account: client.account.address, label };
  // viem's generic call types do not narrow through this wrapper; the parameters above are typed.
  const call = {
    address,
    abi,
    functionName,
    args,
    account: client.account.address,
    ...(value ? { value } : {}),
  } as never;
  let gas: bigint;
  try {
    gas = await client.connection.publicClient.estimateContractGas(call);
  } catch (error) {
    throw toGuildError(error, context);
  }
  const data = encodeFunctionData({ abi, functionName, args } as never);
  try {
    // 25% headroom: state can move between the estimate and inclusion (other stakes, a busier block).
    return await client.sender.send({ to: address, data, gas: (gas * 5n) / 4n, label, ...(value ? { value } : {}) });
  } catch (error) {
    throw toGuildError(error, context);
  }
}
