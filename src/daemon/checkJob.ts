import { escalateCheck } from "../chain/actions/escalateCheck.js";
import { getTokenInfo, type TokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob, type CheckState, type JobState } from "../chain/actions/readJob.js";
import { stakeOnCheck } from "../chain/actions/stakeOnCheck.js";
import { formatAmount } from "../chain/amounts.js";
import { readStake } from "../chain/reads/readStake.js";
import { GuildError } from "../errors/GuildError.js";
import { SpendingRefusedError } from "../errors/guard.js";
import { ContractRevertedError } from "../errors/transaction.js";
import { workLoopTask, type TaskContext } from "../guard/TaskContext.js";
import { decodeJobSpec } from "../skills/jobSpec.js";
import { verifyDelivery } from "../skills/verifyDelivery.js";
import { acceptTerms } from "./acceptTerms.js";
import { acceptancePolicy, jobTexts, myPosition, once, type WorkContext, type WorkOutcome } from "./processWorkItem.js";

type Side = "pass" | "fail";

/** What a checker does on a check at one look: stake (and why), or nothing (and why). */
export type CheckerMove =
  | { action: "stake"; amount: bigint; takesLead: boolean; reason: string }
  | { action: "none"; reason: string };

/**
 * Reverts that mean the check moved between this look and the stake (another checker answered first, the lead
 * was locked, the window closed): nothing was sent, and the next look starts from the new state.
 */
const MOVED_ON = new Set(["EvaluatorLeadFrozen", "EvaluatorLeadLocked", "EvaluatorWindowClosed"]);

/**
 * A checker's work on one delivered job, from the chain's current state every time it runs. The first look
 * checks the delivery and stakes on the verdict when sure of it; then the checker follows the check until its
 * final close (the `check:<job>` item looks again at least twice per response period; a `LeadChanged` event
 * queues an extra look at once). Outbid on a verdict it is sure of, it answers within the response period with
 * what takes the lead back, in full or not at all, within its per-job ceiling (`--max-stake-percent`) and the
 * spending guard's open-stakes ceiling (`--max-open-stakes`); when the terms name an arbiter and the check is
 * contested, it escalates. It never stakes on a verdict it is not sure of, and logs why for every stake and
 * every refusal.
 *
 * Attacker: a second address of the provider staking pass in the last second of the window, to win a wrong
 * delivery's check. The flip moves the close a response period away, and the checkers answer within it.
 */
