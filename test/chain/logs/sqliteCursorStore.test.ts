import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Hash } from "viem";
import type { LogCursor } from "../../../src/chain/logs/followLogs.js";
import { createMemoryCursorStore } from "../../../src/chain/logs/memoryCursorStore.js";
import { createSqliteCursorStore } from "../../../src/chain/logs/sqliteCursorStore.js";
import { InvalidLogCursorError } from "../../../src/errors/chain.js";

const hash = (byte: string) => `0x${byte.repeat(32)}` as Hash;
const cursor = (number: bigint, byte: string): LogCursor => ({
  blockNumber: number,
  blockHash: hash(byte),
  recentBlocks: [
    { number: number - 1n, hash: hash("0a") },
    { number, hash: hash(byte) },
  ],
});

describe("createSqliteCursorStore", () => {
  it("saves the consumer's writes and the cursor together, and survives reopening the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "guild-cursor-"));
    try {
      const path = join(dir, "state.db");
      const db = new DatabaseSync(path);
      db.exec("CREATE TABLE effects (value TEXT)");
      const store = createSqliteCursorStore({ database: db, name: "test" });
      expect(await store.load()).toBeUndefined();
      await store.commit(cursor(10n, "11"), async () => {
        db.prepare("INSERT INTO effects VALUES (?)").run("a");
        await new Promise((resolve) => setTimeout(resolve, 5));
        db.prepare("INSERT INTO effects VALUES (?)").run("b");
      });
      db.close();

      const reopened = createSqliteCursorStore({ database: path, name: "test" });
      expect(await reopened.load()).toEqual(cursor(10n, "11"));
      expect(
        reopened.database
          .prepare("SELECT value FROM effects")
          .all()
          .map((row) => row.value),
      ).toEqual(["a", "b"]);
      // Another name in the same table is another cursor.
      expect(await createSqliteCursorStore({ database: reopened.database, name: "other" }).load()).toBeUndefined();
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("rolls back the consumer's writes and keeps the old cursor when apply throws", async () => {
    const db = new DatabaseSync(":memory:");
    db.exec("CREATE TABLE effects (value TEXT)");
    const store = createSqliteCursorStore({ database: db, name: "test" });
    await store.commit(cursor(10n, "11"), async () => {});
    const failure = new Error("consumer failed");
    await expect(
      store.commit(cursor(11n, "22"), async () => {
        db.prepare("INSERT INTO effects VALUES (?)").run("lost");
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.load()).toEqual(cursor(10n, "11"));
    expect(db.prepare("SELECT COUNT(*) AS n FROM effects").get()).toEqual({ n: 0 });
    expect(db.isTransaction).toBe(false);
  });

  it("refuses to commit inside a transaction the caller left open", async () => {
    const db = new DatabaseSync(":memory:");
    const store = createSqliteCursorStore({ database: db, name: "test" });
    db.exec("BEGIN");
    await expect(store.commit(cursor(1n, "11"), async () => {})).rejects.toThrow(Error);
    db.exec("ROLLBACK");
  });

  it("throws InvalidLogCursorError for a corrupt row", async () => {
    const db = new DatabaseSync(":memory:");
    const store = createSqliteCursorStore({ database: db, name: "test" });
    await store.commit(cursor(5n, "33"), async () => {});
    db.exec("UPDATE guild_log_cursors SET recent_blocks = '[[\"x\", 1]]'");
    await expect(store.load()).rejects.toBeInstanceOf(InvalidLogCursorError);
    db.exec("UPDATE guild_log_cursors SET recent_blocks = '[]', block_hash = 'nope'");
    await expect(store.load()).rejects.toBeInstanceOf(InvalidLogCursorError);
  });
});

describe("createMemoryCursorStore", () => {
  it("saves the cursor only when apply succeeds", async () => {
    const store = createMemoryCursorStore();
    await store.commit(cursor(3n, "44"), async () => {});
    const failure = new Error("consumer failed");
    await expect(
      store.commit(cursor(4n, "55"), async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await store.load()).toEqual(cursor(3n, "44"));
    expect(store.commits).toBe(1);
  });
});
