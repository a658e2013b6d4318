import { DatabaseSync } from "node:sqlite";
import type { Hash } from "viem";
import { InvalidLogCursorError } from "../../errors/chain.js";
import type { BlockRef, CursorStore, LogCursor } from "./followLogs.js";

export type SqliteCursorStoreParameters = {
  /**
   * The consumer's open database, so that its writes in `onLogs` / `onReorg` join the cursor's
   * transaction; or a file path to open (WAL mode) when the effects live elsewhere.
   */
  database: DatabaseSync | string;
  /** Name of this cursor, e.g. "daemon:escrow"; one database can hold many. */
  name: string;
  /** Table holding the cursors. Default "guild_log_cursors". */
  table?: string;
};

export type SqliteCursorStore = CursorStore & {
  readonly database: DatabaseSync;
  /** Closes the database if this store opened it (a path was given); otherwise does nothing. */
  close: () => void;
};

type CursorRow = { block_number: string; block_hash: string; recent_blocks: string };

const HASH = /^0x[0-9a-fA-F]{64}$/;
const DIGITS = /^\d+$/;

/**
 * A cursor store in a SQLite table (Node's built-in `node:sqlite`). `commit` runs the consumer's
 * `apply` and the cursor upsert in one `BEGIN IMMEDIATE ... COMMIT` on the shared connection, so a
 * crash at any point leaves both or neither: delivery is exactly-once across restarts.
 *
 * `apply` may be async, but while it runs, nothing else may use the connection (its statements would
 * join the transaction): give each follower its own connection, or serialise.
 *
 * @example
 * const db = new DatabaseSync(".guild/daemon.db");
 * db.exec("CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, status TEXT)");
 * const store = createSqliteCursorStore({ database: db, name: "daemon:escrow" });
 * followLogs(publicClient, {
 *   address, events: jobEscrowAbi, fromBlock, store,
 *   onLogs: ({ logs }) => { for (const log of logs) upsertJob.run(...) }, // same transaction as the cursor
 * });
 */
export function createSqliteCursorStore({
  database,
  name,
  table = "guild_log_cursors",
}: SqliteCursorStoreParameters): SqliteCursorStore {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table))
    throw new TypeError(`createSqliteCursorStore: invalid table name "${table}".`);
  const owned = typeof database === "string";
  const db = typeof database === "string" ? new DatabaseSync(database) : database;
  if (owned) {
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA busy_timeout = 5000");
  }
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${table} (
       name TEXT PRIMARY KEY,
       block_number TEXT NOT NULL,
       block_hash TEXT NOT NULL,
       recent_blocks TEXT NOT NULL,
       updated_at TEXT NOT NULL
     )`,
  );
  const select = db.prepare(`SELECT block_number, block_hash, recent_blocks FROM ${table} WHERE name = ?`);
  const upsert = db.prepare(
    `INSERT INTO ${table} (name, block_number, block_hash, recent_blocks, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(name) DO UPDATE SET block_number = excluded.block_number, block_hash = excluded.block_hash,
       recent_blocks = excluded.recent_blocks, updated_at = excluded.updated_at`,
  );

  const parse = (row: CursorRow): LogCursor => {
    if (!DIGITS.test(row.block_number)) throw new InvalidLogCursorError(name, "block_number is not a decimal number");
    if (!HASH.test(row.block_hash)) throw new InvalidLogCursorError(name, "block_hash is not a 32-byte hex hash");
    let entries: unknown;
    try {
      entries = JSON.parse(row.recent_blocks);
    } catch (error) {
      throw new InvalidLogCursorError(name, "recent_blocks is not JSON", { cause: error });
    }
    if (!Array.isArray(entries)) throw new InvalidLogCursorError(name, "recent_blocks is not a list");
    const recentBlocks: BlockRef[] = entries.map((entry: unknown) => {
      if (
        !Array.isArray(entry) ||
        typeof entry[0] !== "string" ||
        !DIGITS.test(entry[0]) ||
        typeof entry[1] !== "string" ||
        !HASH.test(entry[1])
      ) {
        throw new InvalidLogCursorError(name, "recent_blocks holds an entry that is not [number, hash]");
      }
      return { number: BigInt(entry[0]), hash: entry[1] as Hash };
    });
    return { blockNumber: BigInt(row.block_number), blockHash: row.block_hash as Hash, recentBlocks };
  };

  return {
    database: db,
    close: () => {
      if (owned && db.isOpen) db.close();
    },
    load: async () => {
      const row = select.get(name) as CursorRow | undefined;
      return row ? parse(row) : undefined;
    },
    commit: async (cursor, apply) => {
      if (db.isTransaction) throw new Error("createSqliteCursorStore: commit called inside an open transaction.");
      db.exec("BEGIN IMMEDIATE");
      try {
        await apply();
        upsert.run(
          name,
          cursor.blockNumber.toString(),
          cursor.blockHash,
          JSON.stringify(cursor.recentBlocks.map((ref) => [ref.number.toString(), ref.hash])),
          new Date().toISOString(),
        );
        db.exec("COMMIT");
      } catch (error) {
        if (db.isTransaction) db.exec("ROLLBACK");
        throw error;
      }
    },
  };
}
