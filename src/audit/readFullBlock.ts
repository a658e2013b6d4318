import { numberToHex, type RpcBlock } from "viem";
import type { AuditRpc } from "./auditRpc.js";
import { ChainDataMissingError } from "./ChainDataMissingError.js";

/**
 * A block with its transactions as objects, as the node sends it (viem's `RpcBlock`).
 *
 * @example
 * const block = await readFullBlock(rpc, 1204n);
 * const mine = block.transactions.filter((tx) => tx.from.toLowerCase() === me);
 */
export async function readFullBlock(rpc: AuditRpc, block: bigint): Promise<RpcBlock<"latest", true>> {
  const full = await rpc.request({ method: "eth_getBlockByNumber", params: [numberToHex(block), true] });
  if (!full) throw new ChainDataMissingError(`block ${block}`);
  // Asked with transaction objects: viem's schema types the answer for either flag.
  return full as RpcBlock<"latest", true>;
}
