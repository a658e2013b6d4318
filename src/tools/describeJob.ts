import { formatAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import type { JobState, JobStatusName, VerdictName } from "../chain/actions/readJob.js";
import type { GuildReader } from "../chain/GuildClient.js";

/** The data fields every job-related tool returns, amounts in token units, ids as decimal strings. */
export type JobFields = {
  jobId: string;
  status: JobStatusName;
  client: string;
  provider: string;
  budget: string;
  token: string;
  parentJobId?: string;
  check?: {
    verdict: VerdictName;
    bond: string;
    passTotal: string;
    failTotal: string;
    closesAt: string | undefined;
  };
};

/** The data fields every job-related tool returns, amounts in token units. */
export async function jobFields(reader: GuildReader, job: JobState): Promise<JobFields> {
  const token = await getTokenInfo(reader, job.token);
  return {
    jobId: job.jobId.toString(),
    status: job.status,
    client: job.client,
    provider: job.provider,
    budget: formatAmount(job.budget, token.decimals),
    token: token.symbol,
    ...(job.parentJobId ? { parentJobId: job.parentJobId.toString() } : {}),
    ...(job.check
      ? {
          check: {
            verdict: job.check.verdict,
            bond: formatAmount(job.check.bond, token.decimals),
            passTotal: formatAmount(job.check.passTotal, token.decimals),
            failTotal: formatAmount(job.check.failTotal, token.decimals),
            closesAt:
              job.check.closesAt === undefined ? undefined : new Date(Number(job.check.closesAt) * 1000).toISOString(),
          },
        }
      : {}),
  };
}

/** "Job 12 (word-count for 0.002 ETH) is Submitted; provider 0x.., client 0x..." */
export async function jobSentence(reader: GuildReader, job: JobState): Promise<string> {
  const token = await getTokenInfo(reader, job.token);
  return `Job ${job.jobId} is ${job.status}: budget ${formatAmount(job.budget, token.decimals, token.symbol)}, client ${job.client}, provider ${job.provider}.`;
}
