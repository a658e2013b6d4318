import { AsyncLocalStorage } from "node:async_hooks";
import {
  isAddressEqual,
  TransactionNotFoundError,
  TransactionReceiptNotFoundError,
  zeroAddress,
  type Address,
  type Hash,
} from "viem";
import { claimRefund } from "../chain/actions/claimRefund.js";
import { claimStake } from "../chain/actions/claimStake.js";
import { declineJob } from "../chain/actions/declineJob.js";
import { deliverJob } from "../chain/actions/deliverJob.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob, type JobState } from "../chain/actions/readJob.js";
import { settleCheck } from "../chain/actions/settleCheck.js";
import { stakeOnCheck } from "../chain/actions/stakeOnCheck.js";
import { withdrawCredits } from "../chain/actions/withdrawCredits.js";
import type { GuildClient } from "../chain/GuildClient.js";
import { pollUntil } from "../chain/pollUntil.js";
import { readJobTexts, type JobTexts } from "../chain/reads/readJobTexts.js";
import { readStake, type StakePosition } from "../chain/reads/readStake.js";
import { GuildError } from "../errors/GuildError.js";
import { ContractRevertedError } from "../errors/transaction.js";
import type { SpendingGuard } from "../guard/createSpendingGuard.js";
import { workLoopTask, type TaskContext } from "../guard/TaskContext.js";
import type { Logger } from "../log/createLogger.js";
import { decodeJobSpec, type JobSpec } from "../skills/jobSpec.js";
import { produceDelivery } from "../skills/produceDelivery.js";
import type { Skill } from "../skills/Skill.js";
import type { Verdict } from "../skills/verifyDelivery.js";
import { acceptTerms, DEV_ACCEPTANCE, PUBLIC_ACCEPTANCE, type AcceptancePolicy } from "./acceptTerms.js";
import { checkJob } from "./checkJob.js";
import type { DaemonState, WorkItem } from "./daemonState.js";
import type { DaemonRole } from "./ingestEvents.js";

/** What the work loop needs to act for one agent. */
export type WorkContext = {
  client: GuildClient;
  guard: SpendingGuard;
  /**
   * The work loop's task context: no per-task budget (the policy's caps apply), its own verdicts back its
   * stakes, approvals go to the daemon's API. Default: one whose approver refuses.
   */
  task?: TaskContext;
  state: DaemonState;
  roles: ReadonlySet<DaemonRole>;
  /** Skills this agent can check (checker): the real implementations. */
  skills: ReadonlyMap<string, Skill>;
  /**
   * What this agent sells (worker), with the implementations it delivers with: the same as `skills`, except for the
   * demo's cheating worker (src/skills/demo/wrongResults.ts).
   */
  offering: { skills: ReadonlyMap<string, Skill>; price: bigint; priceToken: Address };
  /** Stake per check and its ceiling, in basis points of the budget; the least confidence to stake on. */
  checker: { stakeBps: bigint; maxStakeBps: bigint; minConfidence: number };
  /**
   * The terms this agent takes jobs and stakes on checks under (src/daemon/acceptTerms.ts). Default: the chain's
   * defaults ({@link DEV_ACCEPTANCE} on dev chains, {@link PUBLIC_ACCEPTANCE} elsewhere).
   */
  acceptance?: AcceptancePolicy;
  /**
   * Tests only (none in production): awaited just before each action that sends a transaction, with the action's
   * key ("deliver:7", "stake:7", "claim:7", ...), so an end-to-end test can hold a daemon there and kill it.
   */
  beforeAction?: (action: string) => Promise<void>;
  /** An LLM judge for skills that cannot be re-computed; none offline. */
  judge: ((spec: JobSpec, content: string) => Promise<Verdict & { confidence?: number }>) | undefined;
  logger: Logger;
};

export type WorkOutcome =
  | { status: "done" | "skipped"; detail: string }
  | { status: "retry"; at: number; detail: string };

/** The work item an in-flight transaction belongs to, so its hash is recorded before it is mined. */
export const currentAction = new AsyncLocalStorage<string>();

/**
 * Does one item of the daemon's work queue, always from the chain's current state (so an item done
 * before a crash is recognised, and nothing is delivered, staked or paid twice).
 */
