import type { CursorStore, LogCursor } from "./followLogs.js";

export type MemoryCursorStore = CursorStore & {
  /** The saved cursor (a copy), or undefined. */
  readonly saved: LogCursor | undefined;
  /** Commits so far, rewinds included. */
  readonly commits: number;
};

/**
 * A cursor store in memory, for tests and for consumers whose effects live in memory too. `commit`
 * saves the cursor only when `apply` succeeds; undoing a failed `apply`'s partial effects is the
 * consumer's business. Share one store between follower instances to simulate a restart.
 *
 * @example
 * const store = createMemoryCursorStore();
 * const follower = followLogs(publicClient, { address, events: jobEscrowAbi, fromBlock: 0n, store, onLogs });
 */
export function createMemoryCursorStore(initial?: LogCursor): MemoryCursorStore {
  let saved = initial ? structuredClone(initial) : undefined;
  let commits = 0;
  return {
    get saved() {
      return saved ? structuredClone(saved) : undefined;
    },
    get commits() {
      return commits;
    },
    load: async () => (saved ? structuredClone(saved) : undefined),
    commit: async (cursor, apply) => {
      await apply();
      saved = structuredClone(cursor);
      commits++;
    },
  };
}
