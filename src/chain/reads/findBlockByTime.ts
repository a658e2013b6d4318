import type { ChainConnection } from "../createConnection.js";

/**
 * The first block at or after `timestamp` in `[fromBlock, latest]` (binary search on block times, so
 * about log2(blocks) requests). Returns latest + 1 when every block is older.
 *
 * @example
 * const since = await findBlockByTime(connection, { timestamp: now - 86_400n, fromBlock: deployBlock });
 */
export async function findBlockByTime(
  connection: ChainConnection,
  { timestamp, fromBlock }: { timestamp: bigint; fromBlock: bigint },
): Promise<bigint> {
  const client = connection.publicClient;
  const latest = await client.getBlock({ blockTag: "latest" });
  if (latest.timestamp < timestamp) return latest.number + 1n;
  let low = fromBlock;
  let high = latest.number;
  while (low < high) {
    const mid = (low + high) / 2n;
    const block = await client.getBlock({ blockNumber: mid });
    if (block.timestamp < timestamp) low = mid + 1n;
    else high = mid;
  }
  return low;
}
