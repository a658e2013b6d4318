import type { Address } from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import { streamLogs } from "../chain/logs/readLogs.js";
import type { Logger } from "../log/createLogger.js";
import type { JobRow, StakeRow } from "./AuditReport.js";
import { pickEvents, uintTopic, type AuditLog } from "./auditEvents.js";
import { mapLimit, type AuditRpc } from "./auditRpc.js";

export type ReadJobFactsParameters = {
  rpc: AuditRpc;
  agent: Address;
  addresses: GuildAddresses;
  jobIds: bigint[];
  jobs: Map<bigint, JobRow>;
  stakes: Map<bigint, StakeRow>;
  /** Where the contracts' history starts, and the end of the audited range. */
  fromBlock: bigint;
  toBlock: bigint;
  /** Job ids per request (a topic filter with that many alternatives). Default 500. */
  chunkSize?: number;
  /**
   * Which events: `terms` (creation, terms, funding, outcome, check verdicts; the default), `outcome` (payout,
   * refund and check verdicts), or `payout` (payout and refund only, for jobs the agent did not stake on).
   */
  read?: "terms" | "outcome" | "payout";
  /** Called with every log read, e.g. to take its transaction as one the agent may have sent. */
  onLog?: (log: AuditLog) => void;
  /** Largest block range per page. Default 10,000; a chunk whose jobs' creation blocks are known gets less. */
  pageSize?: number;
  logger?: Logger;
  onProgress?: (done: number, total: number) => void;
};

/**
 * Fills in what the agent's own events do not say about its jobs: the other party's side (a provider's
 * job funded by someone else, a client's job paid to its provider), the terms (parent, token, budget,
 * description), and how the checks it staked on were decided. Reads the escrow's and the evaluator's
 * events filtered by job id, a chunk of ids per request, each from the chunk's first creation block.
 * Adds no flow: money the agent moved is already counted from its own events.
 *
 * @example
 * await readJobFacts({ rpc, agent, addresses, jobIds: [...jobs.keys()], jobs, stakes, fromBlock, toBlock });
 */
export async function readJobFacts({
  rpc,
  agent,
  addresses,
  jobIds,
  jobs,
  stakes,
  fromBlock,
  toBlock,
  chunkSize = 500,
  read = "terms",
  onLog,
  pageSize,
  logger,
  onProgress,
}: ReadJobFactsParameters): Promise<number> {
  const me = agent.toLowerCase();
  const sorted = [...new Set(jobIds)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const events = pickEvents(
    read === "payout"
      ? ["PaymentReleased", "Refunded"]
      : read === "outcome"
        ? ["PaymentReleased", "Refunded", "CheckSettled", "CheckVoided"]
        : ["JobCreated", "JobDetails", "JobFunded", "PaymentReleased", "Refunded", "CheckSettled", "CheckVoided"],
  );
  let logs = 0;
  const chunks: bigint[][] = [];
  for (let index = 0; index < sorted.length; index += chunkSize) chunks.push(sorted.slice(index, index + chunkSize));
  let chunkDone = 0;
  let pages = 0;
  let blocks = 0n;
  // Chunks hold disjoint jobs, so each is read on its own, in chain order, a few at a time; a chunk stops
  // as soon as all its jobs are known, which on a busy chain is long before the end of the range.
  const createdNoEarlierThan = creationBound(jobs, fromBlock);
  await mapLimit(chunks, 4, async (ids) => {
    const start = createdNoEarlierThan(ids[0] as bigint);
    const pending = new Set(ids.filter((id) => !settled(jobs.get(id), stakes.get(id))));
    if (pending.size === 0) return;
    const stream = streamLogs(rpc.client, {
      address: [addresses.escrow, addresses.evaluator],
      events,
      topics: [ids.map(uintTopic)],
      fromBlock: start,
      toBlock,
      pageSize: chunkPageSize(ids, jobs, pageSize),
      ...(logger ? { logger } : {}),
    });
    for await (const page of stream) {
      pages++;
      blocks += page.toBlock - page.fromBlock + 1n;
      for (const log of page.logs as unknown as AuditLog[]) {
        logs++;
        applyJobFact(log, jobs, stakes, me);
        onLog?.(log);
        const jobId = "jobId" in log.args ? (log.args.jobId as bigint) : undefined;
        if (jobId !== undefined && pending.has(jobId) && settled(jobs.get(jobId), stakes.get(jobId)))
          pending.delete(jobId);
      }
      if (pending.size === 0) break;
    }
    onProgress?.(++chunkDone, chunks.length);
  });
  logger?.debug(
    { read, jobs: sorted.length, chunks: chunks.length, pages, blocks: blocks.toString(), logs },
    "job facts read",
  );
  return logs;
}

/**
 * Blocks per page for a chunk of job ids. A page holds at most a few events per job of the chunk, so the
 * range does not bound memory; it bounds what the node scans. Jobs created over a known stretch of blocks are
 * mostly settled soon after: a first page twice that stretch long usually finds every fact, and the node
 * scans no more (a 1,000-block page cost it six times a 150-block one for the same 500 ids).
 */
function chunkPageSize(ids: bigint[], jobs: Map<bigint, JobRow>, pageSize = 10_000): number {
  const created = ids.map((id) => jobs.get(id)?.createdBlock);
  if (created.some((block) => block === undefined)) return pageSize;
  const blocks = created as bigint[];
  const span =
    blocks.reduce((max, block) => (block > max ? block : max)) -
    blocks.reduce((min, block) => (block < min ? block : min));
  return Math.max(16, Math.min(pageSize, 2 * (Number(span) + 1)));
}

/**
 * The first block a job can have been created in, from the jobs whose creation is known: ids grow with
 * creation, so a job was created no earlier than any job with a smaller (or equal) id. A job the audit met
 * only by a later event (a stake, a claim) thus need not be looked for from the contracts' deployment.
 */
function creationBound(jobs: Map<bigint, JobRow>, fromBlock: bigint): (jobId: bigint) => bigint {
  const known = [...jobs.values()]
    .filter((row): row is JobRow & { createdBlock: bigint } => row.createdBlock !== undefined)
    .sort((a, b) => (a.jobId < b.jobId ? -1 : a.jobId > b.jobId ? 1 : 0));
  // The highest creation block up to each id (ids and blocks rise together; the maximum keeps it safe).
  const bounds: bigint[] = [];
  for (const row of known) {
    const previous = bounds[bounds.length - 1];
    bounds.push(previous !== undefined && previous > row.createdBlock ? previous : row.createdBlock);
  }
  return (jobId) => {
    let low = 0;
    let high = known.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((known[mid] as JobRow).jobId <= jobId) low = mid + 1;
      else high = mid;
    }
    const bound = low > 0 ? (bounds[low - 1] as bigint) : fromBlock;
    return bound > fromBlock ? bound : fromBlock;
  };
}

