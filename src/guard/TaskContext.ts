import { randomUUID } from "node:crypto";
import { getAddress, type Address } from "viem";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { denyAll, type Approver } from "./approvers.js";
import type { SpendingPolicy, TokenLimit } from "./SpendingPolicy.js";

/** Where a trusted address came from. Only these may receive a direct payment without a person's approval. */
export type AddressSource = "task" | "allowlist" | "address-book";

/** A verdict this agent's own code reached on a delivery (re-computing it), never the model's say-so. */
export type OwnVerdict = { verdict: "pass" | "fail"; by: string };

/**
 * How much a task may spend, per token, and where that figure came from: `stated` ("Budget 0.002 ETH"),
 * `named` (the amounts the task names: "stake 0.001 ETH"), `default` (the task asks to spend but names no
 * amount: GUILD_MAX_PER_TASK), `read-only` (the task asks for nothing that costs money: it spends nothing).
 * A token missing from `limits` may not be spent by the task.
 */
export type TaskBudget = { source: "stated" | "named" | "default" | "read-only"; limits: Map<Address, TokenLimit> };

/**
 * One task run (`guild ask`, a daemon task, an MCP call): the capabilities its tools get. The trusted
 * parts (the task's own words, the budget they give, the addresses they name, who approves) come from
 * the person who started the task, never from the model or from content it read. Tools add to
 * `verdicts` (from their own re-computation) and the guard to `spent`; the model can write neither.
 */
export type TaskContext = {
  readonly id: string;
  /** The user's own words. */
  readonly trustedText: string;
  /** Undefined: no per-task budget, only the policy's caps (a daemon's work loop, operator tools). */
  readonly budget: TaskBudget | undefined;
  /** Addresses a value-moving call may send to without a person's approval, with where each came from. */
  readonly trusted: ReadonlyMap<Address, AddressSource>;
  /** Asks a person; `denyAll` when nobody is there. */
  readonly approver: Approver;
  /** Verdicts of this agent's own checks on jobs, by job id. */
  readonly verdicts: Map<bigint, OwnVerdict>;
  /** What the task has spent so far (payments, escrow funding, stakes), per token. */
  readonly spent: Map<Address, bigint>;
};

export type CreateTaskContextParameters = {
  /** The task's words, as the person wrote them. */
  text: string;
  policy: SpendingPolicy;
  approver: Approver;
  /** Default: a random UUID. */
  id?: string;
  /** The operator's own named addresses (its wallets, an address book). */
  addressBook?: Iterable<Address>;
  /** "caps-only": no per-task budget (a daemon's work loop); default: read from `text`. */
  budget?: "from-text" | "caps-only";
};

const ADDRESS = /0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/g;
const NUMBER = String.raw`(\d+(?:\.\d+)?|\.\d+)`;
const SYMBOL = "([A-Za-z][A-Za-z0-9]{0,15})";
const STATED = [
  new RegExp(String.raw`\bbudget\b(?:\s+(?:of|is|at|to|=))*\s*[:=]?\s*${NUMBER}(?:\s*${SYMBOL})?`, "gi"),
  new RegExp(String.raw`${NUMBER}\s*${SYMBOL}\s+budget\b`, "gi"),
];
const NAMED = new RegExp(String.raw`${NUMBER}\s*${SYMBOL}\b`, "g");
/** Words that ask to move money; a task without one (and without an amount) is a question. */
const SPENDS =
  /\b(pay|pays|paying|send|transfer|tip|hire|hiring|delegate|buy|purchase|order|stake|staking|bet|fund|spend|donate|reward|escrow)\b/i;