export async function processWorkItem(item: WorkItem, ctx: WorkContext, nowSeconds: number): Promise<WorkOutcome> {
  if (item.kind === "withdraw") return withdraw(item.detail as Address, ctx);
  const { jobId } = item;
  if (jobId === undefined) throw new Error(`Work item ${item.key} (${item.kind}) names no job.`);
  switch (item.kind) {
    case "work":
      return work(jobId, ctx, nowSeconds);
    case "check":
      return checkJob(jobId, ctx, nowSeconds, item.key);
    case "claim":
      return claim(jobId, ctx);
    case "settle":
      return settle(jobId, ctx, nowSeconds);
    case "refund":
      return refund(jobId, ctx, nowSeconds);
  }
}

/**
 * Runs `send` unless a transaction for `key` is already in flight (then waits for it instead). One the node no
 * longer knows (dropped, never arrived) changed nothing on chain, so it is sent again.
 */
export async function once(
  key: string,
  ctx: WorkContext,
  send: () => Promise<unknown>,
): Promise<"sent" | "in-flight-mined" | "resent"> {
  const previous = ctx.state.actionTx(key);
  if (previous) {
    if ((await awaitPrevious(previous, ctx)) === "mined") return "in-flight-mined";
    ctx.state.clearAction(key);
    ctx.logger.warn(
      { action: key, txHash: previous },
      "the node does not know the transaction sent for this action; sending it again",
    );
  }
  await ctx.beforeAction?.(key);
  await currentAction.run(key, send);
  return previous ? "resent" : "sent";
}

/**
 * Waits for a recorded transaction. Only the node's own "not found" counts as dropped: a node that does not answer
 * throws (the item is retried later), so a transaction that may have been mined is never sent twice.
 */
async function awaitPrevious(hash: Hash, ctx: WorkContext): Promise<"mined" | "dropped"> {
  const client = ctx.client.connection.publicClient;
  const { value } = await pollUntil(
    async (): Promise<"mined" | "dropped" | "pending"> => {
      const receipt = await client.getTransactionReceipt({ hash }).catch((error: unknown) => {
        if (error instanceof TransactionReceiptNotFoundError) return undefined;
        throw error;
      });
      if (receipt) return "mined";
      return client.getTransaction({ hash }).then(
        () => "pending",
        (error: unknown) => {
          if (error instanceof TransactionNotFoundError) return "dropped";
          throw error;
        },
      );
    },
    (state) => state !== "pending",
    { intervalMs: 1_000, timeoutMs: 120_000 },
  );
  if (value !== "pending") return value;
  throw new GuildError(`Transaction ${hash} is still pending after two minutes; the daemon will look again later.`);
}

export function myPosition(ctx: WorkContext, jobId: bigint): Promise<StakePosition> {
  return readStake(ctx.client, { jobId, staker: ctx.client.account.address });
}

/**
 * A job's texts as the daemon ingested them; read from the chain's logs only when the daemon has not seen them (its
 * follower lags behind the item, or the state predates the texts table).
 */
export async function jobTexts(ctx: WorkContext, jobId: bigint, need: "description" | "both"): Promise<JobTexts> {
  const stored = ctx.state.jobTexts(jobId);
  if (stored.description !== undefined && (need === "description" || stored.content !== undefined)) return stored;
  return readJobTexts(ctx.client, { jobId });
}

async function work(jobId: bigint, ctx: WorkContext, nowSeconds: number): Promise<WorkOutcome> {
  const log = ctx.logger.child({ role: "worker", jobId: jobId.toString() });
  const job = await readJob(ctx.client, { jobId });
  if (!isAddressEqual(job.provider, ctx.client.account.address)) return { status: "skipped", detail: "not our job" };
  if (job.status === "Submitted") return postBond(job, ctx, log);
  if (job.status !== "Funded") return { status: "skipped", detail: `job is ${job.status}` };
  // Terms first: out-of-policy jobs are declined before any work is done or shown.
  const terms = acceptTerms({
    job,
    policy: acceptancePolicy(ctx),
    role: "worker",
    stakedEvaluator: ctx.client.addresses.evaluator,
    nowSeconds,
  });
  if (!terms.accepted) return decline(jobId, terms.reason, ctx, log, { term: terms.term });

  const { description } = await jobTexts(ctx, jobId, "description");
  const spec = description === undefined ? undefined : decodeJobSpec(description);
  const skill = spec && ctx.offering.skills.get(spec.skill);
  const refusal = !spec
    ? "its description is not a Guild job spec"
    : !skill
      ? `this agent does not sell ${spec.skill}`
      : !isAddressEqual(job.token, ctx.offering.priceToken)
        ? "it pays in a token this agent does not take"
        : job.budget < ctx.offering.price
          ? "its budget is below this agent's price"
          : undefined;
  // Accept only criteria this agent can evaluate, and deliver only what passes its own run of them (the checking
  // skills are the real ones, whatever the offering delivers with).
  const produced =
    refusal || !spec || !skill
      ? undefined
      : await produceDelivery(spec, { skill, skills: ctx.skills, judge: ctx.judge });
  if (!spec || !produced || produced.status === "decline") {
    return decline(jobId, refusal ?? (produced?.status === "decline" ? produced.reason : "no job spec"), ctx, log);
  }
  const content = produced.content;
  const sent = await once(`deliver:${jobId}`, ctx, () => deliverJob(ctx.client, { jobId, content }));
  log.info({ skill: spec.skill, sent }, "delivered the job");
  // The job as read, now delivered: its bond and token were set at creation, so no second read is needed.
  return postBond({ ...job, status: "Submitted" }, ctx, log);
}

