import type { BaseMessage } from "@langchain/core/messages";
import {
  type CheckTask,
  type HireTask,
  type IncompleteTask,
  parseTask,
  SUPPORTED_TASKS,
  type Task,
} from "./parseTask.js";
import { hireWorkflow } from "./hireWorkflow.js";
import {
  type GuildToolName,
  outcomeOf,
  type Plan,
  type PlanToolResult as ToolResult,
  tokenArg,
  verdictOf,
} from "./plan.js";

/**
 * The offline planner's decisions: for a conversation (the first human message is the task; AI tool calls and their
 * tool results are the history), the next tool call or the final answer. Pure and deterministic.
 *
 * Each task form is a fixed plan written as a generator: it yields the tool calls it wants and receives their
 * results. {@link planNextStep} replays the history into the plan and returns what the plan asks for next. Plans read
 * only structured fields of tool results (job ids, addresses, verdicts, outcomes, tx hashes), never free text, so
 * instructions inside job inputs or deliverables cannot change what happens.
 */

/** What the planner does next. `id` of a call is deterministic: the same conversation gives the same id. */
export type PlannerDecision =
  | { kind: "call"; id: string; name: GuildToolName; args: Record<string, unknown> }
  | { kind: "answer"; text: string };

type CompletedStep = { name: string; args: Record<string, unknown>; result: ToolResult };

const TX_HASH = /^0x[0-9a-fA-F]{64}$/;
/** Longest piece of a tool's unparseable answer quoted back. */
const MAX_QUOTE = 200;

/**
 * Decides the offline planner's next step for `messages`, calling only tools in `toolNames`.
 *
 * @example
 * planNextStep([new HumanMessage("Report spending")], ["spending_report"]);
 * // { kind: "call", id: "offline_0_spending_report", name: "spending_report", args: {} }
 */
export function planNextStep(messages: BaseMessage[], toolNames: readonly string[]): PlannerDecision {
  const { task: text, steps } = readConversation(messages);
  if (text === undefined) return { kind: "answer", text: "There is no task: the conversation has no human message." };
  const task = parseTask(text);
  if (task.kind === "unknown") return { kind: "answer", text: unknownTaskAnswer() };
  if (task.kind === "incomplete") return { kind: "answer", text: incompleteAnswer(task) };

  const plan = planFor(task);
  let next = plan.next(undefined as never);
  for (const [index, step] of steps.entries()) {
    if (next.done) break;
    if (step.name !== next.value.name || stableJson(step.args) !== stableJson(next.value.args)) {
      return answer(
        `Stopped: the conversation does not follow the offline plan (step ${index + 1} was ${step.name}, ` +
          `the plan expected ${next.value.name}).`,
        steps.slice(0, index),
      );
    }
    if (!step.result.ok) return answer(stoppedAnswer(step, steps.slice(0, index)), steps.slice(0, index + 1));
    next = plan.next(step.result);
  }
  if (next.done) return answer(next.value, steps);
  const wanted = next.value;
  if (!toolNames.includes(wanted.name)) {
    const available =
      toolNames.length > 0 ? `The tools given were: ${toolNames.join(", ")}.` : "No tools were given to it.";
    const missing = `Stopped: the offline planner needs the tool ${wanted.name} for this task, but it is not available.`;
    return answer(`${missing} ${available}`, steps);
  }
  return { kind: "call", id: `offline_${steps.length}_${wanted.name}`, name: wanted.name, args: wanted.args };
}

/** The answer for a task the offline planner does not understand. */
export function unknownTaskAnswer(): string {
  return [
    "No LLM is in use, and the offline planner does not understand this task. It handles these forms:",
    ...SUPPORTED_TASKS.map((example) => `- ${example}`),
    "Set OPENAI_API_KEY (and OPENAI_BASE_URL for a local server such as Ollama, vLLM or llama.cpp) " +
      "to let a real model handle free-form tasks.",
  ].join("\n");
}

function incompleteAnswer(task: IncompleteTask): string {
  return `The offline planner cannot do this ${task.form} task yet: ${task.problem} For example: ${task.example}`;
}

function answer(text: string, steps: CompletedStep[]): PlannerDecision {
  const hashes = [...new Set(steps.flatMap((step) => txHashesOf(step.result)))];
  return { kind: "answer", text: hashes.length > 0 ? `${text} Transactions: ${hashes.join(", ")}.` : text };
}

function stoppedAnswer(failed: CompletedStep, before: CompletedStep[]): string {
  const done = before.map((step) => `${step.name}: ${step.result.message}`);
  return [
    `Stopped: ${failed.name} failed: ${failed.result.message || "no reason given"}`,
    done.length > 0 ? `Done before that: ${done.join(" ")}` : "Nothing was done before that.",
  ].join(" ");
}

