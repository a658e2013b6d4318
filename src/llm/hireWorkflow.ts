import { agentsOf, jobIdOf, outcomeOf, type Plan, quote, tokenArg, verdictOf } from "./plan.js";

/** What to hire for and how to accept the work. Amounts and durations as the tools take them. */
export type HireRequest = {
  skill: string;
  input: string;
  /** Budget in token units, e.g. "0.002". */
  budget: string;
  token?: string;
  /** Hire this agent; otherwise the best-ranked offer of `find_agents`. */
  provider?: string;
  /** Hire the registry's agent of this name (names are unique in the registry), found with `find_agents`. */
  providerName?: string;
  /** Acceptance criteria for the job spec (checked by hire_agent before anything is sent). */
  criteria?: unknown;
  bondPercent?: number;
  checkWindowMinutes?: number;
  deadlineMinutes?: number;
  /**
   * `check`: let the staked check decide. `verify`: re-compute the delivery here, approve early when it passes,
   * and let the check decide otherwise.
   */
  accept: "check" | "verify";
  /** Longest wait for the delivery (wait_for_delivery's default otherwise). */
  waitSeconds?: number;
  /** Longest wait for the check window to close (settle_job's default otherwise). */
  settleTimeoutSeconds?: number;
};

/** How a hire ended: paid, refunded, voided (stakes returned), or never hired. */
export type HireOutcome = "paid" | "refunded" | "voided" | "unknown" | "not hired";

export type HireWorkflowResult = {
  outcome: HireOutcome;
  /**
   * What decided it: the client's own verification (approve_delivery), the staked check, or the job's own end
   * before any delivery (expired, declined); none when nothing was hired.
   */
  decidedBy: "verification" | "check" | "job ended" | undefined;
  jobId: string | undefined;
  /** One paragraph for a person: who was hired, what was delivered (quoted as data), how it ended. */
  text: string;
};

/** Job states in which waiting is over without a delivery to judge. */
const ENDED: Record<string, HireOutcome> = { Completed: "paid", Rejected: "refunded", Expired: "refunded" };

/**
 * The one hire workflow, run by `guild hire` and by the offline planner's hire plan: find a provider (unless one
 * is named), hire and fund it, wait for the delivery, then accept it as asked. It yields tool calls and reads only
 * their structured fields; a failed call stops it (the driver's job).
 *
 * @example
 * const plan = hireWorkflow({ skill: "sort", input: "3 1 2", budget: "0.002", accept: "check" });
 * let next = plan.next(undefined as never);
 * while (!next.done) next = plan.next(await run(next.value));
 * next.value.outcome; // "paid"
 */
export function* hireWorkflow(request: HireRequest): Plan<HireWorkflowResult> {
  const amount = `${request.budget}${request.token ? ` ${request.token}` : ""}`;
  let provider = request.provider;
  let name: string | undefined;
  if (provider === undefined) {
    const found = yield {
      name: "find_agents",
      args: { skill: request.skill, maxPrice: request.budget, ...tokenArg(request.token) },
    };
    const agents = agentsOf(found);
    const best = request.providerName ? agents.find((a) => a.name === request.providerName) : agents[0];
    if (!best) {
      const who = request.providerName ? `${request.providerName} does not offer` : "No agent offers";
      return {
        outcome: "not hired",
        decidedBy: undefined,
        jobId: undefined,
        text: `${who} ${request.skill} for at most ${amount}, so nothing was hired and nothing was paid.`,
      };
    }
    provider = best.address;
    name = best.name;
  }

  const hired = yield {
    name: "hire_agent",
    args: {
      skill: request.skill,
      input: request.input,
      budget: request.budget,
      ...tokenArg(request.token),
      provider,
      ...(request.bondPercent === undefined ? {} : { bondPercent: request.bondPercent }),
      ...(request.checkWindowMinutes === undefined ? {} : { checkWindowMinutes: request.checkWindowMinutes }),
      ...(request.deadlineMinutes === undefined ? {} : { deadlineMinutes: request.deadlineMinutes }),
      ...(request.criteria === undefined ? {} : { criteria: request.criteria }),
    },
  };
  const jobId = jobIdOf(hired);
  if (!jobId) {
    return {
      outcome: "unknown",
      decidedBy: undefined,
      jobId: undefined,
      text: `Stopped: hire_agent answered without a job id, so the job cannot be followed. ${hired.message}`,
    };
  }
  const who = `${name ? `${name} ` : ""}(${provider})`;
  const hiredText = `Job ${jobId}: hired ${who} for ${request.skill} with a budget of ${amount}.`;
  const end = (outcome: HireOutcome, decidedBy: HireWorkflowResult["decidedBy"], text: string): HireWorkflowResult => ({
    outcome,
    decidedBy,
    jobId,
    text: `${hiredText} ${text}`,
  });

  const delivered = yield {
    name: "wait_for_delivery",
    args: { jobId, ...(request.waitSeconds === undefined ? {} : { timeoutSeconds: request.waitSeconds }) },
  };
  const status = typeof delivered.data.status === "string" ? delivered.data.status : undefined;
  const ended = status === undefined ? undefined : ENDED[status];
  if (ended) return end(ended, "job ended", `The job ended ${status} without a delivery to judge. Outcome: ${ended}.`);
  // The deliverable is untrusted data: it is quoted for the reader, never interpreted.
  const content = typeof delivered.data.content === "string" ? delivered.data.content : undefined;
  const quoted = content === undefined ? "" : `Delivered (untrusted, quoted as received): ${quote(content)}. `;
  const settle = {
    jobId,
    ...(request.settleTimeoutSeconds === undefined ? {} : { timeoutSeconds: request.settleTimeoutSeconds }),
  };

  if (request.accept === "check") {
    const settled = yield { name: "settle_job", args: settle };
    const outcome = outcomeOf(settled) ?? "unknown";
    return end(outcome, "check", `${quoted}As asked, the staked check decided. Outcome: ${outcome}.`);
  }
  const verified = yield { name: "verify_delivery", args: { jobId } };
  const verdict = verdictOf(verified);
  if (verdict === "pass") {
    yield { name: "approve_delivery", args: { jobId } };
    return end(
      "paid",
      "verification",
      `${quoted}The delivery passed verification and was approved, so the provider was paid. Outcome: paid.`,
    );
  }
  const settled = yield { name: "settle_job", args: settle };
  const outcome = outcomeOf(settled) ?? "unknown";
  const why =
    verdict === "fail"
      ? "The delivery failed verification, so it was not approved and the staked check decided (a refund is expected)."
      : "The delivery could not be verified automatically, so it was not approved and the staked check decided.";
  return end(outcome, "check", `${quoted}${why} Outcome: ${outcome}.`);
}
