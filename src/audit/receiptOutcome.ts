import { hexToBigInt, type RpcTransactionReceipt } from "viem";

/** What a receipt costs its sender: gas used times effective gas price. */
export function feeOf(receipt: RpcTransactionReceipt): bigint {
  return hexToBigInt(receipt.gasUsed) * hexToBigInt(receipt.effectiveGasPrice);
}

/** Whether the transaction of `receipt` succeeded (a failed one still paid its gas). */
export function succeeded(receipt: RpcTransactionReceipt): boolean {
  return hexToBigInt(receipt.status) === 1n;
}
