import type { Hash } from "viem";
import { GuildError, type GuildErrorOptions } from "./GuildError.js";

// ------------------------------------------------------------------------------------------------
// Reading logs (src/chain/logs)
// ------------------------------------------------------------------------------------------------

/** The node refused `eth_getLogs` even for a single block (too many logs in it for this node). */
export class LogRangeRefusedError extends GuildError {
  override name = "LogRangeRefusedError";
  readonly fromBlock: bigint;
  readonly toBlock: bigint;

  constructor(fromBlock: bigint, toBlock: bigint, options: GuildErrorOptions = {}) {
    super(`The node refused eth_getLogs for blocks ${fromBlock}-${toBlock} even after shrinking the range.`, {
      ...options,
      metaMessages: [
        "A single block holds more logs than this node returns at once.",
        "Use a node without a result limit (an archive node you run, or another provider).",
        ...(options.metaMessages ?? []),
      ],
    });
    this.fromBlock = fromBlock;
    this.toBlock = toBlock;
  }
}

/** `eth_getLogs` failed for a block range: a non-retryable error, or retries ran out. */
export class LogReadFailedError extends GuildError {
  override name = "LogReadFailedError";
  readonly fromBlock: bigint;
  readonly toBlock: bigint;
  /** Requests made for this range before giving up. */
  readonly attempts: number;

  constructor(fromBlock: bigint, toBlock: bigint, attempts: number, options: GuildErrorOptions = {}) {
    super(
      `Reading logs of blocks ${fromBlock}-${toBlock} failed after ${attempts} attempt${attempts === 1 ? "" : "s"}.`,
      {
        ...options,
        metaMessages: ["Check that the RPC node is up and serves eth_getLogs.", ...(options.metaMessages ?? [])],
      },
    );
    this.fromBlock = fromBlock;
    this.toBlock = toBlock;
    this.attempts = attempts;
  }
}

/**
 * The chain reorganised below every block hash a log follower kept: it cannot tell which of the logs it
 * delivered are still on the chain. Rebuild the consumer's state from an older block.
 */
export class ReorgTooDeepError extends GuildError {
  override name = "ReorgTooDeepError";
  readonly cursorBlock: bigint;
  readonly cursorHash: Hash;
  /** Lowest block whose hash the follower kept; the reorg reaches at or below it. */
  readonly oldestKeptBlock: bigint;

  constructor(cursorBlock: bigint, cursorHash: Hash, oldestKeptBlock: bigint, options: GuildErrorOptions = {}) {
    super(`The chain reorganised below block ${oldestKeptBlock}, deeper than the follower keeps hashes for.`, {
      ...options,
      metaMessages: [
        `Cursor: block ${cursorBlock} (${cursorHash}).`,
        "Clear the follower's cursor and its derived state, or raise keepBlocks.",
        ...(options.metaMessages ?? []),
      ],
    });
    this.cursorBlock = cursorBlock;
    this.cursorHash = cursorHash;
    this.oldestKeptBlock = oldestKeptBlock;
  }
}

/** A log follower's consumer (`onLogs` / `onReorg`) or its cursor store threw; the follower stopped. */
export class LogConsumerError extends GuildError {
  override name = "LogConsumerError";
  readonly fromBlock: bigint;
  readonly toBlock: bigint;

  constructor(fromBlock: bigint, toBlock: bigint, options: GuildErrorOptions = {}) {
    super(`Handling the logs of blocks ${fromBlock}-${toBlock} failed; the follower stopped.`, {
      ...options,
      metaMessages: [
        "The cursor was not advanced: a restarted follower delivers these blocks again.",
        ...(options.metaMessages ?? []),
      ],
    });
    this.fromBlock = fromBlock;
    this.toBlock = toBlock;
  }
}

/** A stored log cursor cannot be read (corrupt row, or written by an incompatible version). */
export class InvalidLogCursorError extends GuildError {
  override name = "InvalidLogCursorError";
  readonly cursorName: string;

  constructor(cursorName: string, problem: string, options: GuildErrorOptions = {}) {
    super(`The stored log cursor "${cursorName}" is invalid: ${problem}.`, {
      ...options,
      metaMessages: ["Delete the cursor row to re-read from the start block.", ...(options.metaMessages ?? [])],
    });
    this.cursorName = cursorName;
  }
}
