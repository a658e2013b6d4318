import { setTimeout } from "node:timers/promises";
import { numberToHex, type Abi, type Address, type Hash, type Hex, type PublicClient } from "viem";
import { InvalidLogCursorError, LogConsumerError, ReorgTooDeepError } from "../../errors/chain.js";
import { silentLogger, type Logger } from "../../log/createLogger.js";
import { readLogs, streamLogs, type DecodedLog } from "./readLogs.js";

/** A block by number and hash. */
export type BlockRef = { number: bigint; hash: Hash };

/** Where a follower is: the last block it processed, and hashes of recent blocks to detect reorgs with. */
export type LogCursor = {
  blockNumber: bigint;
  blockHash: Hash;
  /**
   * Processed blocks within `keepBlocks` of the cursor, ascending, ending with the cursor block: every
   * block near the head, and blocks with logs further back. A reorg rewinds to the highest one still on
   * the chain.
   */
  recentBlocks: BlockRef[];
};

/**
 * Persists a follower's cursor. `commit` must apply the consumer's effects and save the cursor as one
 * unit: both or neither. A store backed by the consumer's own database does it with one transaction
 * (see `createSqliteCursorStore`), which is what makes delivery exactly-once across crashes.
 */
export type CursorStore = {
  load: () => Promise<LogCursor | undefined>;
  /** Runs `apply` (the consumer's `onLogs` / `onReorg`) and saves `cursor`, atomically. */
  commit: (cursor: LogCursor, apply: () => Promise<void>) => Promise<void>;
};

/** Logs of consecutive blocks, delivered in chain order. */
export type LogBatch<abi extends Abi = Abi> = {
  fromBlock: bigint;
  toBlock: bigint;
  logs: DecodedLog<abi>[];
};

/** Processed blocks left the chain; undo everything derived from blocks `fromBlock` and above. */
export type LogReorg = {
  /** First block to undo: the common ancestor + 1. Its replacement is delivered next. */
  fromBlock: bigint;
  /** The processed blocks (that the follower kept hashes of) which are no longer on the chain. */
  removedBlocks: BlockRef[];
  /** The rewound cursor, saved together with the consumer's undo. */
  cursor: LogCursor;
};

export type FollowLogsParameters<abi extends Abi = Abi> = {
  address: Address | readonly Address[];
  /** The events to deliver: an ABI or a list of event items. */
  events: abi;
  store: CursorStore;
  /** First block to read when the store holds no cursor yet. */
  fromBlock: bigint;
  /** Blocks a block must be buried under before its logs are delivered. Default 0. */
  confirmations?: number;
  /** How often to poll the head. Default 1,000 ms. */
  pollingIntervalMs?: number;
  /** Reorg depth handled: hashes of this many recent blocks are kept with the cursor. Default 64. */
  keepBlocks?: number;
  /** Passed to the log reader for catching up on history. */
  pageSize?: number;
  concurrency?: number;
  targetLogsPerPage?: number;
  /** Longest wait between retries while the node fails. Default 30,000 ms. */
  maxBackoffMs?: number;
  /** Called with each batch inside the store's commit: persist the effects there. */
  onLogs: (batch: LogBatch<abi>, cursor: LogCursor) => Promise<void> | void;
  /** Called inside the store's commit when processed blocks left the chain. */
  onReorg?: (reorg: LogReorg) => Promise<void> | void;
  logger?: Logger;
  signal?: AbortSignal;
};

export type LogFollower = {
  /** Settles when the follower stops: resolves after `stop()` or an abort, rejects on a fatal error. */
  done: Promise<void>;
  /** Stops polling, lets a commit in progress finish, and resolves when the follower is idle. */
  stop: () => Promise<void>;
  /** The last cursor committed (or loaded); undefined before the first commit of a fresh store. */
  cursor: () => LogCursor | undefined;
};

type Header = { number: bigint; hash: Hash; parentHash: Hash };

/** Where the follower stands: `last` is the block before the next one to read. */
type State = {
  last: BlockRef | undefined;
  recent: BlockRef[];
  /** `last` is the parent of `fromBlock`, not a committed cursor: nothing to undo if it changes. */
  provisional: boolean;
};

/**
 * Follows the logs of `events` from `address` as blocks arrive: polls the head, reads every block up to
 * `head - confirmations` in order, and hands each batch to `onLogs` inside `store.commit` with the new
 * cursor, so effects and cursor are saved together. Before reading on, it checks that the cursor block
 * is still on the chain; when it is not, it walks back over the kept hashes to the common ancestor,
 * calls `onReorg` (committed with the rewound cursor) and reads again from there.
 *
 * RPC failures are logged at warn and retried with backoff until stopped; the follower stops with a
 * rejected `done` only when the consumer or the store throws ({@link LogConsumerError}), the reorg is
 * deeper than the kept hashes ({@link ReorgTooDeepError}) or the stored cursor is unreadable.
 *
 * @example
 * const follower = followLogs(publicClient, {
 *   address: addresses.escrow,
 *   events: jobEscrowAbi,
 *   fromBlock: deployment.fromBlock,
 *   store: createSqliteCursorStore({ database: db, name: "daemon:escrow" }),
 *   onLogs: ({ logs }) => { for (const log of logs) insertEvent.run(log.transactionHash, log.logIndex) },
 *   onReorg: ({ fromBlock }) => { deleteEventsFrom.run(fromBlock) },
 * });
 * // ... on shutdown:
 * await follower.stop();
 */