/**
 * Builds the context of one task from the person's words and the operator's configuration. The budget is
 * what the words state ("Budget 0.002 ETH"), else the sum of the amounts they name per token ("Pay 0.01
 * ETH to 0x..."), else GUILD_MAX_PER_TASK when they ask to spend, else nothing: "What is my balance?"
 * spends 0 whatever a model then asks for. Trusted addresses: those written in the task, the allowlist
 * and the address book.
 *
 * @example
 * const task = createTaskContext({ text: "Hire a word-count agent. Budget 0.002 ETH", policy, approver: denyAll });
 * task.budget; // { source: "stated", limits: Map { 0x0…0 => { token: ETH, amount: 2000000000000000n } } }
 */
export function createTaskContext({
  text,
  policy,
  approver,
  id = randomUUID(),
  addressBook = [],
  budget = "from-text",
}: CreateTaskContextParameters): TaskContext {
  const trusted = new Map<Address, AddressSource>();
  for (const address of addressBook) trusted.set(getAddress(address), "address-book");
  for (const address of policy.allowlist ?? []) trusted.set(getAddress(address), "allowlist");
  for (const match of text.matchAll(ADDRESS)) trusted.set(getAddress(match[0]), "task");
  return {
    id,
    trustedText: text,
    budget: budget === "caps-only" ? undefined : readTaskBudget(text, policy),
    trusted,
    approver,
    verdicts: new Map(),
    spent: new Map(),
  };
}

/** The budget a task's words give (see {@link createTaskContext}). */
export function readTaskBudget(text: string, policy: SpendingPolicy): TaskBudget {
  const tokens = new Map<string, TokenLimit["token"]>();
  for (const { token } of policy.perTransaction.values()) tokens.set(token.symbol.toLowerCase(), token);
  const native = [...tokens.values()].find((token) => token.native);
  const sum = (matches: Iterable<RegExpMatchArray>, bareIsNative: boolean) => {
    const limits = new Map<Address, TokenLimit>();
    for (const match of matches) {
      const token = match[2] ? tokens.get(match[2].toLowerCase()) : bareIsNative ? native : undefined;
      if (!token || match[1] === undefined) continue;
      let amount: bigint;
      try {
        amount = parseAmount(match[1], token.decimals, "budget", true);
      } catch {
        continue; // more decimals than the token has: not an amount of it
      }
      const key = getAddress(token.address);
      limits.set(key, { token, amount: (limits.get(key)?.amount ?? 0n) + amount });
    }
    return limits;
  };
  const stated = sum(
    STATED.flatMap((pattern) => [...text.matchAll(pattern)]),
    true,
  );
  if (stated.size > 0) return { source: "stated", limits: stated };
  const named = sum(text.matchAll(NAMED), false);
  if (named.size > 0) return { source: "named", limits: named };
  if (SPENDS.test(text)) return { source: "default", limits: new Map(policy.perTask) };
  return { source: "read-only", limits: new Map() };
}

/** One sentence for the model: what the task may spend and whom it may pay. */
export function describeTaskBudget(task: TaskContext): string {
  if (!task.budget) return "This task has no budget of its own; the spending policy's caps apply.";
  const { source, limits } = task.budget;
  if (source === "read-only") {
    return "This task asks for nothing that costs money: it may not pay, hire or stake (every such call is refused).";
  }
  const amounts = [...limits.values()].map((limit) =>
    formatAmount(limit.amount, limit.token.decimals, limit.token.symbol),
  );
  const why =
    source === "stated"
      ? "as the task states"
      : source === "named"
        ? "the amounts the task names"
        : "the default per-task cap";
  return `This task may spend at most ${amounts.join(" and ")} in all (${why}). Direct payments may go only to addresses written in the task or the operator's allowlist/address book.`;
}

/**
 * The task context of a daemon's work loop: no per-task budget (the caps apply), no payee (it only
 * stakes, backed by its own checks), and `approver` for what needs a person (default: refuse).
 *
 * @example
 * const task = workLoopTask(guard.policy, approvals.approver);
 */
export function workLoopTask(policy: SpendingPolicy, approver: Approver = denyAll): TaskContext {
  return createTaskContext({ id: "work-loop", text: "", policy, approver, budget: "caps-only" });
}