export async function checkJob(
  jobId: bigint,
  ctx: WorkContext,
  nowSeconds: number,
  key = `check:${jobId}`,
): Promise<WorkOutcome> {
  const log = ctx.logger.child({ role: "checker", jobId: jobId.toString() });
  // The item that follows the check; the ones a LeadChanged event queues act once and end.
  const follows = key === `check:${jobId}`;
  const job = await readJob(ctx.client, { jobId });
  const { check } = job;
  if (job.status !== "Submitted" || !check || check.verdict !== "None") {
    return { status: "skipped", detail: `job is ${job.status}` };
  }
  if (check.closesAt !== undefined && BigInt(nowSeconds) >= check.closesAt) {
    return { status: "skipped", detail: "the check window closed" };
  }
  const position = await myPosition(ctx, jobId);
  const staked = position.amount;
  const end = (detail: string): WorkOutcome =>
    staked > 0n && follows ? follow(check, nowSeconds, detail) : { status: staked > 0n ? "done" : "skipped", detail };
  if (staked === 0n) {
    // No stake on terms this checker does not accept (src/daemon/acceptTerms.ts).
    const terms = acceptTerms({
      job,
      policy: acceptancePolicy(ctx),
      role: "checker",
      stakedEvaluator: ctx.client.addresses.evaluator,
      nowSeconds,
      maxStakeBps: ctx.checker.maxStakeBps,
    });
    if (!terms.accepted) {
      log.info({ reason: terms.reason, term: terms.term }, "refused the check's terms; no stake");
      return { status: "skipped", detail: `terms refused: ${terms.reason}` };
    }
  }

  const task = ctx.task ?? workLoopTask(ctx.guard.policy);
  const judged = await judge(job, task, ctx);
  if ("refusal" in judged) {
    log.info({ reason: judged.refusal, staked: staked.toString() }, "not sure of this delivery; no stake");
    return end(judged.refusal);
  }
  const { side } = judged;
  if (staked > 0n && position.pass !== (side === "pass")) {
    const reason = `its check now finds ${side}, against its own stake on ${position.pass ? "pass" : "fail"}`;
    log.warn({ reason }, "adds nothing to a stake its check no longer backs");
    return end(reason);
  }

  const token = await getTokenInfo(ctx.client, job.token);
  const behind = check.leader !== side;
  // Only a fail stake that must take the lead counts the bond the provider has not posted yet.
  const bondMissing = behind && side === "fail" ? await bondStillMissing(ctx, job) : 0n;
  const move = planCheckerMove(job, { side, staked, bondMissing, nowSeconds, policy: ctx.checker, token });
  let detail: string;
  let added = 0n;
  if (move.action === "none") {
    const what = !behind ? "nothing to add" : staked > 0n ? "outbid; did not answer" : "did not stake";
    log.info({ side, staked: staked.toString(), reason: move.reason }, what);
    detail = move.reason;
  } else {
    const first = staked === 0n;
    const label = first ? `stake on ${side} for job ${jobId}` : `answer on ${side} for job ${jobId}`;
    // The first stake keeps its key; each answer is keyed by the flip it answers, so a restart finds its transaction.
    const actionKey = first ? `stake:${jobId}` : `answer:${jobId}:${check.flips}`;
    const sent = await placeStake(
      job,
      { side, amount: move.amount, takesLead: move.takesLead, token, key: actionKey, label, task },
      ctx,
    );
    const fields = {
      side,
      amount: move.amount.toString(),
      token: job.token,
      stakedBefore: staked.toString(),
      reason: move.reason,
    };
    if (sent === "sent") {
      added = move.amount;
      log.info(
        { ...fields, ...(first ? { skill: judged.skill, verdict: judged.why } : {}) },
        first ? "checked the delivery and staked" : "outbid on a verdict it is sure of; answered",
      );
      detail = first
        ? `staked on ${side} (${move.amount})`
        : `answered: raised the ${side} stake by ${move.amount} to take the lead back`;
    } else {
      log.info({ ...fields, refusal: sent.refusal }, first ? "did not stake" : "did not answer");
      detail = sent.refusal;
      if (sent.moved) return { status: "retry", at: nowSeconds, detail };
    }
  }

  const escalation = escalationReason(check, {
    side,
    staked: staked + added,
    outbid: staked > 0n && behind,
    stuck: behind && added === 0n,
    added,
    takesLead: added > 0n && move.action === "stake" && move.takesLead,
    nowSeconds,
  });
  if (escalation) {
    try {
      await once(`escalate:${jobId}`, ctx, () => escalateCheck(ctx.client, { jobId }));
      log.info({ reason: escalation, arbiter: check.arbitration?.arbiter }, "escalated the check to its arbiter");
      detail += `; escalated: ${escalation}`;
    } catch (error) {
      if (!(error instanceof ContractRevertedError)) throw error;
      // Another staker escalated first, or the check closed meanwhile: nothing was sent.
      log.info({ reason: escalation, refusal: error.shortMessage }, "did not escalate");
    }
  }
  if (staked + added === 0n) return { status: "skipped", detail };
  return follows ? follow(check, nowSeconds, detail) : { status: "done", detail };
}

/**
 * This agent's verdict on the delivery: the one its own check reached earlier in this process, else a fresh check
 * (deterministic skills re-compute; others ask the model judge, whose confidence must reach the checker's minimum).
 */
async function judge(
  job: JobState,
  task: TaskContext,
  ctx: WorkContext,
): Promise<{ side: Side; skill?: string; why?: string } | { refusal: string }> {
  const own = task.verdicts.get(job.jobId);
  if (own?.by === "checker") return { side: own.verdict };
  const { description, content } = await jobTexts(ctx, job.jobId, "both");
  const spec = description === undefined ? undefined : decodeJobSpec(description);
  if (!spec || content === undefined) return { refusal: "no spec or no content to check" };
  const verdict = await verifyDelivery(spec, content, ctx.skills, ctx.judge);
  if (verdict.verdict === "cannot-judge") return { refusal: `cannot judge: ${verdict.reason}` };
  const confidence = "confidence" in verdict && typeof verdict.confidence === "number" ? verdict.confidence : 1;
  if (confidence < ctx.checker.minConfidence) {
    return {
      refusal: `not sure: its judge found ${verdict.verdict} with confidence ${confidence}, below ${ctx.checker.minConfidence}`,
    };
  }
  // The guard lets a stake through only on the side of the agent's own verdict.
  task.verdicts.set(job.jobId, { verdict: verdict.verdict, by: "checker" });
  return { side: verdict.verdict, skill: spec.skill, why: verdict.reason };
}

