import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Address, Hash } from "viem";

export type WorkKind = "work" | "check" | "claim" | "settle" | "refund" | "withdraw";
export type WorkStatus = "pending" | "done" | "skipped" | "failed";

export type WorkItem = {
  key: string;
  kind: WorkKind;
  jobId: bigint | undefined;
  /** Unix seconds (chain time) before which the item is not due. */
  notBefore: number;
  status: WorkStatus;
  attempts: number;
  /** Block of the event that created the item (reorgs remove pending items from undone blocks). */
  block: bigint;
  detail: string;
};

export type JobRow = {
  jobId: bigint;
  client: Address;
  provider: Address;
  evaluator: Address;
  token: Address | undefined;
  status: string;
  updatedBlock: bigint;
};

/** A job's description and delivered content, as the daemon ingested them from the escrow's events. */
export type StoredJobTexts = { description: string | undefined; content: string | undefined };

export type LedgerKind = "hire" | "stake" | "payout" | "refund" | "claim" | "withdraw";

export type TaskRow = {
  id: string;
  request: string;
  status: "running" | "done" | "failed";
  result: string | undefined;
  createdAt: string;
  updatedAt: string;
};

/**
 * A daemon's durable state in `node:sqlite` under its agent folder: the work queue derived from chain
 * events, the jobs it is a party to, a ledger of its money events (for metrics), the transactions it
 * sent per action (so a restart waits for an in-flight transaction instead of sending another), and
 * delegated tasks. Job texts (description, delivered content) are kept as they are ingested, so no work item reads
 * the escrow's logs again. The log follower's cursor lives in the same database and is committed in the same
 * transaction as the rows derived from each batch of events.
 */
export type DaemonState = ReturnType<typeof openDaemonState>;

