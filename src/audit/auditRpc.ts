import {
  createPublicClient,
  http,
  type Address,
  type Chain,
  type EIP1193RequestFn,
  type Hash,
  type PublicClient,
  type PublicRpcSchema,
  type Transport,
} from "viem";
import type { ChainConnection } from "../chain/createConnection.js";

/**
 * A frame of geth's `callTracer` output (`debug_traceTransaction` with `{ tracer: "callTracer" }`), as far
 * as the audit reads it. viem types no debug method, so this one is ours.
 */
export type CallFrame = {
  type: string;
  from: Address;
  to?: Address;
  value?: string;
  error?: string;
  calls?: CallFrame[];
};

/** What the audit asks the node: viem's public JSON-RPC schema, and the call tracer. */
export type AuditRpcSchema = [
  ...PublicRpcSchema,
  {
    Method: "debug_traceTransaction";
    Parameters: [hash: Hash, options: { tracer: "callTracer" }];
    ReturnType: CallFrame;
  },
];

/** The audit's access to the node: a client for log reads and a counted, batched request function. */
export type AuditRpc = {
  client: PublicClient<Transport, Chain>;
  /**
   * One JSON-RPC request, typed by viem's schema (answers as the node sends them: hex quantities); over
   * HTTP, requests made in the same tick travel in one batch.
   */
  request: EIP1193RequestFn<AuditRpcSchema>;
  /** Requests sent through `client` or `request`, by method (log pages and retries included). */
  counts: Map<string, number>;
};

export type CreateAuditRpcParameters = {
  /** Requests per HTTP batch. Default 50 (measured on a Hardhat node: 50 per batch, 400 in flight, twice the receipts per second of 250 and 1,000). */
  batchSize?: number;
  /** Batch requests over HTTP. Default true; false sends one request per HTTP call (the benchmark's baseline). */
  batch?: boolean;
};

/**
 * The audit's RPC access. Over HTTP it opens its own client with JSON-RPC batching: the audit asks for
 * thousands of receipts and balances, and one HTTP round trip per request would dominate its time.
 * In-process providers are used as they are.
 *
 * @example
 * const rpc = createAuditRpc(reader.connection);
 * const receipt = await rpc.request({ method: "eth_getTransactionReceipt", params: [hash] });
 */
export function createAuditRpc(
  connection: ChainConnection,
  { batchSize = 50, batch = true }: CreateAuditRpcParameters = {},
): AuditRpc {
  const counts = new Map<string, number>();
  const transport = connection.url
    ? http(connection.url, {
        batch: batch ? { batchSize, wait: 0 } : false,
        // A batch of log pages and receipts can outgrow viem's 10 MB default; it is still one answer.
        maxResponseBodySize: 512 * 2 ** 20,
        retryCount: 3,
        retryDelay: 100,
        timeout: 120_000,
      })
    : connection.transport;
  const client = createPublicClient({ chain: connection.chain, transport: countRequests(transport, counts) });
  // The client's declared schema is viem's public one; the tracer is asked through it too.
  const request = client.request as unknown as EIP1193RequestFn<AuditRpcSchema>;
  return { client, counts, request };
}

/** `transport`, counting each request it sends by method in `counts`. */
function countRequests(transport: Transport, counts: Map<string, number>): Transport {
  return (parameters) => {
    const built = transport(parameters);
    const request: typeof built.request = (args, options) => {
      counts.set(args.method, (counts.get(args.method) ?? 0) + 1);
      return built.request(args, options);
    };
    return { ...built, request };
  };
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, results in input order.
 *
 * @example
 * const receipts = await mapLimit(hashes, 500, (hash) =>
 *   rpc.request({ method: "eth_getTransactionReceipt", params: [hash] }));
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