/** What the provider still owes of its bond: a flip against pass must double the pass side with it counted. */
async function bondStillMissing(ctx: WorkContext, job: JobState): Promise<bigint> {
  const bond = job.check?.bond ?? 0n;
  if (bond === 0n) return 0n;
  const posted = (await readStake(ctx.client, { jobId: job.jobId, staker: job.provider })).amount;
  return posted >= bond ? 0n : bond - posted;
}

/**
 * Stakes through the spending guard, once per action key. A refusal (the guard's ceilings, or a check that moved
 * before the stake was mined) sends nothing and comes back as a sentence; `moved` asks for another look at once.
 */
async function placeStake(
  job: JobState,
  {
    side,
    amount,
    takesLead,
    token,
    key,
    label,
    task,
  }: {
    side: Side;
    amount: bigint;
    takesLead: boolean;
    token: TokenInfo;
    key: string;
    label: string;
    task: TaskContext;
  },
  ctx: WorkContext,
): Promise<"sent" | { refusal: string; moved: boolean }> {
  const pass = side === "pass";
  const send = async () => {
    // Checkers see the same block and answer together: a stake sized to take the lead is sent only while the other
    // side still leads (read after the guard's checks, just before sending), so a second checker does not add the
    // whole amount to a lead another one has just taken.
    if (takesLead && (await readJob(ctx.client, { jobId: job.jobId })).check?.leader === side) {
      throw new LeadTakenMeanwhileError(job.jobId, side);
    }
    return stakeOnCheck(ctx.client, { jobId: job.jobId, pass, amount, token: job.token });
  };
  try {
    await ctx.guard.run(task, { action: "stake", token, amount, jobId: job.jobId, pass, description: label }, () =>
      once(key, ctx, send),
    );
    return "sent";
  } catch (error) {
    if (error instanceof SpendingRefusedError) return { refusal: error.shortMessage, moved: false };
    if (error instanceof LeadTakenMeanwhileError) return { refusal: error.shortMessage, moved: true };
    if (error instanceof ContractRevertedError && MOVED_ON.has(error.errorName ?? "")) {
      return { refusal: `the check moved before the stake: ${error.shortMessage}`, moved: true };
    }
    throw error;
  }
}

/** The side a stake was to take the lead for took it meanwhile (another checker answered first). Nothing was sent. */
class LeadTakenMeanwhileError extends GuildError {
  override name = "LeadTakenMeanwhileError";

  constructor(jobId: bigint, side: Side) {
    super(`${side} took the lead of job ${jobId} before this stake was sent; nothing was sent.`);
  }
}

/**
 * What a checker stakes at one look, from the check as read (pure: the tests call it with made-up checks).
 *
 * - Its side leads: on the first look its usual share (`stakeBps` of the budget, at least the minimum stake,
 *   at most its ceiling), except in the last response period, when the contract freezes the leading side; once it
 *   holds a stake, nothing.
 * - The other side leads: what takes the lead ({@link stakeToLead}; on the first look at least its usual share),
 *   in full or not at all. A stake on the trailing side that cannot take the lead is lost to the leader unless
 *   someone else adds to it: a checker outbid beyond its ceiling does not throw good money after bad. Nothing once
 *   the flips are used up (only the arbiter can change the lead then).
 *
 * @example
 * const move = planCheckerMove(job, { side: "fail", staked: 0n, bondMissing: 0n, nowSeconds, policy, token });
 */
