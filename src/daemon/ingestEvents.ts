import { getAddress, isAddressEqual, type Abi, type Address } from "viem";
import type { DecodedLog } from "../chain/logs/readLogs.js";
import type { LogBatch } from "../chain/logs/followLogs.js";
import { jobEscrowAbi } from "../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import type { DaemonState } from "./daemonState.js";

/** The events a daemon follows: every escrow and evaluator event. */
export const DAEMON_EVENTS = [...jobEscrowAbi, ...stakedEvaluatorAbi].filter((item) => item.type === "event") as Abi;

export type DaemonRole = "worker" | "checker" | "client";

export type IngestContext = {
  me: Address;
  roles: ReadonlySet<DaemonRole>;
  evaluator: Address;
  state: DaemonState;
};

/**
 * Turns a batch of chain events into the daemon's durable state, inside the follower's commit (so the
 * rows and the cursor are saved together): the jobs table and their texts, this agent's money ledger, and the work
 * queue (deliver, check, claim, settle, refund, withdraw). Synchronous: nothing else runs meanwhile.
 */
export function ingestEvents(batch: LogBatch, { me, roles, evaluator, state }: IngestContext): void {
  for (const log of batch.logs as DecodedLog<typeof jobEscrowAbi | typeof stakedEvaluatorAbi>[]) {
    const block = log.blockNumber;
    const ledger = (
      kind: Parameters<DaemonState["addLedger"]>[0]["kind"],
      direction: "in" | "out",
      token: Address,
      amount: bigint,
      jobId?: bigint,
    ) =>
      state.addLedger({
        txHash: log.transactionHash,
        logIndex: log.logIndex,
        block,
        kind,
        direction,
        token: getAddress(token),
        amount,
        ...(jobId === undefined ? {} : { jobId }),
      });
    const args = log.args as Record<string, unknown>;
    if (log.eventName === "PayoutCredited") {
      if (isAddressEqual(args.account as Address, me)) {
        const token = getAddress(args.token as Address);
        state.enqueue({ key: `withdraw:${token}:${log.transactionHash}`, kind: "withdraw", block, detail: token });
      }
      continue;
    }
    // Every other event the daemon acts on names a job.
    const jobId = args.jobId as bigint | undefined;
    if (jobId === undefined) continue;
    const job = state.job(jobId);
    switch (log.eventName) {
      case "JobCreated":
        state.upsertJob({
          jobId: jobId,
          client: getAddress(args.client as Address),
          provider: getAddress(args.provider as Address),
          evaluator: getAddress(args.evaluator as Address),
          status: "Open",
          updatedBlock: block,
        });
        break;
      case "JobDetails":
        state.setJobToken(jobId, getAddress(args.token as Address));
        state.setJobDescription(jobId, args.description as string);
        break;
      case "DeliverablePublished":
        state.setJobContent(jobId, args.content as string, block);
        break;
      case "ProviderSet":
        state.setJobProvider(jobId, getAddress(args.provider as Address));
        break;
      case "JobFunded": {
        state.setJobStatus(jobId, "Funded", block);
        if (!job) break;
        if (roles.has("worker") && isAddressEqual(job.provider, me)) {
          state.enqueue({ key: `work:${jobId}`, kind: "work", jobId: jobId, block });
        }
        if (isAddressEqual(job.client, me)) {
          ledger("hire", "out", args.token as Address, args.amount as bigint, jobId);
          // Ask again at the deadline: if nobody delivered, the client takes its money back.
          state.enqueue({ key: `refund:${jobId}`, kind: "refund", jobId: jobId, block });
        }
        break;
      }
      case "JobSubmitted": {
        state.setJobStatus(jobId, "Submitted", block);
        if (!job || !isAddressEqual(job.evaluator, evaluator)) break;
        const party = isAddressEqual(job.client, me) || isAddressEqual(job.provider, me);
        if (roles.has("checker") && !party)
          state.enqueue({ key: `check:${jobId}`, kind: "check", jobId: jobId, block });
        // The parties settle what they are owed (the provider its pay, the client its refund); stakers below.
        if (party) state.enqueue({ key: `settle:${jobId}`, kind: "settle", jobId: jobId, block });
        break;
      }
      case "JobCompleted":
        state.setJobStatus(jobId, "Completed", block);
        break;
      case "JobRejected":
        state.setJobStatus(jobId, "Rejected", block);
        break;
      case "JobExpired":
        state.setJobStatus(jobId, "Expired", block);
        // Refunded before anyone settled: a staker voids the check to get its stake back.
        if (state.hasStaked(jobId))
          state.enqueue({ key: `settle:${jobId}:expired`, kind: "settle", jobId: jobId, block });
        break;
      case "PaymentReleased":
        if (isAddressEqual(args.provider as Address, me))
          ledger("payout", "in", args.token as Address, args.amount as bigint, jobId);
        break;
      case "Refunded":
        if (isAddressEqual(args.client as Address, me))
          ledger("refund", "in", args.token as Address, args.amount as bigint, jobId);
        break;
      case "Staked":
        if (isAddressEqual(args.staker as Address, me)) {
          ledger("stake", "out", args.token as Address, args.amount as bigint, jobId);
          // A staker settles its winning side itself (the same item as a party's).
          state.enqueue({ key: `settle:${jobId}`, kind: "settle", jobId: jobId, block });
        }
        break;
      case "LeadChanged":
        // A checker holding a stake looks at once: an outbid side has one response period to answer.
        if (roles.has("checker") && job && !isAddressEqual(job.provider, me) && state.hasStaked(jobId))
          state.enqueue({ key: `check:${jobId}:lead:${args.flips}`, kind: "check", jobId, block });
        break;
      case "CheckSettled":
      case "CheckVoided":
        if (state.hasStaked(jobId)) state.enqueue({ key: `claim:${jobId}`, kind: "claim", jobId, block });
        break;
      case "StakeClaimed":
        if (isAddressEqual(args.staker as Address, me))
          ledger("claim", "in", args.token as Address, args.amount as bigint, jobId);
        break;
      default:
        break;
    }
  }
}
