import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { Hash } from "viem";
import { PACKAGE_ROOT } from "../../../src/chain/embeddedChain.js";
import { NODE_KINDS } from "../../support/nodes.js";
import {
  createAndFundJob,
  guildAddresses,
  logsOfTransactions,
  registerAgent,
  startLogsTestChain,
  waitUntil,
  type LogsTestChain,
} from "./support.js";

const FIXTURE = join(PACKAGE_ROOT, "test", "chain", "logs", "fixtures", "followToSqlite.ts");

type Row = { block_number: string; log_index: number; tx_hash: string; pid: number };

/** Reads the consumer's database from outside (WAL: does not disturb the writer). */
function query<T>(dbPath: string, sql: string): T[] {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}

type Consumer = {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output: () => string;
};

/** Starts the fixture follower (Node + tsx) and waits until it says it is following. */
async function startConsumer(chain: LogsTestChain, dbPath: string): Promise<Consumer> {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    cwd: PACKAGE_ROOT,
    env: {
      ...process.env,
      RPC_URL: chain.url,
      CHAIN_ID: `${chain.chainId}`,
      DB_PATH: dbPath,
      ADDRESSES: guildAddresses(chain).join(","),
      FROM_BLOCK: chain.guild.reader.fromBlock.toString(),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  await waitUntil(
    () => {
      if (child.exitCode !== null) throw new Error(`the consumer exited early:\n${output}`);
      return output.includes("ready");
    },
    "the consumer to start",
    30_000,
  );
  return { child, exited, output: () => output };
}

describe.each(NODE_KINDS)("a follower killed with SIGKILL and restarted, on %s", (kind) => {
  let chain: LogsTestChain;
  let dir: string;
  const running: ChildProcess[] = [];

  beforeAll(async () => {
    chain = await startLogsTestChain(kind);
    dir = mkdtempSync(join(tmpdir(), "guild-follow-"));
  });
  afterAll(async () => {
    for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records every log exactly once, resuming at its cursor while transactions keep coming", async () => {
    const dbPath = join(dir, `${kind}.db`);
    const hashes: Hash[] = [];
    let agents = 0;
    let jobs = 0;
    const activity = async () => {
      if (agents < 8) {
        agents++;
        hashes.push(await registerAgent(chain, agents, [`skill-${agents}`, "shared"]));
      } else {
        jobs++;
        hashes.push(await createAndFundJob(chain, 1 + (jobs % 8), 1 + ((jobs + 3) % 8), BigInt(jobs)));
      }
    };
    // History the first consumer must catch up on.
    for (let count = 0; count < 10; count++) await activity();

    let sending = true;
    const sender = (async () => {
      while (sending) {
        await activity();
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    const first = await startConsumer(chain, dbPath);
    running.push(first.child);
    await waitUntil(
      () => query<{ n: number }>(dbPath, "SELECT COUNT(*) AS n FROM seen")[0]!.n >= 30,
      "the first consumer to record logs",
    );
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    const rowsAtKill = query<{ n: number }>(dbPath, "SELECT COUNT(*) AS n FROM seen")[0]!.n;
    const cursorAtKill = query<{ block_number: string }>(dbPath, "SELECT block_number FROM guild_log_cursors")[0];

    // Transactions keep coming while nobody follows.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = await startConsumer(chain, dbPath);
    running.push(second.child);
    await new Promise((resolve) => setTimeout(resolve, 500));
    sending = false;
    await sender;
    const head = await chain.publicClient.getBlockNumber();
    await waitUntil(
      () =>
        BigInt(
          query<{ block_number: string }>(dbPath, "SELECT block_number FROM guild_log_cursors")[0]?.block_number ?? "0",
        ) >= head,
      "the second consumer to reach the head",
    );
    second.child.kill("SIGTERM");
    const exit = await second.exited;
    expect(exit.code, second.output()).toBe(0);

    const rows = query<Row>(dbPath, "SELECT block_number, log_index, tx_hash, pid FROM seen");
    const recorded = rows
      .map((row) => ({ blockNumber: BigInt(row.block_number), logIndex: row.log_index, transactionHash: row.tx_hash }))
      .sort((a, b) =>
        a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
      );
    const expected = (await logsOfTransactions(chain, hashes)).map(({ blockNumber, logIndex, transactionHash }) => ({
      blockNumber,
      logIndex,
      transactionHash,
    }));
    // Rows have no uniqueness constraint: a log seen twice would be two rows here.
    expect(recorded).toEqual(expected);
    // The kill happened mid-stream, and the second process took over at the cursor.
    expect(cursorAtKill).toBeDefined();
    expect(rowsAtKill).toBeLessThan(rows.length);
    const pids = new Set(rows.map((row) => row.pid));
    expect(pids).toEqual(new Set([first.child.pid, second.child.pid]));
  });
});
