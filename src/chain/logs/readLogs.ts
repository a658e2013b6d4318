import pRetry from "p-retry";
import {
  numberToHex,
  parseEventLogs,
  toEventSelector,
  type Abi,
  type Address,
  type Hex,
  type Log,
  type PublicClient,
  type RpcLog,
} from "viem";
import { LogRangeRefusedError, LogReadFailedError } from "../../errors/chain.js";
import { silentLogger, type Logger } from "../../log/createLogger.js";
import { classifyLogsError, type ClassifyLogsErrorReturnType } from "./classifyLogsError.js";

/** A decoded log of one of the events of `abi`: viem's `Log` with `eventName` and typed `args`. */
export type DecodedLog<abi extends Abi = Abi> = Log<bigint, number, false, undefined, true, abi>;

export type ReadLogsParameters<abi extends Abi = Abi> = {
  /** Contract(s) whose logs to read. */
  address: Address | readonly Address[];
  /** The events to read: an ABI (its events are used) or a list of event items. One request serves them all. */
  events: abi;
  /**
   * Filters on the indexed arguments, by topic position after the event selector: `[jobIdTopic]`
   * keeps logs whose first indexed argument matches; `[null, accountTopic]` the second. Each entry is one
   * 32-byte topic, a list of alternatives, or null for any. Build topics with viem's `pad(toHex(x))`.
   */
  topics?: readonly (Hex | readonly Hex[] | null)[];
  /** First block, inclusive. */
  fromBlock: bigint;
  /** Last block, inclusive. Default: the latest block when the read starts. */
  toBlock?: bigint;
  /**
   * Largest block range asked at once. Default 10,000. Reading starts at up to 1,000 blocks and doubles
   * while pages are light; a refusal halves the range, which then grows back gradually.
   */
  pageSize?: number;
  /** Pages holding more logs than this make the next pages smaller, to bound memory. Default 5,000. */
  targetLogsPerPage?: number;
  /** Pages requested at the same time; also the most pages held in memory. Default 4. */
  concurrency?: number;
  /** Retries of a page after transient errors (timeouts, 429, 5xx, dropped connections). Default 5. */
  maxRetries?: number;
  /** First retry delay; doubles each retry. Default 250 ms. */
  retryDelayMs?: number;
  /** Called after each page is delivered, in order. */
  onProgress?: (progress: ReadLogsProgress) => void;
  signal?: AbortSignal;
  logger?: Logger;
};

/** One page of logs: every log of the events in blocks `fromBlock..toBlock`, in chain order. */
export type LogPage<abi extends Abi = Abi> = {
  fromBlock: bigint;
  toBlock: bigint;
  logs: DecodedLog<abi>[];
  /** Logs returned by the node that did not decode with the given events (logged at debug). */
  skipped: number;
};

export type ReadLogsProgress = {
  fromBlock: bigint;
  toBlock: bigint;
  /** Every block up to this one has been delivered. */
  throughBlock: bigint;
  pages: number;
  logs: number;
  skipped: number;
  /** `eth_getLogs` requests sent, refusals (range too large) and transient retries among them. */
  requests: number;
  refusals: number;
  retries: number;
  /** Block range the next page will ask for. */
  pageSize: bigint;
};

type Stats = { requests: number; refusals: number; retries: number };

/**
 * Reads every log of `events` emitted by `address` in `fromBlock..toBlock`, decoded, in chain order
 * (blockNumber, logIndex). Collects them all: for long histories use {@link streamLogs}, which holds
 * at most `concurrency` pages in memory.
 *
 * Pages by block range with `eth_getLogs` (one request per page for all the events), halves a page the
 * node refuses as too large and grows the range back after successes, and retries transient errors with
 * exponential backoff. Throws {@link LogReadFailedError} (retries ran out, or a non-retryable error) or
 * {@link LogRangeRefusedError} (the node refuses even one block), both naming the block range.
 *
 * @example
 * const logs = await readLogs(publicClient, {
 *   address: addresses.escrow,
 *   events: jobEscrowAbi,
 *   fromBlock: deployment.fromBlock,
 * });
 * for (const log of logs) if (log.eventName === "JobFunded") console.log(log.args.jobId, log.args.amount);
 */
export async function readLogs<const abi extends Abi>(
  client: PublicClient,
  parameters: ReadLogsParameters<abi>,
): Promise<DecodedLog<abi>[]> {
  const all: DecodedLog<abi>[] = [];
  for await (const page of streamLogs(client, parameters)) {
    for (const log of page.logs) all.push(log);
  }
  return all;
}