export function followLogs<const abi extends Abi>(
  client: PublicClient,
  parameters: FollowLogsParameters<abi>,
): LogFollower {
  const {
    address,
    events,
    store,
    fromBlock,
    confirmations = 0,
    pollingIntervalMs = 1_000,
    keepBlocks = 64,
    pageSize,
    concurrency,
    targetLogsPerPage,
    maxBackoffMs = 30_000,
    onLogs,
    onReorg,
    signal: outerSignal,
  } = parameters;
  const logger = (parameters.logger ?? silentLogger()).child({ module: "chain/logs/followLogs" });
  const keep = BigInt(Math.max(1, keepBlocks));
  const controller = new AbortController();
  const signal = controller.signal;
  const onOuterAbort = () => controller.abort(outerSignal?.reason);
  outerSignal?.addEventListener("abort", onOuterAbort, { once: true });
  if (outerSignal?.aborted) onOuterAbort();

  const readerOptions = {
    address,
    events,
    signal,
    logger,
    ...(pageSize === undefined ? {} : { pageSize }),
    ...(concurrency === undefined ? {} : { concurrency }),
    ...(targetLogsPerPage === undefined ? {} : { targetLogsPerPage }),
  };
  let committed: LogCursor | undefined;
  let state: State | undefined;

  const request = <T>(method: string, params: unknown[]): Promise<T> =>
    client.request({ method, params } as never, { retryCount: 0, signal }) as Promise<T>;

  const getHeader = async (number: bigint): Promise<Header | undefined> => {
    const block = await request<{ number: Hex; hash: Hash; parentHash: Hash } | null>("eth_getBlockByNumber", [
      numberToHex(number),
      false,
    ]);
    return block ? { number: BigInt(block.number), hash: block.hash, parentHash: block.parentHash } : undefined;
  };

  const getHeaders = async (from: bigint, to: bigint): Promise<(Header | undefined)[]> => {
    const headers: (Header | undefined)[] = [];
    // A few at a time: public nodes rate-limit bursts.
    for (let start = from; start <= to; start += 16n) {
      const batch: Promise<Header | undefined>[] = [];
      for (let number = start; number <= to && number < start + 16n; number++) batch.push(getHeader(number));
      headers.push(...(await Promise.all(batch)));
    }
    return headers;
  };

  /** Commits a batch: the consumer's effects and the new cursor together. */
  const commit = async (batch: LogBatch<abi>, end: BlockRef, refs: BlockRef[]) => {
    if (!state) throw new Error("followLogs: commit before start");
    const floor = end.number - keep;
    const byNumber = new Map<bigint, BlockRef>();
    for (const ref of state.recent)
      if (ref.number > floor && ref.number < batch.fromBlock) byNumber.set(ref.number, ref);
    for (const ref of refs) if (ref.number > floor) byNumber.set(ref.number, ref);
    byNumber.set(end.number, end);
    const recent = [...byNumber.values()].sort((a, b) => (a.number < b.number ? -1 : 1));
    const cursor: LogCursor = { blockNumber: end.number, blockHash: end.hash, recentBlocks: recent };
    try {
      await store.commit(cursor, async () => {
        if (batch.logs.length > 0) await onLogs(batch, cursor);
      });
    } catch (error) {
      throw new LogConsumerError(batch.fromBlock, batch.toBlock, { cause: error });
    }
    committed = cursor;
    state = { last: end, recent, provisional: false };
    logger.debug(
      { fromBlock: batch.fromBlock.toString(), toBlock: batch.toBlock.toString(), logs: batch.logs.length },
      "logs delivered",
    );
  };

  /** The chain no longer has the cursor block: rewind to the highest kept block still on it. */
  const rewind = async (current: State & { last: BlockRef }) => {
    let ancestor: BlockRef | undefined;
    for (const ref of [...current.recent].reverse()) {
      if (ref.number >= current.last.number) continue;
      const header = await getHeader(ref.number);
      if (header?.hash === ref.hash) {
        ancestor = ref;
        break;
      }
    }
    if (!ancestor) {
      throw new ReorgTooDeepError(
        current.last.number,
        current.last.hash,
        current.recent[0]?.number ?? current.last.number,
      );
    }
    const base = ancestor;
    const removedBlocks = current.recent.filter((ref) => ref.number > base.number);
    const recent = current.recent.filter((ref) => ref.number <= base.number);
    const cursor: LogCursor = { blockNumber: base.number, blockHash: base.hash, recentBlocks: recent };
    const reorg: LogReorg = { fromBlock: base.number + 1n, removedBlocks, cursor };
    logger.warn(
      {
        fromBlock: reorg.fromBlock.toString(),
        removed: removedBlocks.length,
        previousCursor: current.last.number.toString(),
      },
      "chain reorganisation: rewinding",
    );
    try {
      await store.commit(cursor, async () => {
        await onReorg?.(reorg);
      });
    } catch (error) {
      throw new LogConsumerError(reorg.fromBlock, current.last.number, { cause: error });
    }
    committed = cursor;
    state = { last: base, recent, provisional: false };
  };

  /** Anchors a fresh follower on the parent of `fromBlock`, so even its first batch is checked. */
  const anchor = async (): Promise<State | undefined> => {
    if (fromBlock === 0n) return { last: undefined, recent: [], provisional: true };
    const parent = await getHeader(fromBlock - 1n);
    if (!parent) return undefined; // the chain is not that long yet
    const ref = { number: parent.number, hash: parent.hash };
    return { last: ref, recent: [ref], provisional: true };
  };

  /** One round: check for a reorg, then read what is confirmed. Returns true when more work is waiting. */
  const step = async (): Promise<boolean> => {
    const head = BigInt(await request<Hex>("eth_blockNumber", []));
    state ??= await anchor();
    if (!state) return false;
    const current = state;
    if (current.last) {
      const header = await getHeader(current.last.number);
      if (header?.hash !== current.last.hash) {
        if (current.provisional) {
          state = undefined;
        } else {
          await rewind({ ...current, last: current.last });
        }
        return true;
      }
    }
    const target = head - BigInt(confirmations);
    const next = current.last ? current.last.number + 1n : fromBlock;
    if (target < next) return false;

    // Blocks deeper than `keep` under the head are read in bulk; the rest block by block with hashes.
    const farEnd = target < head - keep ? target : head - keep;
    if (next <= farEnd) {
      for await (const page of streamLogs(client, { ...readerOptions, fromBlock: next, toBlock: farEnd })) {
        const end = await getHeader(page.toBlock);
        if (!end) return true; // the chain shrank under us: the next round sorts it out
        const refs = page.logs.map((log) => ({ number: log.blockNumber, hash: log.blockHash }));
        await commit(page, { number: end.number, hash: end.hash }, refs);
        if (signal.aborted) return false;
      }
      return true;
    }

    const [logs, headers] = await Promise.all([
      readLogs(client, { ...readerOptions, fromBlock: next, toBlock: target }),
      getHeaders(next, target),
    ]);
    // The node answers each request from whatever chain it has at that moment: check that logs and
    // headers form one chain on top of the cursor before delivering anything.
    let parent = current.last?.hash;
    const refs: BlockRef[] = [];
    for (const [offset, header] of headers.entries()) {
      if (
        !header ||
        header.number !== next + BigInt(offset) ||
        (parent !== undefined && header.parentHash !== parent)
      ) {
        logger.debug({ block: (next + BigInt(offset)).toString() }, "chain changed while reading; reading again");
        return true;
      }
      parent = header.hash;
      refs.push({ number: header.number, hash: header.hash });
    }
    const consistent = logs.every((log) => refs[Number(log.blockNumber - next)]?.hash === log.blockHash);
    const end = refs[refs.length - 1];
    if (!consistent || !end) {
      logger.debug({ fromBlock: next.toString(), toBlock: target.toString() }, "logs from another fork; reading again");
      return true;
    }
    await commit({ fromBlock: next, toBlock: target, logs }, end, refs);
    return false;
  };

  const run = async () => {
    committed = await store.load();
    if (committed) {
      const last = { number: committed.blockNumber, hash: committed.blockHash };
      const recent = committed.recentBlocks.length > 0 ? committed.recentBlocks : [last];
      state = { last, recent, provisional: false };
    }
    logger.info(
      committed
        ? { cursor: committed.blockNumber.toString(), cursorHash: committed.blockHash }
        : { fromBlock: fromBlock.toString() },
      committed ? "following logs from the stored cursor" : "following logs from the start block",
    );
    let failures = 0;
    while (!signal.aborted) {
      try {
        const busy = await step();
        failures = 0;
        if (!busy) await setTimeout(pollingIntervalMs, undefined, { signal });
      } catch (error) {
        if (signal.aborted) break;
        if (
          error instanceof LogConsumerError ||
          error instanceof ReorgTooDeepError ||
          error instanceof InvalidLogCursorError
        ) {
          logger.error({ err: error }, "log follower stopped");
          throw error;
        }
        failures++;
        const delay = Math.min(maxBackoffMs, pollingIntervalMs * 2 ** Math.min(failures - 1, 20));
        logger.warn({ err: error, failures, retryInMs: delay }, "log follower: reading the chain failed; retrying");
        await setTimeout(delay, undefined, { signal }).catch(() => {});
      }
    }
    logger.info({ cursor: committed?.blockNumber.toString() }, "log follower stopped");
  };

  const done = run().finally(() => {
    outerSignal?.removeEventListener("abort", onOuterAbort);
  });
  // Callers may never look at `done`; a fatal error is logged, and must not crash the process.
  done.catch(() => {});

  return {
    done,
    stop: async () => {
      if (!signal.aborted) controller.abort(new Error("log follower stopped"));
      await done.catch(() => {});
    },
    cursor: () => committed,
  };
}