/** Nothing more to learn about a job: its terms, a final outcome, and no open stake of the agent. */
function settled(row: JobRow | undefined, stake: StakeRow | undefined): boolean {
  if (!row) return true;
  const terms =
    row.client !== undefined && row.provider !== undefined && row.budget !== undefined && row.token !== undefined;
  return (
    terms && (row.outcome === "paid" || row.outcome === "refunded") && (stake === undefined || stake.outcome !== "open")
  );
}

/**
 * Applies one escrow or evaluator event to the job rows and stake positions it concerns: parties, terms,
 * outcome, check verdicts. Adds no flow. `me` is the agent's lower-case address.
 */
export function applyJobFact(
  log: AuditLog,
  jobs: Map<bigint, JobRow>,
  stakes: Map<bigint, StakeRow>,
  me: string,
): void {
  switch (log.eventName) {
    case "JobCreated": {
      const row = jobs.get(log.args.jobId);
      if (!row) return;
      row.client ??= log.args.client;
      row.provider ??= log.args.provider;
      row.evaluator ??= log.args.evaluator;
      row.createdBlock ??= log.blockNumber;
      if (row.outcome === "unknown") row.outcome = "open";
      const stake = stakes.get(log.args.jobId);
      if (stake && log.args.provider.toLowerCase() === me) stake.bond = true;
      return;
    }
    case "JobDetails": {
      const row = jobs.get(log.args.jobId);
      if (!row) return;
      row.parentJobId = log.args.parentJobId;
      row.token ??= log.args.token;
      row.description ??= log.args.description;
      return;
    }
    case "JobFunded": {
      const row = jobs.get(log.args.jobId);
      if (!row) return;
      row.budget ??= log.args.amount;
      row.token ??= log.args.token;
      if (row.outcome === "unknown" || row.outcome === "open") row.outcome = "funded";
      return;
    }
    case "PaymentReleased":
    case "Refunded": {
      const row = jobs.get(log.args.jobId);
      if (!row) return;
      row.budget ??= log.args.amount;
      row.outcome = log.eventName === "PaymentReleased" ? "paid" : "refunded";
      row.settledBlock ??= log.blockNumber;
      return;
    }
    case "CheckSettled":
    case "CheckVoided": {
      const stake = stakes.get(log.args.jobId);
      if (stake?.outcome !== "open") return;
      if (log.eventName === "CheckVoided") {
        stake.outcome = "unclaimed-void";
        return;
      }
      if (stake.pass === log.args.passed) stake.outcome = "unclaimed-won";
      else {
        // A losing stake is lost at settlement, claimed or not.
        stake.outcome = "lost";
        stake.lost = stake.amount;
        const row = jobs.get(log.args.jobId);
        if (row) row.lost += stake.amount;
      }
      return;
    }
    default:
      return;
  }
}