export function planCheckerMove(
  job: JobState,
  {
    side,
    staked,
    bondMissing,
    nowSeconds,
    policy,
    token,
  }: {
    side: Side;
    /** What this checker holds on the job already (on `side`). */
    staked: bigint;
    /** What the provider still owes of its bond (counts against a fail stake's flip). */
    bondMissing: bigint;
    nowSeconds: number;
    policy: WorkContext["checker"];
    token: Pick<TokenInfo, "decimals" | "symbol">;
  },
): CheckerMove {
  const { check } = job;
  if (!check) throw new Error(`Job ${job.jobId} has no staked check to stake on.`);
  const show = (amount: bigint) => formatAmount(amount, token.decimals, token.symbol);
  const cap = (job.budget * policy.maxStakeBps) / 10_000n;
  const ceiling = `its ceiling of ${show(cap)} on this job (${Number(policy.maxStakeBps) / 100}% of the budget, --max-stake-percent)`;
  const share = max((job.budget * policy.stakeBps) / 10_000n, check.minStake);
  const other: Side = side === "pass" ? "fail" : "pass";
  if (check.leader === side) {
    if (staked > 0n) return { action: "none", reason: `${side} leads; its stake of ${show(staked)} stands` };
    const frozenFrom = (check.closesAt ?? 0n) - check.responsePeriodSeconds;
    if (BigInt(nowSeconds) >= frozenFrom) {
      return { action: "none", reason: `${side} leads, and the leading side may not add in the last response period` };
    }
    if (cap < check.minStake) {
      return { action: "none", reason: `the minimum stake of ${show(check.minStake)} is above ${ceiling}` };
    }
    const amount = share > cap ? cap : share;
    return { action: "stake", amount, takesLead: false, reason: `its check finds ${side}, which leads: its share` };
  }
  if (check.flips >= check.maxFlips) {
    return {
      action: "none",
      reason: `${other} leads and the lead is locked after ${check.flips} changes: a stake cannot take it back`,
    };
  }
  const needed = stakeToLead(check, side, bondMissing);
  let amount = staked === 0n ? max(share, needed) : needed;
  if (staked + amount < check.minStake) amount = check.minStake - staked;
  if (staked + amount > cap) {
    return {
      action: "none",
      reason: `${other} leads; taking the lead back takes ${show(amount)} more (${show(staked + amount)} in all), above ${ceiling}: no partial stake, which the leader would win`,
    };
  }
  return {
    action: "stake",
    amount,
    takesLead: true,
    reason:
      staked === 0n
        ? `its check finds ${side}, but ${other} leads: ${show(amount)} takes the lead (twice the other side, and the flip floor)`
        : `outbid: ${other} took the lead against its verdict; ${show(amount)} takes it back within ${ceiling}`,
  };
}

/**
 * The least `side` must add to take the lead: its total must reach twice the leader's (against pass, with the
 * bond not yet posted counted) and the flip floor, `2 · max(bond, minStake) · 2^flips` (StakedEvaluator `_flip`).
 *
 * @example
 * stakeToLead(check, "fail", 0n); // 2n * check.passTotal - check.failTotal, or the floor
 */
export function stakeToLead(check: CheckState, side: Side, bondMissing: bigint): bigint {
  const [mine, theirs] = side === "pass" ? [check.passTotal, check.failTotal] : [check.failTotal, check.passTotal];
  const floor = 2n * (max(check.bond, check.minStake) << check.flips);
  const target = max(floor, 2n * (theirs + (side === "fail" ? bondMissing : 0n)));
  // A side already there takes the lead with any stake (the flip is decided when a stake arrives).
  return target > mine ? target - mine : 1n;
}

/**
 * Why to escalate now, or undefined. Only when the terms name an arbiter, the check is open and not escalated, this
 * checker holds a stake, both sides' stakes reach the terms' threshold, and the check is contested: the other side
 * outbid this checker, or took the lead and this checker cannot take it back, or the lead changed twice or more.
 * Escalating costs gas and stops nothing (the game goes on; the arbiter rules after the close, or the game's result
 * stands); an uncontested check is not escalated, so catching a cheater does not wait for an arbiter.
 */
function escalationReason(
  check: CheckState,
  {
    side,
    staked,
    outbid,
    stuck,
    added,
    takesLead,
    nowSeconds,
  }: {
    side: Side;
    staked: bigint;
    outbid: boolean;
    stuck: boolean;
    added: bigint;
    takesLead: boolean;
    nowSeconds: number;
  },
): string | undefined {
  const arbitration = check.arbitration;
  if (!arbitration || arbitration.escalated || staked === 0n) return undefined;
  if (check.closesAt === undefined || BigInt(nowSeconds) >= check.closesAt) return undefined;
  if (check.passTotal + check.failTotal + added < arbitration.escalationThreshold) return undefined;
  const flips = check.flips + (takesLead ? 1n : 0n);
  if (stuck) return `the other side leads against its verdict (${side}) and it cannot take the lead back by staking`;
  if (outbid) return `the other side outbid its ${side} stake`;
  if (flips >= 2n) return `the lead changed ${flips} times`;
  return undefined;
}

/**
 * Looks again at least twice per response period until the close as last read (a change of lead moves it; the next
 * look reads the new one), so an outbid checker always has most of a response period left to answer.
 */
function follow(check: CheckState, nowSeconds: number, detail: string): WorkOutcome {
  const closesAt = Number(check.closesAt ?? 0n);
  if (nowSeconds >= closesAt) return { status: "done", detail };
  const step = Math.max(1, Math.floor(Number(check.responsePeriodSeconds) / 2));
  return {
    status: "retry",
    at: Math.min(nowSeconds + step, closesAt),
    detail: `${detail}; following the check until it closes`,
  };
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