export function openDaemonState(path: string) {
  mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA busy_timeout = 5000");
  db.exec(`
    CREATE TABLE IF NOT EXISTS work_items (
      key TEXT PRIMARY KEY, kind TEXT NOT NULL, job_id TEXT, not_before INTEGER NOT NULL,
      status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, block TEXT NOT NULL,
      detail TEXT NOT NULL DEFAULT '', updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS work_items_due ON work_items (status, not_before);
    CREATE TABLE IF NOT EXISTS jobs (
      job_id TEXT PRIMARY KEY, client TEXT NOT NULL, provider TEXT NOT NULL, evaluator TEXT NOT NULL,
      token TEXT, status TEXT NOT NULL, updated_block TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS job_texts (
      job_id TEXT PRIMARY KEY, description TEXT, content TEXT, content_block TEXT
    );
    CREATE TABLE IF NOT EXISTS ledger (
      tx_hash TEXT NOT NULL, log_index INTEGER NOT NULL, block TEXT NOT NULL, kind TEXT NOT NULL,
      direction TEXT NOT NULL, token TEXT NOT NULL, amount TEXT NOT NULL, job_id TEXT,
      PRIMARY KEY (tx_hash, log_index)
    );
    CREATE TABLE IF NOT EXISTS actions (key TEXT PRIMARY KEY, tx_hash TEXT NOT NULL, at TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS tasks (
      id TEXT PRIMARY KEY, request TEXT NOT NULL, status TEXT NOT NULL, result TEXT,
      created_at TEXT NOT NULL, updated_at TEXT NOT NULL
    );
  `);
  const now = () => new Date().toISOString();
  const stmt = {
    enqueue: db.prepare(
      `INSERT INTO work_items (key, kind, job_id, not_before, status, block, detail, updated_at)
       VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT(key) DO NOTHING`,
    ),
    due: db.prepare(
      "SELECT * FROM work_items WHERE status = 'pending' AND not_before <= ? ORDER BY not_before, rowid LIMIT ?",
    ),
    finish: db.prepare("UPDATE work_items SET status = ?, detail = ?, updated_at = ? WHERE key = ?"),
    retry: db.prepare(
      "UPDATE work_items SET attempts = attempts + 1, not_before = ?, detail = ?, updated_at = ? WHERE key = ?",
    ),
    wait: db.prepare("UPDATE work_items SET not_before = ?, detail = ?, updated_at = ? WHERE key = ?"),
    undoItems: db.prepare("DELETE FROM work_items WHERE status = 'pending' AND CAST(block AS INTEGER) >= ?"),
    countItems: db.prepare("SELECT status, COUNT(*) AS n FROM work_items GROUP BY status"),
    upsertJob: db.prepare(
      `INSERT INTO jobs (job_id, client, provider, evaluator, token, status, updated_block) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET client = excluded.client, provider = excluded.provider,
         evaluator = excluded.evaluator, status = excluded.status, updated_block = excluded.updated_block`,
    ),
    jobToken: db.prepare("UPDATE jobs SET token = ? WHERE job_id = ?"),
    jobStatus: db.prepare("UPDATE jobs SET status = ?, updated_block = ? WHERE job_id = ?"),
    jobProvider: db.prepare("UPDATE jobs SET provider = ? WHERE job_id = ?"),
    getJob: db.prepare("SELECT * FROM jobs WHERE job_id = ?"),
    setDescription: db.prepare(
      `INSERT INTO job_texts (job_id, description) VALUES (?, ?)
       ON CONFLICT(job_id) DO UPDATE SET description = excluded.description`,
    ),
    setContent: db.prepare(
      `INSERT INTO job_texts (job_id, content, content_block) VALUES (?, ?, ?)
       ON CONFLICT(job_id) DO UPDATE SET content = excluded.content, content_block = excluded.content_block`,
    ),
    getTexts: db.prepare("SELECT description, content FROM job_texts WHERE job_id = ?"),
    undoContent: db.prepare(
      "UPDATE job_texts SET content = NULL, content_block = NULL WHERE CAST(content_block AS INTEGER) >= ?",
    ),
    myJobs: db.prepare(
      "SELECT * FROM jobs WHERE client = ? OR provider = ? OR job_id IN (SELECT job_id FROM ledger WHERE kind = 'stake') ORDER BY CAST(job_id AS INTEGER) DESC LIMIT ?",
    ),
    addLedger: db.prepare(
      `INSERT INTO ledger (tx_hash, log_index, block, kind, direction, token, amount, job_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ),
    undoLedger: db.prepare("DELETE FROM ledger WHERE CAST(block AS INTEGER) >= ?"),
    ledgerTotals: db.prepare("SELECT kind, direction, token, amount FROM ledger"),
    stakedOn: db.prepare("SELECT 1 FROM ledger WHERE kind = 'stake' AND job_id = ? LIMIT 1"),
    stakeCount: db.prepare("SELECT COUNT(*) AS n FROM ledger WHERE kind = 'stake'"),
    setAction: db.prepare(
      "INSERT INTO actions (key, tx_hash, at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET tx_hash = excluded.tx_hash, at = excluded.at",
    ),
    getAction: db.prepare("SELECT tx_hash FROM actions WHERE key = ?"),
    clearAction: db.prepare("DELETE FROM actions WHERE key = ?"),
    addTask: db.prepare(
      "INSERT INTO tasks (id, request, status, created_at, updated_at) VALUES (?, ?, 'running', ?, ?)",
    ),
    endTask: db.prepare("UPDATE tasks SET status = ?, result = ?, updated_at = ? WHERE id = ?"),
    getTask: db.prepare("SELECT * FROM tasks WHERE id = ?"),
    staleTasks: db.prepare("UPDATE tasks SET status = 'failed', result = ?, updated_at = ? WHERE status = 'running'"),
  };

  const toItem = (row: Record<string, unknown>): WorkItem => ({
    key: String(row.key),
    kind: row.kind as WorkKind,
    jobId: row.job_id === null || row.job_id === undefined ? undefined : BigInt(String(row.job_id)),
    notBefore: Number(row.not_before),
    status: row.status as WorkStatus,
    attempts: Number(row.attempts),
    block: BigInt(String(row.block)),
    detail: String(row.detail ?? ""),
  });
  const toJob = (row: Record<string, unknown>): JobRow => ({
    jobId: BigInt(String(row.job_id)),
    client: row.client as Address,
    provider: row.provider as Address,
    evaluator: row.evaluator as Address,
    token: (row.token as Address | null) ?? undefined,
    status: String(row.status),
    updatedBlock: BigInt(String(row.updated_block)),
  });

  return {
    db,
    enqueue(item: { key: string; kind: WorkKind; jobId?: bigint; notBefore?: number; block: bigint; detail?: string }) {
      stmt.enqueue.run(
        item.key,
        item.kind,
        item.jobId?.toString() ?? null,
        item.notBefore ?? 0,
        item.block.toString(),
        item.detail ?? "",
        now(),
      );
    },
    dueItems(nowSeconds: number, limit = 50): WorkItem[] {
      return stmt.due.all(nowSeconds, limit).map((row) => toItem(row as Record<string, unknown>));
    },
    finish(key: string, status: Exclude<WorkStatus, "pending">, detail = "") {
      stmt.finish.run(status, detail, now(), key);
    },
    /**
     * Looks at the item again at `notBefore`. Only a failed attempt counts toward giving up; waiting for a time on
     * chain or for the node to come back does not.
     */
    retryLater(key: string, notBefore: number, detail: string, failedAttempt = false) {
      (failedAttempt ? stmt.retry : stmt.wait).run(notBefore, detail, now(), key);
    },
    itemCounts(): Record<string, number> {
      return Object.fromEntries(stmt.countItems.all().map((row) => [String(row.status), Number(row.n)]));
    },
    upsertJob(job: Omit<JobRow, "token"> & { token?: Address }) {
      stmt.upsertJob.run(
        job.jobId.toString(),
        job.client,
        job.provider,
        job.evaluator,
        job.token ?? null,
        job.status,
        job.updatedBlock.toString(),
      );
    },
    setJobToken(jobId: bigint, token: Address) {
      stmt.jobToken.run(token, jobId.toString());
    },
    setJobStatus(jobId: bigint, status: string, block: bigint) {
      stmt.jobStatus.run(status, block.toString(), jobId.toString());
    },
    setJobProvider(jobId: bigint, provider: Address) {
      stmt.jobProvider.run(provider, jobId.toString());
    },
    setJobDescription(jobId: bigint, description: string) {
      stmt.setDescription.run(jobId.toString(), description);
    },
    /** The delivered content (the latest delivery wins, as on chain). */
    setJobContent(jobId: bigint, content: string, block: bigint) {
      stmt.setContent.run(jobId.toString(), content, block.toString());
    },
    jobTexts(jobId: bigint): StoredJobTexts {
      const row = stmt.getTexts.get(jobId.toString()) as Record<string, unknown> | undefined;
      return {
        description: typeof row?.description === "string" ? row.description : undefined,
        content: typeof row?.content === "string" ? row.content : undefined,
      };
    },
    job(jobId: bigint): JobRow | undefined {
      const row = stmt.getJob.get(jobId.toString());
      return row ? toJob(row as Record<string, unknown>) : undefined;
    },
    myJobs(address: Address, limit = 100): JobRow[] {
      return stmt.myJobs.all(address, address, limit).map((row) => toJob(row as Record<string, unknown>));
    },
    addLedger(entry: {
      txHash: Hash;
      logIndex: number;
      block: bigint;
      kind: LedgerKind;
      direction: "in" | "out";
      token: Address;
      amount: bigint;
      jobId?: bigint;
    }) {
      stmt.addLedger.run(
        entry.txHash,
        entry.logIndex,
        entry.block.toString(),
        entry.kind,
        entry.direction,
        entry.token,
        entry.amount.toString(),
        entry.jobId?.toString() ?? null,
      );
    },
    ledgerTotals(): { kind: string; direction: string; token: string; amount: bigint }[] {
      const sums = new Map<string, { kind: string; direction: string; token: string; amount: bigint }>();
      for (const row of stmt.ledgerTotals.all()) {
        const key = `${row.kind}|${row.direction}|${row.token}`;
        const entry = sums.get(key) ?? {
          kind: String(row.kind),
          direction: String(row.direction),
          token: String(row.token),
          amount: 0n,
        };
        entry.amount += BigInt(String(row.amount));
        sums.set(key, entry);
      }
      return [...sums.values()];
    },
    stakeCount(): number {
      return Number((stmt.stakeCount.get() as { n: number }).n);
    },
    hasStaked(jobId: bigint): boolean {
      return stmt.stakedOn.get(jobId.toString()) !== undefined;
    },
    /** Undo everything derived from blocks `fromBlock` and above (a reorg); done work stays done. */
    undoFrom(fromBlock: bigint) {
      stmt.undoItems.run(Number(fromBlock));
      stmt.undoLedger.run(Number(fromBlock));
      stmt.undoContent.run(Number(fromBlock));
    },
    recordAction(key: string, txHash: Hash) {
      stmt.setAction.run(key, txHash, now());
    },
    actionTx(key: string): Hash | undefined {
      const row = stmt.getAction.get(key);
      return row ? (String(row.tx_hash) as Hash) : undefined;
    },
    clearAction(key: string) {
      stmt.clearAction.run(key);
    },
    addTask(id: string, request: string) {
      stmt.addTask.run(id, request, now(), now());
    },
    endTask(id: string, status: "done" | "failed", result: string) {
      stmt.endTask.run(status, result, now(), id);
    },
    task(id: string): TaskRow | undefined {
      const row = stmt.getTask.get(id) as Record<string, unknown> | undefined;
      if (!row) return undefined;
      return {
        id: String(row.id),
        request: String(row.request),
        status: row.status as TaskRow["status"],
        result: row.result === null ? undefined : String(row.result),
        createdAt: String(row.created_at),
        updatedAt: String(row.updated_at),
      };
    },
    /** Tasks that were running when the daemon died cannot resume their model loop: mark them failed. */
    failStaleTasks() {
      stmt.staleTasks.run(JSON.stringify({ error: "the daemon restarted while this task ran" }), now());
    },
    close() {
      db.close();
    },
  };
}
