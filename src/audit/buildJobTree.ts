import type { Address } from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import { streamLogs } from "../chain/logs/readLogs.js";
import type { Logger } from "../log/createLogger.js";
import { newJobRow, type JobRow } from "./AuditReport.js";
import { pickEvents, uintTopic, type AuditLog } from "./auditEvents.js";
import type { AuditRpc } from "./auditRpc.js";
import { mergeLogStreams } from "./mergeLogStreams.js";
import { readJobFacts } from "./readJobFacts.js";

export type BuildJobTreeParameters = {
  rpc: AuditRpc;
  agent: Address;
  addresses: GuildAddresses;
  jobs: Map<bigint, JobRow>;
  fromBlock: bigint;
  toBlock: bigint;
  /** Levels of sub-jobs to follow below the agent's jobs. Default 8. */
  maxDepth?: number;
  chunkSize?: number;
  logger?: Logger;
};

/**
 * Links the agent's jobs into delegation trees: a job, the sub-jobs its provider hired for it
 * (`JobDetails.parentJobId`), and theirs, level by level. Sub-jobs the agent hired itself are among its
 * jobs already; those its providers hired are read with a topic filter on the parent id, then their terms
 * and outcome. Returns the roots: jobs whose parent is not in the tree.
 *
 * @example
 * const roots = await buildJobTree({ rpc, agent, addresses, jobs, fromBlock, toBlock });
 */
export async function buildJobTree({
  rpc,
  agent,
  addresses,
  jobs,
  fromBlock,
  toBlock,
  maxDepth = 8,
  chunkSize = 500,
  logger,
}: BuildJobTreeParameters): Promise<bigint[]> {
  const me = agent.toLowerCase();
  const event = pickEvents(["JobDetails"]);
  // Jobs the agent hired someone else for may have sub-jobs the agent never saw.
  let parents = [...jobs.values()].filter(
    (row) => row.roles.includes("client") && row.provider !== undefined && row.provider.toLowerCase() !== me,
  );
  for (let depth = 0; depth < maxDepth && parents.length > 0; depth++) {
    const found: JobRow[] = [];
    const sorted = parents.sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
    const streams = [];
    for (let index = 0; index < sorted.length; index += chunkSize) {
      const chunk = sorted.slice(index, index + chunkSize);
      const blocks = chunk.map((row) => row.createdBlock).filter((block): block is bigint => block !== undefined);
      const start =
        blocks.length === chunk.length && blocks.length > 0
          ? blocks.reduce((min, block) => (block < min ? block : min))
          : fromBlock;
      // Only the provider of a live job may hire for it: nothing links to a job after it was settled.
      const ends = chunk.map((row) => row.settledBlock);
      const end = ends.every((block): block is bigint => block !== undefined)
        ? ends.reduce((max, block) => (block > max ? block : max), start)
        : toBlock;
      streams.push(
        streamLogs(rpc.client, {
          address: addresses.escrow,
          events: event,
          topics: [null, chunk.map((row) => uintTopic(row.jobId))],
          fromBlock: start,
          toBlock: end,
          ...(logger ? { logger } : {}),
        }),
      );
    }
    for (let index = 0; index < streams.length; index += 4) {
      for await (const batch of mergeLogStreams(streams.slice(index, index + 4))) {
        for (const log of batch as unknown as AuditLog[]) {
          if (log.eventName !== "JobDetails") continue;
          const { jobId, parentJobId, token, description } = log.args;
          const known = jobs.get(jobId);
          if (known) {
            known.parentJobId = parentJobId;
            continue;
          }
          const row = newJobRow(jobId, { parentJobId, token, description, createdBlock: log.blockNumber });
          jobs.set(jobId, row);
          found.push(row);
        }
      }
    }
    if (found.length === 0) break;
    await readJobFacts({
      rpc,
      agent,
      addresses,
      jobIds: found.map((row) => row.jobId),
      jobs,
      stakes: new Map(),
      fromBlock,
      toBlock,
      ...(logger ? { logger } : {}),
    });
    parents = found.filter((row) => row.provider !== undefined && row.provider.toLowerCase() !== me);
  }
  return linkJobTree(jobs);
}

/**
 * Links job rows into trees by `parentJobId` (children in id order) and returns the roots: jobs whose
 * parent is not among the rows.
 *
 * @example
 * const roots = linkJobTree(jobs);
 */
export function linkJobTree(jobs: Map<bigint, JobRow>): bigint[] {
  for (const row of jobs.values()) row.children = [];
  const roots: bigint[] = [];
  for (const row of [...jobs.values()].sort((a, b) => (a.jobId < b.jobId ? -1 : 1))) {
    const parent = row.parentJobId === 0n ? undefined : jobs.get(row.parentJobId);
    if (parent && parent !== row) parent.children.push(row.jobId);
    else roots.push(row.jobId);
  }
  return roots;
}
