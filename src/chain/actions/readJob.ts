import { isAddressEqual, zeroAddress, type Address } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import { statusName } from "../contractErrorMessages.js";
import type { GuildReader } from "../GuildClient.js";
import { toGuildError } from "../tx/toGuildError.js";

export type JobStatusName = "Open" | "Funded" | "Submitted" | "Completed" | "Rejected" | "Expired";
export type VerdictName = "None" | "Pass" | "Fail" | "Void";
const VERDICTS: VerdictName[] = ["None", "Pass", "Fail", "Void"];

export type CheckState = {
  /** Seconds from delivery to the close: the window, until a change of lead moves it. */
  closeOffsetSeconds: bigint;
  /** Seconds the outbid side has to answer a change of lead. */
  responsePeriodSeconds: bigint;
  /** Changes of lead allowed, and made so far. */
  maxFlips: bigint;
  flips: bigint;
  /** The side that wins if the check closed now. */
  leader: "pass" | "fail";
  minStake: bigint;
  bond: bigint;
  /** Pass and fail totals before settlement; what remains to be claimed after (see StakedEvaluator). */
  passTotal: bigint;
  failTotal: bigint;
  verdict: VerdictName;
  /** When staking closes; undefined before delivery. */
  closesAt: bigint | undefined;
  /** The latest the close can move to (every flip left used); undefined before delivery. */
  latestClose: bigint | undefined;
  /** The arbiter of an escalated check, when the terms name one. */
  arbitration:
    | {
        arbiter: Address;
        /** Both sides' stakes needed before a staker may escalate. */
        escalationThreshold: bigint;
        arbitrationPeriodSeconds: bigint;
        escalated: boolean;
        /** When the arbiter's time to rule ends (0 until escalated). */
        rulingDeadline: bigint;
      }
    | undefined;
};

export type JobState = {
  jobId: bigint;
  client: Address;
  provider: Address;
  evaluator: Address;
  token: Address;
  budget: bigint;
  expiredAt: bigint;
  submittedAt: bigint;
  evaluationPeriod: bigint;
  parentJobId: bigint;
  status: JobStatusName;
  /** When a refund becomes possible (Funded: the deadline; Submitted: after the evaluation period). */
  refundableAt: bigint;
  /** The staked check, when the job is judged by Guild's StakedEvaluator. */
  check: CheckState | undefined;
};

/**
 * Reads a job and, when the staked evaluator judges it, its check. A job id that does not exist throws
 * a ContractRevertedError with `errorName` "EscrowJobNotFound".
 *
 * @example
 * const job = await readJob(reader, { jobId: 7n });
 * if (job.status === "Submitted") ...
 */
export async function readJob(reader: GuildReader, { jobId }: { jobId: bigint }): Promise<JobState> {
  const client = reader.connection.publicClient;
  const { escrow, evaluator } = reader.addresses;
  const job = await client
    .readContract({ address: escrow, abi: jobEscrowAbi, functionName: "getJob", args: [jobId] })
    .catch((error: unknown) => {
      throw toGuildError(error, {
        contract: "JobEscrow",
        functionName: "getJob",
        account: escrow,
        label: `Reading job ${jobId}`,
      });
    });
  const status = statusName(job.status) as JobStatusName;
  const refundableAt =
    status === "Submitted" && job.submittedAt + job.evaluationPeriod > job.expiredAt
      ? job.submittedAt + job.evaluationPeriod
      : job.expiredAt;
  let check: CheckState | undefined;
  if (isAddressEqual(job.evaluator, evaluator)) {
    const view = await client.readContract({
      address: evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "getCheck",
      args: [jobId],
    });
    check = {
      closeOffsetSeconds: view.closeOffset,
      responsePeriodSeconds: view.responsePeriod,
      maxFlips: view.maxFlips,
      flips: view.flips,
      leader: view.passLeads ? "pass" : "fail",
      minStake: view.minStake,
      bond: view.bond,
      passTotal: view.passTotal,
      failTotal: view.failTotal,
      verdict: VERDICTS[view.verdict] ?? "None",
      closesAt: job.submittedAt === 0n ? undefined : view.closesAt,
      latestClose: job.submittedAt === 0n ? undefined : view.latestClose,
      arbitration:
        view.arbiter === zeroAddress
          ? undefined
          : {
              arbiter: view.arbiter,
              escalationThreshold: view.escalationThreshold,
              arbitrationPeriodSeconds: view.arbitrationPeriod,
              escalated: view.escalated,
              rulingDeadline: view.rulingDeadline,
            },
    };
  }
  return {
    jobId,
    client: job.client,
    provider: job.provider,
    evaluator: job.evaluator,
    token: job.token,
    budget: job.budget,
    expiredAt: job.expiredAt,
    submittedAt: job.submittedAt,
    evaluationPeriod: job.evaluationPeriod,
    parentJobId: job.parentJobId,
    status,
    refundableAt,
    check,
  };
}
