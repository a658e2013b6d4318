import { getAddress, isAddressEqual, type Address } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { readLogs } from "../logs/readLogs.js";
import type { GuildReader } from "../GuildClient.js";
import type { JobStatusName } from "../actions/readJob.js";

export type JobSummary = {
  jobId: bigint;
  client: Address;
  provider: Address;
  evaluator: Address;
  token: Address;
  budget: bigint;
  status: JobStatusName;
  parentJobId: bigint;
  description: string;
  createdBlock: bigint;
};

/**
 * Every job from the escrow's events, folded into its latest state; optionally only those where `party`
 * is the client or the provider. Newest first, at most `limit`.
 *
 * @example
 * const recent = await listJobs(reader, { party: alice, limit: 20 });
 */
export async function listJobs(
  reader: GuildReader,
  { party, limit = 50 }: { party?: Address; limit?: number } = {},
): Promise<JobSummary[]> {
  const logs = await readLogs(reader.connection.publicClient, {
    address: reader.addresses.escrow,
    events: jobEscrowAbi,
    fromBlock: reader.fromBlock,
    logger: reader.logger,
  });
  const jobs = new Map<bigint, JobSummary>();
  const set = (jobId: bigint, status: JobStatusName) => {
    const job = jobs.get(jobId);
    if (job) job.status = status;
  };
  for (const log of logs) {
    switch (log.eventName) {
      case "JobCreated":
        jobs.set(log.args.jobId, {
          jobId: log.args.jobId,
          client: getAddress(log.args.client),
          provider: getAddress(log.args.provider),
          evaluator: getAddress(log.args.evaluator),
          token: "0x0000000000000000000000000000000000000000",
          budget: 0n,
          status: "Open",
          parentJobId: 0n,
          description: "",
          createdBlock: log.blockNumber,
        });
        break;
      case "JobDetails": {
        const job = jobs.get(log.args.jobId);
        if (job)
          Object.assign(job, {
            token: getAddress(log.args.token),
            parentJobId: log.args.parentJobId,
            description: log.args.description,
          });
        break;
      }
      case "ProviderSet": {
        const job = jobs.get(log.args.jobId);
        if (job) job.provider = getAddress(log.args.provider);
        break;
      }
      case "BudgetSet": {
        const job = jobs.get(log.args.jobId);
        if (job) job.budget = log.args.amount;
        break;
      }
      case "JobFunded":
        set(log.args.jobId, "Funded");
        break;
      case "JobSubmitted":
        set(log.args.jobId, "Submitted");
        break;
      case "JobCompleted":
        set(log.args.jobId, "Completed");
        break;
      case "JobRejected":
        set(log.args.jobId, "Rejected");
        break;
      case "JobExpired":
        set(log.args.jobId, "Expired");
        break;
      default:
        break;
    }
  }
  return [...jobs.values()]
    .filter((job) => !party || isAddressEqual(job.client, party) || isAddressEqual(job.provider, party))
    .sort((a, b) => (a.jobId > b.jobId ? -1 : 1))
    .slice(0, limit);
}