/**
 * Streams the logs of {@link readLogs} page by page, in chain order, with pages fetched concurrently.
 * At most `concurrency` pages are requested or waiting at once, so memory stays bounded however long
 * the history; leaving the loop early cancels the outstanding requests.
 *
 * @example
 * let count = 0;
 * for await (const page of streamLogs(publicClient, { address, events: jobEscrowAbi, fromBlock: 0n })) {
 *   count += page.logs.length; // pages arrive in block order; nothing else is kept
 * }
 */
export async function* streamLogs<const abi extends Abi>(
  client: PublicClient,
  {
    address,
    events,
    topics = [],
    fromBlock,
    toBlock,
    pageSize = 10_000,
    targetLogsPerPage = 5_000,
    concurrency = 4,
    maxRetries = 5,
    retryDelayMs = 250,
    onProgress,
    signal,
    logger = silentLogger(),
  }: ReadLogsParameters<abi>,
): AsyncGenerator<LogPage<abi>, void, undefined> {
  const log = logger.child({ module: "chain/logs/readLogs" });
  const decoder = createDecoder(events, log);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  if (signal?.aborted) onAbort();
  const stats: Stats = { requests: 0, refusals: 0, retries: 0 };
  const filterAddress = typeof address === "string" ? address : [...address];

  try {
    controller.signal.throwIfAborted();
    const lastBlock =
      toBlock ??
      BigInt(
        await client.request({ method: "eth_blockNumber" }, { retryCount: maxRetries, signal: controller.signal }),
      );
    if (fromBlock > lastBlock) return;

    const sizer = new PageSizer(BigInt(Math.max(1, Math.floor(pageSize))), targetLogsPerPage);
    const fetcher: RangeFetcher = {
      client,
      filter: { address: filterAddress, topics: [decoder.selectors, ...topics] },
      sizer,
      stats,
      maxRetries,
      retryDelayMs,
      signal: controller.signal,
      logger: log,
    };

    // Slots in block order. A refused slot is replaced in place by its pieces, which then run
    // concurrently like any page. Running and finished slots never exceed the window: that bounds memory.
    const slots: Slot<abi>[] = [];
    const replace = (slot: Slot<abi>, pieces: [bigint, bigint][]) => {
      slots.splice(
        slots.indexOf(slot),
        1,
        ...pieces.map(([start, end]): Slot<abi> => ({ start, end, state: "queued" })),
      );
    };
    const launch = (slot: Slot<abi>) => {
      slot.state = "running";
      slot.settled = fetchOnce(fetcher, slot.start, slot.end).then((result) => {
        if (result.kind === "split") {
          replace(slot, result.pieces);
        } else {
          slot.page = decoder.decodePage(slot.start, slot.end, result.logs);
          slot.state = "done";
        }
      });
      // Awaited through Promise.race below; this only keeps a failure from counting as unhandled meanwhile.
      slot.settled.catch(() => {});
    };

    let nextFrom = fromBlock;
    let delivered = 0;
    const totals = { logs: 0, skipped: 0 };
    for (;;) {
      // Until the first page arrives, one request at a time probes the node and the density of logs.
      const window = delivered === 0 ? 1 : Math.max(1, concurrency);
      for (;;) {
        if (slots.filter((slot) => slot.state !== "queued").length >= window) break;
        let slot = slots.find((candidate) => candidate.state === "queued");
        if (!slot) {
          if (nextFrom > lastBlock) break;
          const end = minBigInt(lastBlock, nextFrom + sizer.size - 1n);
          slot = { start: nextFrom, end, state: "queued" };
          nextFrom = end + 1n;
          slots.push(slot);
        }
        if (slot.end - slot.start + 1n > sizer.size) {
          // The size shrank since this range was cut (a refusal or a dense page): do not ask what will fail.
          replace(slot, chunks(slot.start, slot.end, sizer.size));
          continue;
        }
        launch(slot);
      }
      const head = slots[0];
      if (!head) break;
      if (head.state === "done" && head.page) {
        slots.shift();
        const page = head.page;
        delivered++;
        totals.logs += page.logs.length;
        totals.skipped += page.skipped;
        onProgress?.({
          fromBlock,
          toBlock: lastBlock,
          throughBlock: page.toBlock,
          pages: delivered,
          logs: totals.logs,
          skipped: totals.skipped,
          ...stats,
          pageSize: sizer.size,
        });
        yield page;
        continue;
      }
      await Promise.race(slots.flatMap((slot) => (slot.state === "running" && slot.settled ? [slot.settled] : [])));
    }
  } finally {
    // Also reached when the consumer leaves the loop early: cancel what is still in flight.
    signal?.removeEventListener("abort", onAbort);
    if (!controller.signal.aborted) controller.abort(new Error("streamLogs finished"));
  }
}

