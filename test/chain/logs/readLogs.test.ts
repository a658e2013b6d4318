import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPublicClient,
  custom,
  HttpRequestError,
  pad,
  toHex,
  type Abi,
  type Hash,
  type Hex,
  type PublicClient,
} from "viem";
import { readLogs, streamLogs, type DecodedLog } from "../../../src/chain/logs/readLogs.js";
import { LogRangeRefusedError, LogReadFailedError } from "../../../src/errors/chain.js";
import { NODE_KINDS } from "../../support/nodes.js";
import {
  createAndFundJob,
  guildAddresses,
  guildEvents,
  keyOf,
  logsOfTransactions,
  registerAgent,
  startLogsTestChain,
  updateAgent,
  type LogKey,
  type LogsTestChain,
} from "./support.js";

type GetLogsCall = { fromBlock: bigint; toBlock: bigint; outcome: "ok" | "error" };

/**
 * A client whose transport forwards to the real node but can refuse or fail `eth_getLogs` the way
 * public providers do. `decide` returns the error to throw, or undefined to forward.
 */
function interceptingClient(
  real: PublicClient,
  decide: (range: { fromBlock: bigint; toBlock: bigint }, call: number) => Error | undefined,
): { client: PublicClient; calls: GetLogsCall[]; inFlight: () => number } {
  const calls: GetLogsCall[] = [];
  let inFlight = 0;
  const client = createPublicClient({
    chain: real.chain,
    transport: custom(
      {
        request: async ({ method, params }: { method: string; params?: unknown }) => {
          if (method !== "eth_getLogs") return real.request({ method, params } as never);
          const [filter] = params as [{ fromBlock: Hex; toBlock: Hex }];
          const range = { fromBlock: BigInt(filter.fromBlock), toBlock: BigInt(filter.toBlock) };
          const error = decide(range, calls.length);
          if (error) {
            calls.push({ ...range, outcome: "error" });
            throw error;
          }
          inFlight++;
          try {
            const result = await real.request({ method, params } as never);
            calls.push({ ...range, outcome: "ok" });
            return result;
          } finally {
            inFlight--;
          }
        },
      },
      { retryCount: 0 },
    ),
  }) as PublicClient;
  return { client, calls, inFlight: () => inFlight };
}

