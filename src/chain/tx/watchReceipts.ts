import type { Hash, TransactionReceipt } from "viem";
import type { Logger } from "../../log/createLogger.js";
import type { ChainConnection } from "../createConnection.js";
import { pollUntil } from "../pollUntil.js";

/**
 * Waits for many receipts at once with one poller per connection: it follows the block number and,
 * for each new block, matches the block's transaction hashes against the transactions being waited for,
 * then fetches only their receipts. Hundreds of concurrent waits cost one request per poll plus one per
 * block, instead of one request per transaction per poll.
 */
export type ReceiptWatcher = {
  /** Resolves with the receipt once the transaction is in a block. Never rejects; callers time out. */
  wait: (hash: Hash) => Promise<TransactionReceipt>;
};

type Waiter = { resolve: (receipt: TransactionReceipt) => void; addedAt: number };

const watchers = new WeakMap<ChainConnection, ReceiptWatcher>();

/** The receipt watcher of a connection (one per connection, shared by all its senders). */
export function receiptWatcher(connection: ChainConnection, logger: Logger): ReceiptWatcher {
  let watcher = watchers.get(connection);
  if (!watcher) {
    watcher = createReceiptWatcher(connection, logger);
    watchers.set(connection, watcher);
  }
  return watcher;
}

function createReceiptWatcher(connection: ChainConnection, logger: Logger): ReceiptWatcher {
  const { publicClient, pollingIntervalMs } = connection;
  const waiters = new Map<Hash, Waiter[]>();
  let lastScanned: bigint | undefined;
  let rescanFrom: bigint | undefined;
  let running = false;
  let lastSweep = Date.now();
  const sweepEveryMs = Math.max(2_000, pollingIntervalMs * 4);

  async function fetchReceipt(hash: Hash): Promise<TransactionReceipt | undefined> {
    try {
      return await publicClient.getTransactionReceipt({ hash });
    } catch {
      return undefined;
    }
  }

  function settle(hash: Hash, receipt: TransactionReceipt) {
    const list = waiters.get(hash);
    if (!list) return;
    waiters.delete(hash);
    for (const waiter of list) waiter.resolve(receipt);
  }

  async function scan(): Promise<void> {
    const head = await publicClient.getBlockNumber({ cacheTime: 0 });
    // Blocks after the last one scanned, and again from where any waiter registered since then began:
    // a block scanned before a waiter registered may hold its transaction.
    let next = lastScanned === undefined ? head : lastScanned + 1n;
    if (rescanFrom !== undefined && rescanFrom < next) next = rescanFrom;
    rescanFrom = undefined;
    for (let number = next; number <= head && waiters.size > 0; number++) {
      const block = await publicClient.getBlock({ blockNumber: number, includeTransactions: false });
      const mined = block.transactions.filter((hash) => waiters.has(hash));
      const receipts = await Promise.all(mined.map(fetchReceipt));
      mined.forEach((hash, i) => {
        const receipt = receipts[i];
        if (receipt) settle(hash, receipt);
      });
      lastScanned = number;
    }
    // A safety net for blocks seen during a reorg or skipped by a flaky node: ask old waiters directly.
    if (Date.now() - lastSweep > sweepEveryMs) {
      lastSweep = Date.now();
      const stale = [...waiters.entries()].filter(([, list]) =>
        list.some((w) => Date.now() - w.addedAt > sweepEveryMs),
      );
      const found = await Promise.all(stale.map(([hash]) => fetchReceipt(hash)));
      stale.forEach(([hash], i) => {
        const receipt = found[i];
        if (receipt) settle(hash, receipt);
      });
    }
  }

  async function loop(): Promise<void> {
    running = true;
    try {
      await pollUntil(
        () =>
          scan().catch((error: unknown) => {
            logger.debug({ err: error }, "receipt poll failed; will retry");
          }),
        () => waiters.size === 0,
        { intervalMs: pollingIntervalMs },
      );
    } finally {
      running = false;
    }
  }

  return {
    async wait(hash) {
      // The block number is read before the direct check, so a transaction mined in between is found
      // by the block scan that starts at `since`.
      let since: bigint;
      try {
        since = await publicClient.getBlockNumber({ cacheTime: 0 });
      } catch {
        since = lastScanned ?? 0n;
      }
      const direct = await fetchReceipt(hash);
      if (direct) return direct;
      return new Promise<TransactionReceipt>((resolve) => {
        const list = waiters.get(hash) ?? [];
        list.push({ resolve, addedAt: Date.now() });
        if (rescanFrom === undefined || since + 1n < rescanFrom) rescanFrom = since + 1n;
        waiters.set(hash, list);
        if (!running) void loop();
      });
    },
  };
}