/** The operator's acceptance terms, or the chain's defaults (short ones on dev chains). */
export function acceptancePolicy(ctx: WorkContext): AcceptancePolicy {
  return ctx.acceptance ?? (ctx.client.connection.isDevChain ? DEV_ACCEPTANCE : PUBLIC_ACCEPTANCE);
}

/** Turns the job down on chain with its reason (the client is refunded at once and reads why). */
async function decline(
  jobId: bigint,
  reason: string,
  ctx: WorkContext,
  log: Logger,
  fields: Record<string, string> = {},
): Promise<WorkOutcome> {
  await once(`decline:${jobId}`, ctx, () => declineJob(ctx.client, { jobId, why: reason }));
  log.info({ reason, ...fields }, "declined the job; the client is refunded");
  return { status: "done", detail: `declined: ${reason}` };
}

/** The provider's own pass stake: what makes its delivery count, and what it loses if the work is wrong. */
async function postBond(job: JobState, ctx: WorkContext, log: Logger): Promise<WorkOutcome> {
  const bond = job.check?.bond ?? 0n;
  if (bond === 0n) return { status: "done", detail: "delivered (no bond required)" };
  const staked = (await myPosition(ctx, job.jobId)).amount;
  if (staked >= bond) return { status: "done", detail: "delivered and bonded" };
  const token = await getTokenInfo(ctx.client, job.token);
  const amount = bond - staked;
  const task = ctx.task ?? workLoopTask(ctx.guard.policy);
  // The provider backs the work it computed itself.
  task.verdicts.set(job.jobId, { verdict: "pass", by: "worker" });
  await ctx.guard.run(
    task,
    {
      action: "stake",
      token,
      amount,
      jobId: job.jobId,
      pass: true,
      description: `bond on own delivery of job ${job.jobId}`,
    },
    () =>
      once(`bond:${job.jobId}`, ctx, () =>
        stakeOnCheck(ctx.client, { jobId: job.jobId, pass: true, amount, token: job.token }),
      ),
  );
  log.info({ bond: amount.toString(), token: job.token }, "posted the bond");
  return { status: "done", detail: "delivered and bonded" };
}

async function claim(jobId: bigint, ctx: WorkContext): Promise<WorkOutcome> {
  if ((await myPosition(ctx, jobId)).amount === 0n) return { status: "done", detail: "nothing left to claim" };
  await ctx.beforeAction?.(`claim:${jobId}`);
  const result = await claimStake(ctx.client, { jobId });
  ctx.logger.info(
    { jobId: jobId.toString(), txHash: result.hash, stake: result.stake.toString(), amount: result.amount.toString() },
    result.amount > result.stake
      ? "claimed stake and reward"
      : result.amount === 0n
        ? "closed a losing stake"
        : "claimed stake back",
  );
  return { status: "done", detail: `claimed ${result.amount}` };
}

/**
 * Settles a check this agent is owed money by, once the check can be settled: after its close, and after the
 * arbiter's time when it was escalated and no ruling came. Each party settles the outcome that pays it, so no
 * payment waits on a counterparty's daemon: the provider a pass (its pay), a staker its winning side (its stake and
 * reward), the client a fail (its refund), and anyone with money in it a void (the bond was missing: the client is
 * refunded and every stake returned). The close is a fixed number of response periods before the client's refund
 * (acceptTerms' settle margin), so this comes first. A check someone else settled is done, not an error.
 *
 * Attacker: a client whose daemon stops for good after funding. Without this, the provider's passing check waited on
 * the client's settle, and the client claimed its refund once the evaluation period was over (the check voided).
 */
