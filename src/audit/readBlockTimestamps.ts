import { hexToNumber, numberToHex } from "viem";
import { mapLimit, type AuditRpc } from "./auditRpc.js";
import { ChainDataMissingError } from "./ChainDataMissingError.js";

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
    const header = await rpc.request({ method: "eth_getBlockByNumber", params: [numberToHex(block), false] });
    if (!header) throw new ChainDataMissingError(`block ${block}`);
    times.set(block, hexToNumber(header.timestamp));
    if (++done % 5_000 === 0) onProgress?.(done, blocks.length);
  });
  return times;
}
