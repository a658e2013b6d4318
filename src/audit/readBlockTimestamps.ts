import { hexToNumber, numberToHex, type RpcBlock } from "viem";
import { mapLimit, type AuditRpc } from "./auditRpc.js";

/**
 * Timestamps (unix seconds) of `blocks`, from their headers, asked concurrently (batched over HTTP).
 *
 * @example
 * const times = await readBlockTimestamps(rpc, ledger.blocks());
 */
export async function readBlockTimestamps(
  rpc: AuditRpc,
  blocks: readonly bigint[],
  { concurrency = 400, onProgress }: { concurrency?: number; onProgress?: (done: number, total: number) => void } = {},
): Promise<Map<bigint, number>> {
  const times = new Map<bigint, number>();
  let done = 0;
  await mapLimit(blocks, concurrency, async (block) => {
    const header = await rpc.request<RpcBlock<"latest", false>>("eth_getBlockByNumber", [numberToHex(block), false]);
    times.set(block, hexToNumber(header.timestamp));
    if (++done % 5_000 === 0) onProgress?.(done, blocks.length);
  });
  return times;
}
