import { createPublicClient, http, type Chain, type PublicClient, type Transport } from "viem";
import type { ChainConnection } from "../chain/createConnection.js";

/** The audit's access to the node: a client for log reads and a counted, batched request function. */
export type AuditRpc = {
  client: PublicClient<Transport, Chain>;
  /** One JSON-RPC request; over HTTP, requests made in the same tick travel in one batch. */
  request: <T>(method: string, params: unknown[]) => Promise<T>;
  /** Requests sent, by method (log pages are counted by the log reader, not here). */
  counts: Map<string, number>;
};

export type CreateAuditRpcParameters = {
  /** Requests per HTTP batch. Default 50 (measured on a Hardhat node: 50 per batch, 400 in flight, twice the receipts per second of 250 and 1,000). */
  batchSize?: number;
};

/**
 * The audit's RPC access. Over HTTP it opens its own client with JSON-RPC batching: the audit asks for
 * thousands of receipts and balances, and one HTTP round trip per request would dominate its time.
 * In-process providers are used as they are.
 *
 * @example
 * const rpc = createAuditRpc(reader.connection);
 * const receipt = await rpc.request("eth_getTransactionReceipt", [hash]);
 */
export function createAuditRpc(
  connection: ChainConnection,
  { batchSize = 50 }: CreateAuditRpcParameters = {},
): AuditRpc {
  const client: PublicClient<Transport, Chain> = connection.url
    ? createPublicClient({
        chain: connection.chain,
        transport: http(connection.url, {
          batch: { batchSize, wait: 0 },
          // A batch of log pages and receipts can outgrow viem's 10 MB default; it is still one answer.
          maxResponseBodySize: 512 * 2 ** 20,
          retryCount: 3,
          retryDelay: 100,
          timeout: 120_000,
        }),
      })
    : connection.publicClient;
  const counts = new Map<string, number>();
  return {
    client,
    counts,
    request: async <T>(method: string, params: unknown[]): Promise<T> => {
      counts.set(method, (counts.get(method) ?? 0) + 1);
      return (await client.request({ method: method as never, params: params as never })) as T;
    },
  };
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, results in input order.
 *
 * @example
 * const receipts = await mapLimit(hashes, 500, (hash) => rpc.request("eth_getTransactionReceipt", [hash]));
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
