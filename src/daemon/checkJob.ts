import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob, type JobState } from "../chain/actions/readJob.js";
import { stakeOnCheck } from "../chain/actions/stakeOnCheck.js";
import { workLoopTask } from "../guard/TaskContext.js";
import type { Logger } from "../log/createLogger.js";
import { decodeJobSpec } from "../skills/jobSpec.js";
import { verifyDelivery } from "../skills/verifyDelivery.js";
import { jobTexts, myPosition, once, type WorkContext, type WorkOutcome } from "./processWorkItem.js";

export async function checkJob(jobId: bigint, ctx: WorkContext, nowSeconds: number): Promise<WorkOutcome> {
  const log = ctx.logger.child({ role: "checker", jobId: jobId.toString() });
  const job = await readJob(ctx.client, { jobId });
  if (job.status !== "Submitted" || !job.check || job.check.verdict !== "None") {
    return { status: "skipped", detail: `job is ${job.status}` };
  }
  if (job.check.closesAt !== undefined && BigInt(nowSeconds) >= job.check.closesAt) {
    return { status: "skipped", detail: "the check window closed" };
  }
  const position = await myPosition(ctx, jobId);
  if (position.amount > 0n) return recheck(job, position.amount, position.pass, ctx, log);
  const { description, content } = await jobTexts(ctx, jobId, "both");
  const spec = description === undefined ? undefined : decodeJobSpec(description);
  if (!spec || content === undefined) return { status: "skipped", detail: "no spec or no content to check" };
  const verdict = await verifyDelivery(spec, content, ctx.skills, ctx.judge);
  const confidence =
    "confidence" in verdict && typeof verdict.confidence === "number"
      ? verdict.confidence
      : verdict.verdict === "cannot-judge"
        ? 0
        : 1;
  if (verdict.verdict === "cannot-judge" || confidence < ctx.checker.minConfidence) {
    log.info({ skill: spec.skill, reason: verdict.reason }, "cannot judge this delivery; no stake");
    return { status: "skipped", detail: `cannot judge: ${verdict.reason}` };
  }
  const token = await getTokenInfo(ctx.client, job.token);
  const pass = verdict.verdict === "pass";
  const amount = checkerStake(job, pass, ctx.checker);
  const task = ctx.task ?? workLoopTask(ctx.guard.policy);
  task.verdicts.set(jobId, { verdict: verdict.verdict, by: "checker" });
  await ctx.guard.run(
    task,
    { action: "stake", token, amount, jobId, pass, description: `stake on ${verdict.verdict} for job ${jobId}` },
    () => once(`stake:${jobId}`, ctx, () => stakeOnCheck(ctx.client, { jobId, pass, amount, token: job.token })),
  );
  log.info(
    {
      skill: spec.skill,
      verdict: verdict.verdict,
      amount: amount.toString(),
      token: job.token,
      reason: verdict.reason,
    },
    "checked the delivery and staked",
  );
  return recheckLater(job, nowSeconds, `staked on ${verdict.verdict}`);
}

/**
 * A checker looks again shortly before the window closes: stakes placed after its own (a provider adding
 * to its bond to outweigh the checkers) could carry a verdict it is sure is wrong. Once per job.
 */
function recheckLater(job: JobState, nowSeconds: number, detail: string): WorkOutcome {
  const closesAt = Number(job.check?.closesAt ?? 0n);
  const margin = Math.max(2, Math.floor(Number(job.check?.responsePeriodSeconds ?? 0n) / 2));
  const at = closesAt - margin;
  return at > nowSeconds
    ? { status: "retry", at, detail: `${detail}; looking again before the window closes` }
    : { status: "done", detail };
}

/**
 * The re-check: when the side this checker backed is losing, it adds what it takes to lead (rounded up to
 * whole minimum stakes), within its ceiling of `maxStakeBps` of the budget. Its verdict does not change:
 * the delivery is the same.
 */
async function recheck(
  job: JobState,
  staked: bigint,
  pass: boolean,
  ctx: WorkContext,
  log: Logger,
): Promise<WorkOutcome> {
  const { check } = job;
  if (!check) throw new Error(`Job ${job.jobId} has no staked check to raise a stake on.`);
  const losing = check.leader !== (pass ? "pass" : "fail");
  if (!losing) return { status: "done", detail: `staked on ${pass ? "pass" : "fail"}; still ahead` };
  if (check.flips >= check.maxFlips) return { status: "done", detail: "behind, and the lead is locked" };
  // Taking the lead takes twice the leader's total.
  const [mine, theirs] = pass ? [check.passTotal, check.failTotal] : [check.failTotal, check.passTotal];
  const gap = 2n * theirs - mine;
  const amount = ((gap + check.minStake - 1n) / check.minStake) * check.minStake;
  const room = (job.budget * ctx.checker.maxStakeBps) / 10_000n - staked;
  // A stake that cannot take the lead is lost if nobody adds to it: answer in full or not at all.
  if (amount > room) {
    return {
      status: "done",
      detail: `behind; taking the lead back needs ${amount}, above the stake ceiling of ${ctx.checker.maxStakeBps} bps`,
    };
  }
  const token = await getTokenInfo(ctx.client, job.token);
  const task = ctx.task ?? workLoopTask(ctx.guard.policy);
  // The side of its own earlier stake, which its own check chose; the delivery has not changed since.
  task.verdicts.set(job.jobId, { verdict: pass ? "pass" : "fail", by: "checker" });
  await ctx.guard.run(
    task,
    {
      action: "stake",
      token,
      amount,
      jobId: job.jobId,
      pass,
      description: `raise the ${pass ? "pass" : "fail"} stake on job ${job.jobId}`,
    },
    () =>
      once(`topup:${job.jobId}`, ctx, () =>
        stakeOnCheck(ctx.client, { jobId: job.jobId, pass, amount, token: job.token }),
      ),
  );
  log.info(
    { side: pass ? "pass" : "fail", amount: amount.toString(), token: job.token },
    "the other side was ahead near the close; raised the stake",
  );
  return { status: "done", detail: `raised the ${pass ? "pass" : "fail"} stake by ${amount}` };
}

/**
 * How much a checker stakes: its usual share of the budget, and, when it is sure the work is wrong, at
 * least enough to outweigh the pass side (the provider's bond counts even before it is posted: a
 * cheater's bond alone must not carry a wrong delivery). Never more than `maxStakeBps` of the budget.
 */
export function checkerStake(job: JobState, pass: boolean, policy: WorkContext["checker"]): bigint {
  const { check } = job;
  if (!check) throw new Error(`Job ${job.jobId} has no staked check to stake on.`);
  let amount = (job.budget * policy.stakeBps) / 10_000n;
  if (amount < check.minStake) amount = check.minStake;
  if (!pass && check.leader === "pass") {
    const passSide = check.passTotal > check.bond ? check.passTotal : check.bond;
    // Taking the lead takes twice the pass side.
    const needed = 2n * passSide - check.failTotal;
    // Round up to a whole number of minimum stakes: a readable amount, and a margin over the pass side.
    if (needed > amount) amount = ((needed + check.minStake - 1n) / check.minStake) * check.minStake;
  }
  const cap = (job.budget * policy.maxStakeBps) / 10_000n;
  return amount > cap && cap >= check.minStake ? cap : amount;
}
