/**
 * What the offline planner's plans and the workflows they share are made of: tool calls yielded one at a time,
 * the structured results they receive back, and readers of the fields plans may act on. Plans read only these
 * structured fields (job ids, addresses, verdicts, outcomes, tx hashes), never free text, so instructions inside
 * job inputs or deliverables cannot change what happens.
 */

/** Tools the plans use; the agent layer provides them under these names. */
export type GuildToolName =
  | "get_balance"
  | "pay"
  | "find_agents"
  | "hire_agent"
  | "get_job"
  | "wait_for_delivery"
  | "verify_delivery"
  | "approve_delivery"
  | "stake_on_check"
  | "settle_job"
  | "claim_rewards"
  | "register_self"
  | "spending_report";

export type PlannedToolCall = { name: GuildToolName; args: Record<string, unknown> };

/** A tool result as the plans see it: the parsed JSON object of the ToolMessage. */
export type PlanToolResult = { ok: boolean; message: string; data: Record<string, unknown> };

/** A plan yields tool calls and receives their (successful) results; it returns `R`, an answer by default. */
export type Plan<R = string> = Generator<PlannedToolCall, R, PlanToolResult>;

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const JOB_ID = /^\d+$/;
/** Longest piece of a deliverable quoted back in an answer. */
const MAX_QUOTE = 200;

export function tokenArg(token: string | undefined): { token?: string } {
  return token === undefined ? {} : { token };
}

export function agentsOf(result: PlanToolResult): Array<{ name: string | undefined; address: string }> {
  const agents = Array.isArray(result.data.agents) ? (result.data.agents as unknown[]) : [];
  return agents.flatMap((agent) => {
    if (typeof agent !== "object" || agent === null) return [];
    const { address, name } = agent as Record<string, unknown>;
    if (typeof address !== "string" || !ADDRESS.test(address)) return [];
    return [{ name: typeof name === "string" && /^[\w.-]{1,40}$/.test(name) ? name : undefined, address }];
  });
}

export function jobIdOf(result: PlanToolResult): string | undefined {
  const { jobId } = result.data;
  const text = typeof jobId === "number" && Number.isSafeInteger(jobId) ? String(jobId) : jobId;
  return typeof text === "string" && JOB_ID.test(text) ? text : undefined;
}

export function verdictOf(result: PlanToolResult): "pass" | "fail" | "cannot-judge" | undefined {
  const { verdict } = result.data;
  return verdict === "pass" || verdict === "fail" || verdict === "cannot-judge" ? verdict : undefined;
}

export function outcomeOf(result: PlanToolResult): "paid" | "refunded" | "voided" | undefined {
  const { outcome } = result.data;
  return outcome === "paid" || outcome === "refunded" || outcome === "voided" ? outcome : undefined;
}

export function quote(text: string): string {
  return JSON.stringify(text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}...` : text);
}