async function settle(jobId: bigint, ctx: WorkContext, nowSeconds: number): Promise<WorkOutcome> {
  const job = await readJob(ctx.client, { jobId });
  const { check } = job;
  if (!check) return { status: "done", detail: "not a staked check" };
  if (check.verdict !== "None") return { status: "done", detail: `settled: ${check.verdict}` };
  const me = ctx.client.account.address;
  const mine = await myPosition(ctx, jobId);
  if (job.status === "Expired") {
    // The client took its refund before anyone settled: settling now voids the check, and every stake comes back.
    if (mine.amount === 0n) return { status: "done", detail: "job expired; no stake of ours in it" };
    return sendSettle(jobId, `void:${jobId}`, "voided the check of an expired job to get the stake back", ctx);
  }
  if (job.status !== "Submitted") return { status: "done", detail: `job is ${job.status}` };
  const closesAt = Number(check.closesAt ?? 0n);
  if (nowSeconds < closesAt) return { status: "retry", at: closesAt, detail: "waiting for the check window to close" };
  const arbitration = check.arbitration;
  if (arbitration?.escalated && nowSeconds < Number(arbitration.rulingDeadline)) {
    return { status: "retry", at: Number(arbitration.rulingDeadline), detail: "escalated: waiting for the ruling" };
  }
  // Staking is over: the leader wins, pass only with the provider's bond posted (else the check voids).
  const provider = isAddressEqual(job.provider, me);
  const bondPosted = provider ? mine.amount : (await readStake(ctx.client, { jobId, staker: job.provider })).amount;
  const outcome = check.leader === "fail" ? "fail" : bondPosted >= check.bond ? "pass" : "void";
  const staked = mine.amount > 0n;
  const client = isAddressEqual(job.client, me);
  const owed =
    outcome === "pass"
      ? provider || (staked && mine.pass)
      : outcome === "fail"
        ? client || (staked && !mine.pass)
        : client || staked;
  if (!owed) return { status: "done", detail: `${outcome} at the close: the parties it pays settle` };
  const why =
    outcome === "pass"
      ? provider
        ? "settled a passing check: the provider is paid"
        : "settled a passing check: our pass stake won"
      : outcome === "fail"
        ? client
          ? "settled a failing check: the client is refunded"
          : "settled a failing check: our fail stake won"
        : "settled a check whose bond is missing: the client is refunded and every stake returned";
  return sendSettle(jobId, `settle:${jobId}`, why, ctx);
}

async function sendSettle(jobId: bigint, action: string, why: string, ctx: WorkContext): Promise<WorkOutcome> {
  try {
    let hash: Hash | undefined;
    const sent = await once(action, ctx, async () => {
      hash = (await settleCheck(ctx.client, { jobId })).hash;
    });
    ctx.logger.info({ jobId: jobId.toString(), txHash: hash, sent }, why);
    return { status: "done", detail: why };
  } catch (error) {
    // Every party the outcome pays settles at the close, so another one's settle often lands first; depending on
    // the node, ours then fails in simulation or at the send. Either way the chain says whether it is settled.
    if ((await readJob(ctx.client, { jobId })).check?.verdict !== "None") {
      return { status: "done", detail: "settled by someone else" };
    }
    if (!(error instanceof ContractRevertedError)) throw error;
    switch (error.errorName) {
      case "EvaluatorAlreadySettled":
      case "EvaluatorNotSettleable":
        return { status: "done", detail: "settled by someone else" };
      case "EvaluatorWindowOpen":
        return { status: "retry", at: Number(error.errorArgs[1] as bigint), detail: "window still open" };
      case "EvaluatorAwaitingRuling":
        return { status: "retry", at: Number(error.errorArgs[1] as bigint), detail: "waiting for the ruling" };
      default:
        throw error;
    }
  }
}

async function refund(jobId: bigint, ctx: WorkContext, nowSeconds: number): Promise<WorkOutcome> {
  const job = await readJob(ctx.client, { jobId });
  if (job.status !== "Funded" && job.status !== "Submitted") return { status: "done", detail: `job is ${job.status}` };
  if (nowSeconds < Number(job.refundableAt))
    return { status: "retry", at: Number(job.refundableAt), detail: "not refundable yet" };
  await once(`refund:${jobId}`, ctx, () => claimRefund(ctx.client, { jobId }));
  ctx.logger.info({ jobId: jobId.toString() }, "claimed the refund of an unfinished job");
  return { status: "done", detail: "refunded" };
}

async function withdraw(token: Address, ctx: WorkContext): Promise<WorkOutcome> {
  const result = await withdrawCredits(ctx.client, { token: token ?? zeroAddress });
  return { status: "done", detail: result.hash ? `withdrew ${result.amount}` : "nothing credited" };
}