type Slot<abi extends Abi> = {
  start: bigint;
  end: bigint;
  state: "queued" | "running" | "done";
  settled?: Promise<void>;
  page?: LogPage<abi>;
};

type RangeFetcher = {
  client: PublicClient;
  filter: { address: Address | Address[]; topics: [Hex[], ...(Hex | readonly Hex[] | null)[]] };
  sizer: PageSizer;
  stats: Stats;
  maxRetries: number;
  retryDelayMs: number;
  signal: AbortSignal;
  logger: Logger;
};

type FetchResult = { kind: "logs"; logs: RpcLog[] } | { kind: "split"; pieces: [bigint, bigint][] };

/**
 * Asks for the raw logs of `start..end`, retrying transient errors; when the node refuses the range,
 * answers with the pieces to ask for instead.
 */
async function fetchOnce(fetcher: RangeFetcher, start: bigint, end: bigint): Promise<FetchResult> {
  const { client, filter, stats, maxRetries, retryDelayMs, signal, logger } = fetcher;
  let attempts = 0;
  try {
    const logs = await pRetry(
      async () => {
        attempts++;
        stats.requests++;
        return (await client.request(
          {
            method: "eth_getLogs",
            params: [{ ...filter, fromBlock: numberToHex(start), toBlock: numberToHex(end) }],
          },
          // Retries are ours: a refusal must shrink the range, not repeat it.
          { retryCount: 0, signal },
        )) as unknown as RpcLog[];
      },
      {
        retries: maxRetries,
        minTimeout: retryDelayMs,
        signal,
        shouldRetry: ({ error, attemptNumber, retryDelay }) => {
          if (classifyLogsError(error).kind !== "transient") return false;
          stats.retries++;
          logger.debug(
            {
              fromBlock: start.toString(),
              toBlock: end.toString(),
              attempt: attemptNumber,
              delayMs: retryDelay,
              err: error,
            },
            "transient eth_getLogs failure; retrying",
          );
          return true;
        },
      },
    );
    fetcher.sizer.succeeded(end - start + 1n, logs.length);
    return { kind: "logs", logs };
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const verdict = classifyLogsError(error);
    if (verdict.kind !== "range") {
      throw new LogReadFailedError(start, end, attempts, {
        cause: error,
        details: (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "",
      });
    }
    stats.refusals++;
    if (start === end) throw new LogRangeRefusedError(start, end, { cause: error });
    fetcher.sizer.refused(end - start + 1n, verdict.maxRange);
    const pieces = splitRange(start, end, verdict);
    logger.debug(
      {
        fromBlock: start.toString(),
        toBlock: end.toString(),
        pieces: pieces.length,
        nextPageSize: fetcher.sizer.size.toString(),
      },
      "node refused the log range; splitting it",
    );
    return { kind: "split", pieces };
  }
}

function chunks(start: bigint, end: bigint, step: bigint): [bigint, bigint][] {
  const pieces: [bigint, bigint][] = [];
  for (let pieceStart = start; pieceStart <= end; pieceStart += step) {
    pieces.push([pieceStart, minBigInt(end, pieceStart + step - 1n)]);
  }
  return pieces;
}

/** Where to cut a refused range: the node's suggestion, its stated limit, or in half. */
function splitRange(start: bigint, end: bigint, verdict: ClassifyLogsErrorReturnType): [bigint, bigint][] {
  const suggested = verdict.suggestedRange;
  if (suggested && suggested.fromBlock === start && suggested.toBlock >= start && suggested.toBlock < end) {
    return [
      [start, suggested.toBlock],
      [suggested.toBlock + 1n, end],
    ];
  }
  const span = end - start + 1n;
  return chunks(
    start,
    end,
    verdict.maxRange !== undefined && verdict.maxRange < span ? verdict.maxRange : (span + 1n) / 2n,
  );
}

/** First range tried: small enough that a dense history does not make the node build a huge answer first. */
const SLOW_START_SIZE = 1_000n;

/**
 * The block range of the next page. Starts small and doubles while pages are light (slow start, up to
 * `pageSize`); halves on refusals and shrinks when a page holds more than the target number of logs;
 * then grows back by a quarter after every two full-size successes, never up to a refused range.
 */
class PageSizer {
  size: bigint;
  private slowStart = true;
  private ceiling: bigint;
  private refusedAt: bigint | undefined;
  private streak = 0;
  private successesAtCap = 0;

  constructor(
    pageSize: bigint,
    private readonly targetLogs: number,
  ) {
    this.ceiling = pageSize;
    this.size = pageSize < SLOW_START_SIZE ? pageSize : SLOW_START_SIZE;
  }

  refused(span: bigint, maxRange: bigint | undefined): void {
    this.slowStart = false;
    this.refusedAt = this.refusedAt === undefined || span < this.refusedAt ? span : this.refusedAt;
    if (maxRange !== undefined && maxRange < this.ceiling) this.ceiling = maxRange;
    const half = span / 2n > 0n ? span / 2n : 1n;
    const next = maxRange !== undefined && maxRange < half ? maxRange : half;
    if (next < this.size) this.size = next;
    this.streak = 0;
    this.successesAtCap = 0;
  }

  succeeded(span: bigint, logCount: number): void {
    if (logCount > this.targetLogs) {
      this.slowStart = false;
      const fitting = (span * BigInt(this.targetLogs)) / BigInt(logCount);
      const next = fitting > 0n ? fitting : 1n;
      if (next < this.size) this.size = next;
      this.streak = 0;
      return;
    }
    // Split pieces and the last, truncated page say nothing about the current size.
    if (span < this.size) return;
    const limit =
      this.refusedAt !== undefined && this.refusedAt - 1n < this.ceiling ? this.refusedAt - 1n : this.ceiling;
    if (this.size >= limit) {
      // A refusal long ago (or a dense stretch) should not cap the rest of a long history.
      if (this.refusedAt !== undefined && ++this.successesAtCap >= 32) {
        this.refusedAt = undefined;
        this.successesAtCap = 0;
      }
      return;
    }
    let grown: bigint;
    if (this.slowStart) {
      if (logCount * 2 > this.targetLogs) {
        this.slowStart = false;
        return;
      }
      grown = this.size * 2n;
    } else {
      // Grow only while a bigger page would still stay under the target.
      if (logCount * 5 > this.targetLogs * 4 || ++this.streak < 2) return;
      this.streak = 0;
      grown = this.size + (this.size / 4n > 0n ? this.size / 4n : 1n);
    }
    this.size = grown < limit ? grown : limit;
  }
}

type Decoder<abi extends Abi> = {
  /** topics[0] filter: the selectors of every event. */
  selectors: Hex[];
  decodePage: (fromBlock: bigint, toBlock: bigint, raw: RpcLog[]) => LogPage<abi>;
};

function createDecoder<abi extends Abi>(abi: abi, logger: Logger): Decoder<abi> {
  // Anonymous events have no selector topic to filter on. Events sharing a selector (ERC-20 and ERC-721
  // Transfer) are told apart by viem, which tries each layout in turn.
  const selectors = [
    ...new Set(abi.flatMap((item) => (item.type === "event" && !item.anonymous ? [toEventSelector(item)] : []))),
  ];
  if (selectors.length === 0) throw new TypeError("readLogs: `events` holds no non-anonymous event.");
  return {
    selectors,
    decodePage: (fromBlock, toBlock, raw) => {
      // A log without a block (pending) has no place in chain order.
      const mined = raw.filter((entry) => entry.blockNumber !== null && entry.logIndex !== null);
      const logs = parseEventLogs({ abi, logs: mined, strict: true }) as unknown as DecodedLog<abi>[];
      const skipped = raw.length - logs.length;
      if (skipped > 0)
        logger.debug(
          { fromBlock: fromBlock.toString(), toBlock: toBlock.toString(), skipped },
          "skipped logs that do not decode with the given events",
        );
      // Nodes answer in chain order; a misbehaving one is sorted rather than trusted.
      if (!isChainOrdered(logs)) logs.sort(compareLogs);
      return { fromBlock, toBlock, logs, skipped };
    },
  };
}

function compareLogs(a: DecodedLog<Abi>, b: DecodedLog<Abi>): number {
  if (a.blockNumber !== b.blockNumber) return a.blockNumber < b.blockNumber ? -1 : 1;
  return a.logIndex - b.logIndex;
}

function isChainOrdered(logs: DecodedLog<Abi>[]): boolean {
  for (let index = 1; index < logs.length; index++) {
    const previous = logs[index - 1];
    const current = logs[index];
    if (previous && current && compareLogs(previous, current) > 0) return false;
  }
  return true;
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