function rpcError(code: number, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const span = (call: GetLogsCall) => call.toBlock - call.fromBlock + 1n;

describe.each(NODE_KINDS)("readLogs on %s", (kind) => {
  let chain: LogsTestChain;
  let expected: LogKey[];
  let fromBlock: bigint;
  let toBlock: bigint;
  const budgets: bigint[] = [];

  beforeAll(async () => {
    chain = await startLogsTestChain(kind);
    fromBlock = chain.guild.reader.fromBlock;
    const hashes: Hash[] = [];
    // Interleaved registry and escrow activity from several accounts, one transaction per block.
    for (let index = 1; index <= 6; index++) {
      hashes.push(await registerAgent(chain, index, ["word-count", `skill-${index}`].slice(0, 1 + (index % 2))));
      for (let job = 0; job < 2; job++) {
        const budget = BigInt(index * 1_000 + job);
        budgets.push(budget);
        hashes.push(await createAndFundJob(chain, index, (index % 6) + 1, budget));
      }
    }
    hashes.push(await updateAgent(chain, 2, ["a", "b", "c"], 7n));
    expected = await logsOfTransactions(chain, hashes);
    toBlock = await chain.publicClient.getBlockNumber();
  });
  afterAll(async () => chain?.stop());

  it("returns exactly the logs of the transactions, decoded and in chain order, over many concurrent pages", async () => {
    const pages: bigint[] = [];
    const logs = await readLogs(chain.publicClient, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 2,
      concurrency: 4,
      onProgress: (progress) => pages.push(progress.throughBlock),
    });
    expect(logs.map(keyOf)).toEqual(expected);
    expect(expected.length).toBe(6 * 3 + 3 /* skills */ + 12 * 4 + 4);
    // Many pages, delivered in block order.
    expect(pages.length).toBeGreaterThanOrEqual(Number(toBlock - fromBlock) / 2);
    expect([...pages].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(pages);

    const funded = logs.filter((log) => log.eventName === "JobFunded");
    expect(funded.map((log) => (log.eventName === "JobFunded" ? log.args.amount : 0n))).toEqual(budgets);
    const registered = logs.filter((log) => log.eventName === "AgentRegistered");
    expect(registered.map((log) => (log.eventName === "AgentRegistered" ? log.args.agent : undefined))).toEqual(
      chain.wallets.slice(1, 7).map((wallet) => wallet.account.address),
    );
  });

  it("gives the same logs in one large page", async () => {
    const logs = await readLogs(chain.publicClient, { address: guildAddresses(chain), events: guildEvents, fromBlock });
    expect(logs.map(keyOf)).toEqual(expected);
  });

  it("filters on indexed arguments with `topics`, for every event at once", async () => {
    const logs = await readLogs(chain.publicClient, {
      address: guildAddresses(chain),
      events: guildEvents,
      topics: [pad(toHex(3n))],
      fromBlock,
      toBlock,
      pageSize: 4,
    });
    expect(logs.map((log) => log.eventName)).toEqual(["JobCreated", "JobDetails", "BudgetSet", "JobFunded"]);
    expect(logs.every((log) => "jobId" in log.args && log.args.jobId === 3n)).toBe(true);
  });

  it("streams contiguous pages in order and keeps at most `concurrency` pages requested or waiting", async () => {
    const { client, calls } = interceptingClient(chain.publicClient, () => undefined);
    const concurrency = 3;
    let delivered = 0;
    let expectedFrom = fromBlock;
    const keys: LogKey[] = [];
    for await (const page of streamLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 1,
      concurrency,
    })) {
      delivered++;
      expect(page.fromBlock).toBe(expectedFrom);
      expectedFrom = page.toBlock + 1n;
      expect(calls.length).toBeLessThanOrEqual(delivered + concurrency - 1);
      keys.push(...page.logs.map(keyOf));
      // A slow consumer: the reader must not run ahead of it.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(expectedFrom).toBe(toBlock + 1n);
    expect(keys).toEqual(expected);
    expect(delivered).toBe(Number(toBlock - fromBlock + 1n));
  });

  it("stops requesting when the consumer leaves the loop", async () => {
    const { client, calls } = interceptingClient(chain.publicClient, () => undefined);
    for await (const page of streamLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 1,
      concurrency: 2,
    })) {
      expect(page.fromBlock).toBe(fromBlock);
      break;
    }
    const after = calls.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.length).toBe(after);
    expect(after).toBeLessThanOrEqual(2);
  });

  const refusals: [string, (limit: bigint) => Error][] = [
    ["-32005 result-count (Infura)", () => rpcError(-32005, "query returned more than 10000 results")],
    ["-32602 block range too large", () => rpcError(-32602, "block range is too large")],
    ["-32000 exceed maximum block range (BSC)", (limit) => rpcError(-32000, `exceed maximum block range: ${limit}`)],
    [
      "-32602 log response size (Alchemy)",
      () =>
        rpcError(
          -32602,
          "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range and no limit on the response size, or you can request any block range with a cap of 10K logs in the response.",
        ),
    ],
    [
      "HTTP 413",
      () => new HttpRequestError({ url: "http://node.invalid", status: 413, body: {}, details: "Payload Too Large" }),
    ],
  ];

  it.each(refusals)("adapts the range when the node refuses large ones: %s", async (_name, makeError) => {
    const limit = 3n;
    const { client, calls } = interceptingClient(chain.publicClient, (range) =>
      range.toBlock - range.fromBlock + 1n > limit ? makeError(limit) : undefined,
    );
    const logs = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 16,
      concurrency: 2,
    });
    expect(logs.map(keyOf)).toEqual(expected);
    const ok = calls.filter((call) => call.outcome === "ok");
    const refused = calls.filter((call) => call.outcome === "error");
    expect(refused.length).toBeGreaterThan(0);
    expect(ok.every((call) => span(call) <= limit)).toBe(true);
    // It learns: refusals stay few, and after shrinking it grows back up to the largest accepted range.
    expect(refused.length).toBeLessThanOrEqual(4);
    expect(ok.some((call) => span(call) === limit)).toBe(true);
    // Every block was read exactly once by the successful requests.
    const covered = ok.map((call) => [call.fromBlock, call.toBlock] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
    let next = fromBlock;
    for (const [start, end] of covered) {
      expect(start).toBe(next);
      next = end + 1n;
    }
    expect(next).toBe(toBlock + 1n);
  });

  it("retries transient errors with backoff", async () => {
    const failures = new Map<string, number>();
    const { client, calls } = interceptingClient(chain.publicClient, (range) => {
      const key = `${range.fromBlock}-${range.toBlock}`;
      const seen = failures.get(key) ?? 0;
      if (seen >= 2) return undefined;
      failures.set(key, seen + 1);
      return seen === 0
        ? new HttpRequestError({ url: "http://node.invalid", status: 503, body: {}, details: "Service Unavailable" })
        : Object.assign(new Error("read ECONNRESET"), {
            cause: Object.assign(new Error("socket"), { code: "ECONNRESET" }),
          });
    });
    const logs = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 8,
      retryDelayMs: 1,
    });
    expect(logs.map(keyOf)).toEqual(expected);
    expect(calls.filter((call) => call.outcome === "error").length).toBe(2 * failures.size);
  });

  it("throws LogReadFailedError naming the range when retries run out", async () => {
    const { client } = interceptingClient(
      chain.publicClient,
      () => new HttpRequestError({ url: "http://node.invalid", status: 502, body: {}, details: "Bad Gateway" }),
    );
    const error = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 1_000,
      maxRetries: 2,
      retryDelayMs: 1,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LogReadFailedError);
    expect((error as LogReadFailedError).fromBlock).toBe(fromBlock);
    expect((error as LogReadFailedError).toBlock).toBe(toBlock);
    expect((error as LogReadFailedError).attempts).toBe(3);
  });

  it("does not retry errors that are not transient", async () => {
    const { client, calls } = interceptingClient(chain.publicClient, () =>
      rpcError(-32602, "invalid argument 0: hex string without 0x prefix"),
    );
    const error = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LogReadFailedError);
    expect(calls.length).toBe(1);
  });

  it("throws LogRangeRefusedError when the node refuses a single block", async () => {
    const dense = expected[expected.length - 1]?.blockNumber ?? 0n;
    const { client } = interceptingClient(chain.publicClient, (range) =>
      range.fromBlock <= dense && dense <= range.toBlock
        ? rpcError(-32005, "query returned more than 10000 results")
        : undefined,
    );
    const error = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 64,
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LogRangeRefusedError);
    expect((error as LogRangeRefusedError).fromBlock).toBe(dense);
    expect((error as LogRangeRefusedError).toBlock).toBe(dense);
  });

  it("skips logs that do not decode with the given events and counts them", async () => {
    // Same selector as JobFunded (the selector ignores `indexed`), but a layout the logs do not have.
    const misdeclared = [
      {
        type: "event",
        name: "JobFunded",
        inputs: [
          { name: "jobId", type: "uint256", indexed: false },
          { name: "client", type: "address", indexed: false },
          { name: "token", type: "address", indexed: false },
          { name: "amount", type: "uint256", indexed: false },
        ],
      },
      ...guildEvents.filter((item) => item.type === "event" && item.name === "JobCreated"),
    ] as const satisfies Abi;
    let skipped = 0;
    const logs: DecodedLog<typeof misdeclared>[] = [];
    for await (const page of streamLogs(chain.publicClient, {
      address: chain.guild.addresses.escrow,
      events: misdeclared,
      fromBlock,
      toBlock,
    })) {
      skipped += page.skipped;
      logs.push(...page.logs);
    }
    expect(skipped).toBe(12);
    expect(logs.length).toBe(12);
    expect(logs.every((log) => log.eventName === "JobCreated")).toBe(true);
  });

  it("rejects with the abort reason when the signal aborts", async () => {
    const controller = new AbortController();
    const reason = new Error("stop reading");
    const { client } = interceptingClient(chain.publicClient, (_range, call) => {
      if (call === 1) controller.abort(reason);
      return undefined;
    });
    const error = await readLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      toBlock,
      pageSize: 1,
      signal: controller.signal,
    }).catch((caught: unknown) => caught);
    expect(error).toBe(reason);
  });
});
