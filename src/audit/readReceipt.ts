import type { Hash, RpcTransactionReceipt } from "viem";
import type { AuditRpc } from "./auditRpc.js";
import { ChainDataMissingError } from "./ChainDataMissingError.js";

/**
 * The receipt of a transaction the node has shown (in a block or a log), as the node sends it.
 *
 * @example
 * const receipt = await readReceipt(rpc, tx.hash);
 */
export async function readReceipt(rpc: AuditRpc, hash: Hash): Promise<RpcTransactionReceipt> {
  const receipt = await rpc.request({ method: "eth_getTransactionReceipt", params: [hash] });
  if (!receipt) throw new ChainDataMissingError(`receipt of ${hash}`);
  return receipt;
}
