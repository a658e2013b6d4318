import { hexToBigInt, type Address, type Hash, type Hex } from "viem";

/** A receipt as `eth_getTransactionReceipt` returns it (the fields the audit reads). */
export type RpcReceipt = {
  transactionHash: Hash;
  blockNumber: Hex;
  from: Address;
  to: Address | null;
  contractAddress: Address | null;
  status: Hex;
  gasUsed: Hex;
  effectiveGasPrice: Hex;
  logs: { address: Address; topics: Hex[]; data: Hex; logIndex: Hex }[];
};

/** A transaction as `eth_getBlockByNumber(n, true)` and `eth_getTransactionByHash` return it. */
export type RpcTransaction = {
  hash: Hash;
  blockNumber: Hex | null;
  from: Address;
  to: Address | null;
  value: Hex;
};

export type RpcBlock<full extends boolean = false> = {
  number: Hex;
  timestamp: Hex;
  miner: Address;
  transactions: full extends true ? RpcTransaction[] : Hash[];
};

/** What a receipt costs its sender: gas used times effective gas price. */
export function feeOf(receipt: RpcReceipt): bigint {
  return hexToBigInt(receipt.gasUsed) * hexToBigInt(receipt.effectiveGasPrice);
}

export function succeeded(receipt: RpcReceipt): boolean {
  return hexToBigInt(receipt.status) === 1n;
}