function planFor(task: Exclude<Task, IncompleteTask | { kind: "unknown" }>): Plan {
  switch (task.kind) {
    case "hire":
      return hirePlan(task);
    case "check":
      return checkPlan(task);
    case "settle":
      return singleCall("settle_job", { jobId: task.jobId }, (r) => {
        const outcome = outcomeOf(r);
        return `Job ${task.jobId} settled${outcome ? `: ${outcome}` : ""}. ${r.message}`;
      });
    case "claim":
      return singleCall("claim_rewards", task.jobId === undefined ? {} : { jobId: task.jobId }, (r) => r.message);
    case "pay":
      return singleCall("pay", { to: task.to, amount: task.amount, ...tokenArg(task.token) }, (r) => r.message);
    case "register":
      return singleCall(
        "register_self",
        { name: task.name, skills: task.skills, price: task.price, ...tokenArg(task.token) },
        (r) => r.message,
      );
    case "spending":
      return singleCall(
        "spending_report",
        task.sinceHours === undefined ? {} : { sinceHours: task.sinceHours },
        (r) => r.message,
      );
    case "balance":
      return singleCall("get_balance", tokenArg(task.token), (r) => r.message);
  }
}

function* singleCall(
  name: GuildToolName,
  args: Record<string, unknown>,
  summarize: (result: ToolResult) => string,
): Plan {
  const result = yield { name, args };
  return summarize(result);
}

function* hirePlan(task: HireTask): Plan {
  const { text } = yield* hireWorkflow({
    skill: task.skill,
    input: task.input,
    budget: task.budget,
    ...tokenArg(task.token),
    ...(task.bondPercent === undefined ? {} : { bondPercent: task.bondPercent }),
    ...(task.checkWindowMinutes === undefined ? {} : { checkWindowMinutes: task.checkWindowMinutes }),
    ...(task.deadlineMinutes === undefined ? {} : { deadlineMinutes: task.deadlineMinutes }),
    ...(task.providerName === undefined ? {} : { providerName: task.providerName }),
    ...(task.criteria === undefined ? {} : { criteria: task.criteria }),
    accept: task.letCheckDecide ? "check" : "verify",
  });
  return text;
}

function* checkPlan(task: CheckTask): Plan {
  const { jobId } = task;
  yield { name: "get_job", args: { jobId } };
  const verified = yield { name: "verify_delivery", args: { jobId } };
  const verdict = verdictOf(verified);
  if (verdict !== "pass" && verdict !== "fail") {
    return `Job ${jobId}: the delivery cannot be judged automatically, so nothing was staked. ${verified.message}`;
  }
  const passes = verdict === "pass";
  const verdictText = `Job ${jobId}: the delivery ${passes ? "passes" : "fails"} verification.`;
  if (task.stake === undefined) return `${verdictText} No stake amount was given, so nothing was staked.`;
  const staked = yield { name: "stake_on_check", args: { jobId, pass: passes, amount: task.stake } };
  return `${verdictText} Staked ${task.stake} that it ${passes ? "passes" : "fails"}. ${staked.message}`;
}

function txHashesOf(result: ToolResult): string[] {
  const { txHash, txHashes } = result.data;
  const all = [txHash, ...(Array.isArray(txHashes) ? txHashes : [])];
  return all.filter((hash): hash is string => typeof hash === "string" && TX_HASH.test(hash));
}

/** The task (first human message) and every tool call made since, with its result. */
function readConversation(messages: BaseMessage[]): { task: string | undefined; steps: CompletedStep[] } {
  const start = messages.findIndex((message) => message.type === "human");
  if (start < 0) return { task: undefined, steps: [] };
  const task = textOf((messages[start] as BaseMessage).content);
  const results = new Map<string, BaseMessage & { tool_call_id: string; status?: string }>();
  for (const message of messages.slice(start + 1)) {
    if (message.type === "tool") {
      const tool = message as BaseMessage & { tool_call_id: string; status?: string };
      results.set(tool.tool_call_id, tool);
    }
  }
  const steps: CompletedStep[] = [];
  for (const message of messages.slice(start + 1)) {
    if (message.type !== "ai") continue;
    const calls = (
      message as BaseMessage & { tool_calls?: Array<{ id?: string; name: string; args: Record<string, unknown> }> }
    ).tool_calls;
    for (const call of calls ?? []) {
      const toolMessage = call.id === undefined ? undefined : results.get(call.id);
      steps.push({ name: call.name, args: call.args, result: readToolResult(call.name, toolMessage) });
    }
  }
  return { task, steps };
}

function readToolResult(name: string, message: (BaseMessage & { status?: string }) | undefined): ToolResult {
  if (!message) return { ok: false, message: `no result was recorded for ${name}.`, data: {} };
  const text = textOf(message.content);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    const shown = text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE)}...` : text;
    return {
      ok: false,
      message: `${name} answered with something that is not a JSON object: ${JSON.stringify(shown)}`,
      data: {},
    };
  }
  const data = parsed as Record<string, unknown>;
  const ok = data.ok === true && message.status !== "error";
  const text2 = typeof data.message === "string" ? data.message : "";
  return { ok, message: text2, data };
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) => {
        if (typeof part === "string") return part;
        const text = typeof part === "object" && part !== null ? (part as { text?: unknown }).text : undefined;
        return typeof text === "string" ? text : "";
      })
      .join("");
  }
  return "";
}

/** JSON with sorted keys, to compare tool-call arguments regardless of key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}
