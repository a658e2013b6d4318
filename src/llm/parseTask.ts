/**
 * The task grammar of the offline planner: turns the sentences Guild's CLI and demo give an agent into a typed
 * {@link Task}. Matching is case-insensitive and tolerant of politeness ("please", "can you"), articles and
 * punctuation. A sentence that names a known form but misses something it needs (a budget, a job id, ...) becomes an
 * `incomplete` task that says what is missing; anything else is `unknown`.
 *
 * Grammar (`AMOUNT` is a decimal like `0.002`; `TOKEN` is a symbol like `ETH`/`gUSD` or a 0x address; `N` is a whole
 * number; `DURATION` is `N` with an optional unit `s|sec|seconds|m|min|minutes|h|hours|d|days`, minutes by default):
 *
 * - **hire** — starts with `hire`, `delegate` or `outsource`.
 *   - skill: `skill[:=] SKILL`, or `hire an agent for SKILL`, or `hire a SKILL agent`, or `delegate SKILL ...`
 *     (`SKILL` is letters, digits, `.`, `_`, `-`; lower-cased).
 *   - input, first that applies: `input: TEXT`; text after the first colon that follows the skill (`... in: TEXT`);
 *     the first quoted text (`'...'`, `"..."`, `` `...` ``, `“...”`); the text after `of|on|for|with|to` right after
 *     the skill. Unquoted input ends where the first option below starts; quote it if it contains those words.
 *   - options, anywhere, in any order: `budget [of|is|:] AMOUNT [TOKEN]` (also `max`, `up to`, `at most`; required),
 *     `bond [of] N%` or `N% bond`, `check window [of] DURATION`, `deadline [in|of] DURATION` or `within DURATION`.
 *   - or a JSON object: `{"skill", "input", "budget", "token"?, "bondPercent"?, "checkWindowMinutes"?,
 *     "deadlineMinutes"?}`.
 * - **check** — starts with `check|verify|review|judge|evaluate|inspect|stake` and names `job N` (or `#N`); an optional
 *   `stake AMOUNT [TOKEN]` stakes on the verdict.
 * - **settle** — `settle job N`.
 * - **claim** — `claim [my] rewards [for job N]`.
 * - **pay** — `pay|send|transfer AMOUNT [TOKEN] to 0xADDRESS`.
 * - **register** — `register as NAME with skills SKILL[, SKILL ...] at AMOUNT [TOKEN]` (`price`/`for`/`charging`
 *   work for `at`; skills may be separated by commas, spaces or `and`).
 * - **spending** — mentions `spend`, `spending`, `spent` or `expenses`; optional `last|past N hours|days|weeks` or
 *   `last hour|day|week`, `today`.
 * - **balance** — mentions `balance`; optional `in|of|for TOKEN` or `my TOKEN balance`.
 */
import { DURATION_PATTERN, durationSeconds } from "../chain/parseDuration.js";

/**
 * Example sentences of every form, keyed by the form each parses to (a test holds them to it). The first of each
 * form is the one an incomplete task of that form quotes.
 */
export const TASK_EXAMPLES = {
  hire: [
    "Hire an agent for word-count to count the words in: the quick brown fox. Budget 0.002 ETH, bond 50%, check window 2 minutes.",
    "Delegate sort of '3 1 2' with a budget of 1.5 gUSD",
    "Hire an agent for sort to sort: 5 3 9 1. Budget 0.002 ETH, bond 50%, check window 15s. Let the check decide.",
    '{"skill": "word-count", "input": "the quick brown fox", "budget": "0.002", "token": "ETH"}',
  ],
  check: ["Check the delivery of job 7", "Verify job 7 and stake 0.001 ETH"],
  settle: ["Settle job 7"],
  claim: ["Claim my rewards for job 7"],
  spending: ["Report my spending for the last 24 hours"],
  balance: ["What is my balance in gUSD?"],
  pay: ["Pay 0.01 ETH to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8"],
  register: ["Register as bob with skills word-count, sort at 0.001 ETH"],
} as const satisfies Record<TaskForm, readonly [string, ...string[]]>;

/** Every example sentence, for `--help` text and the planner's "I do not understand" answer. */
export const SUPPORTED_TASKS: readonly string[] = Object.values(TASK_EXAMPLES).flat();

export type HireTask = {
  kind: "hire";
  skill: string;
  input: string;
  budget: string;
  token?: string;
  bondPercent?: number;
  checkWindowMinutes?: number;
  deadlineMinutes?: number;
  /** "let the check decide": skip the client's own verification and early approval; settle by the check. */
  letCheckDecide?: boolean;
};
export type CheckTask = { kind: "check"; jobId: string; stake?: string };
export type SettleTask = { kind: "settle"; jobId: string };
export type ClaimTask = { kind: "claim"; jobId?: string };
export type PayTask = { kind: "pay"; to: `0x${string}`; amount: string; token?: string };
export type RegisterTask = { kind: "register"; name: string; skills: string[]; price: string; token?: string };
export type SpendingTask = { kind: "spending"; sinceHours?: number };
export type BalanceTask = { kind: "balance"; token?: string };
/** A known form with something missing or wrong; `problem` says what, `example` shows a correct sentence. */
export type IncompleteTask = { kind: "incomplete"; form: TaskForm; problem: string; example: string };
export type UnknownTask = { kind: "unknown" };

export type Task =
  | HireTask
  | CheckTask
  | SettleTask
  | ClaimTask
  | PayTask
  | RegisterTask
  | SpendingTask
  | BalanceTask
  | IncompleteTask
  | UnknownTask;

export type TaskForm = "hire" | "check" | "settle" | "claim" | "pay" | "register" | "spending" | "balance";

const AMOUNT = String.raw`(\d+(?:\.\d+)?)`;
const TOKEN = "(0x[0-9a-fA-F]{40}|[A-Za-z][A-Za-z0-9]{0,11})";
const DURATION = DURATION_PATTERN;
const SKILL = "([a-z0-9][a-z0-9._-]*)";
const JOB_ID = /(?:\bjob\s*(?:id\s*)?(?:#|no\.?\s*|number\s*)?:?\s*|#)(\d+)\b/i;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Token symbols written in any case; anything else must contain a capital letter to count as a symbol. */
const KNOWN_TOKENS: Record<string, string> = {
  eth: "ETH",
  gusd: "gUSD",
  weth: "WETH",
  usdc: "USDC",
  usdt: "USDT",
  dai: "DAI",
};
const NOT_TOKENS = new Set(
  [
    "and",
    "with",
    "to",
    "for",
    "of",
    "in",
    "on",
    "per",
    "bond",
    "check",
    "deadline",
    "the",
    "a",
    "an",
    "at",
    "as",
  ].concat(["budget", "within"]),
);

/**
 * Parses one task sentence (or a JSON hire task) into a {@link Task}. Pure and deterministic.
 *
 * @example
 * parseTask("Delegate sort of '3 1 2' with a budget of 1.5 gUSD");
 * // { kind: "hire", skill: "sort", input: "3 1 2", budget: "1.5", token: "gUSD" }
 */
export function parseTask(text: string): Task {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) return parseJsonHire(trimmed);
  const sentence = stripPoliteness(trimmed);
  if (/^(?:hire|delegate|outsource)\b/i.test(sentence)) return parseHire(sentence);
  if (/^settle\b/i.test(sentence)) return parseSettle(sentence);
  if (/^claim\b/i.test(sentence)) return parseClaim(sentence);
  if (/^(?:pay|send|transfer)\b/i.test(sentence)) return parsePay(sentence);
  if (/^register\b/i.test(sentence)) return parseRegister(sentence);
  if (/^(?:check|verify|review|judge|evaluate|inspect|stake)\b/i.test(sentence)) return parseCheck(sentence);
  if (/\b(?:spend|spending|spent|expenses?|expenditures?)\b/i.test(sentence)) return parseSpending(sentence);
  if (/\bbalances?\b/i.test(sentence)) return parseBalance(sentence);
  return { kind: "unknown" };
}

function stripPoliteness(text: string): string {
  let out = text;
  for (;;) {
    const next = out.replace(
      new RegExp(
        "^(?:please|kindly|now|ok(?:ay)?|hey|task\\s*:|can you|could you|would you|will you|i want you to" +
          "|i'd like you to|i would like you to|go and|go ahead and)[\\s,]+",
        "i",
      ),
      "",
    );
    if (next === out) return out;
    out = next;
  }
}

function incomplete(form: TaskForm, problem: string): IncompleteTask {
  return { kind: "incomplete", form, problem, example: TASK_EXAMPLES[form][0] };
}

function normalizeToken(word: string | undefined): string | undefined {
  if (!word) return undefined;
  if (ADDRESS.test(word)) return word;
  const known = KNOWN_TOKENS[word.toLowerCase()];
  if (known) return known;
  if (NOT_TOKENS.has(word.toLowerCase())) return undefined;
  return /[A-Z]/.test(word) ? word : undefined;
}

function toMinutes(value: string, unit: string | undefined): number {
  return durationSeconds(value, unit, "m") / 60;
}

function findJobId(text: string): string | undefined {
  return JOB_ID.exec(text)?.[1];
}

type Found<T> = { value: T; index: number };

/** Earliest match of any of `patterns`; `read` turns the match into a value (undefined = ignore the match). */
function findOption<T>(
  text: string,
  patterns: RegExp[],
  read: (match: RegExpExecArray) => T | undefined,
): Found<T> | undefined {
  let best: Found<T> | undefined;
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    if (!match) continue;
    const value = read(match);
    if (value === undefined) continue;
    if (!best || match.index < best.index) best = { value, index: match.index };
  }
  return best;
}

type HireOptions = {
  budget: Found<{ amount: string; token: string | undefined }> | undefined;
  bond: Found<number> | undefined;
  checkWindow: Found<number> | undefined;
  deadline: Found<number> | undefined;
};

function findHireOptions(text: string): HireOptions {
  const budget = findOption(
    text,
    [
      new RegExp(
        String.raw`\b(?:budget|max(?:imum)?(?:\s+price)?|price\s+limit)\b(?:\s+(?:of|is|=))*\s*[:=]?\s*${AMOUNT}(?:\s*${TOKEN})?`,
        "i",
      ),
      new RegExp(String.raw`\b(?:up\s+to|at\s+most)\s+${AMOUNT}(?:\s*${TOKEN})?`, "i"),
    ],
    (m) => ({ amount: m[1] ?? "", token: normalizeToken(m[2]) }),
  );
  const bond = findOption(
    text,
    [
      /\bbond(?:\s+(?:of|is|=|percent(?:age)?))*\s*[:=]?\s*(\d{1,3})\s*(?:%|percent\b)?/i,
      /\b(\d{1,3})\s*(?:%|percent)\s+bond\b/i,
    ],
    (m) => Number(m[1]),
  );
  const checkWindow = findOption(
    text,
    [
      new RegExp(
        String.raw`\b(?:check(?:ing)?|challenge|review)[\s-]*window\b(?:\s+(?:of|is|=))*\s*[:=]?\s*${DURATION}`,
        "i",
      ),
    ],
    (m) => toMinutes(m[1] ?? "0", m[2]),
  );
  const deadline = findOption(
    text,
    [
      new RegExp(String.raw`\bdeadline\b(?:\s+(?:of|in|is|=))*\s*[:=]?\s*${DURATION}`, "i"),
      new RegExp(String.raw`\b(?:due\s+)?within\s+${DURATION}`, "i"),
    ],
    (m) => (m[2] === undefined && !/deadline/i.test(m[0]) ? undefined : toMinutes(m[1] ?? "0", m[2])),
  );
  return { budget, bond, checkWindow, deadline };
}

/** Removes the connectors and punctuation that sit between an input and the option clause after it. */
function trimInput(raw: string): string {
  let out = raw.trim();
  for (;;) {
    const next = out.replace(/(?:[\s,.;]+|\s+(?:with|and|plus)(?:\s+(?:a|an|the))?)$/i, "").trim();
    if (next === out) break;
    out = next;
  }
  return unquote(out);
}

const QUOTES: Array<[string, string]> = [
  ["'", "'"],
  ['"', '"'],
  ["`", "`"],
  ["“", "”"],
  ["‘", "’"],
];

function unquote(text: string): string {
  for (const [open, close] of QUOTES) {
    if (text.length >= 2 && text.startsWith(open) && text.endsWith(close))
      return text.slice(open.length, -close.length);
  }
  return text;
}

/** The first quoted text at or after `from`; a closing quote must be followed by a space, punctuation or the end. */
function findQuoted(text: string, from: number): { index: number; value: string } | undefined {
  let best: { index: number; value: string } | undefined;
  for (const [open, close] of QUOTES) {
    const pattern = new RegExp(`${escapeRegExp(open)}([^]*?)${escapeRegExp(close)}(?=[\\s.,;:!?)]|$)`, "g");
    pattern.lastIndex = from;
    const match = pattern.exec(text);
    if (match && match[1] !== undefined && (!best || match.index < best.index))
      best = { index: match.index, value: match[1] };
  }
  return best;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const NOT_SKILLS = new Set([
  "agent",
  "provider",
  "worker",
  "someone",
  "somebody",
  "skill",
  "job",
  "task",
  "work",
  "an",
  "a",
  "the",
  "to",
  "me",
]);

function findSkill(text: string): (Found<string> & { end: number }) | undefined {
  const patterns = [
    new RegExp(
      String.raw`^(?:hire|delegate|outsource)\s+(?:(?:an?|the|some)\s+)?(?:agent|provider|worker|someone|somebody)\s+` +
        String.raw`(?:for|with(?:\s+the)?\s+skill|skilled\s+in|that\s+does|who\s+does|to\s+do|doing)\s+` +
        String.raw`(?:the\s+)?["'\`]?${SKILL}`,
      "i",
    ),
    new RegExp(
      String.raw`^(?:hire|delegate|outsource)\s+(?:to\s+)?(?:(?:an?|the|some)\s+)?${SKILL}\s+(?:agent|provider|worker)\b`,
      "i",
    ),
    new RegExp(String.raw`^(?:hire|delegate|outsource)\s+(?:(?:an?|the)\s+)?${SKILL}`, "i"),
    // "hire an agent, skill: word-count" — last, so a "skill" inside the input does not win.
    new RegExp(String.raw`\bskill\s*(?:[:=]|\bis\b)?\s*["'\`]?${SKILL}`, "i"),
  ];
  for (const pattern of patterns) {
    const match = pattern.exec(text);
    const skill = match?.[1];
    if (!match || !skill || NOT_SKILLS.has(skill.toLowerCase())) continue;
    const end = match.index + match[0].length;
    // For "hire a SKILL agent" the input starts after the word "agent", which the match includes.
    return { value: skill.toLowerCase().replace(/[.]+$/, ""), index: match.index, end };
  }
  return undefined;
}

/** Start of the first option clause after `from`, or the end of the text. */
function optionStart(options: HireOptions, from: number, length: number): number {
  let start = length;
  for (const found of [options.budget, options.bond, options.checkWindow, options.deadline]) {
    if (found && found.index >= from && found.index < start) start = found.index;
  }
  return start;
}

function findInput(text: string, skillEnd: number, options: HireOptions): string | undefined {
  // "input: TEXT"
  const explicit = /\binput\s*(?:[:=]|\bis\b)\s*/i.exec(text);
  if (explicit) {
    const from = explicit.index + explicit[0].length;
    return trimInput(text.slice(from, optionStart(options, from, text.length)));
  }
  // "... in: TEXT" — the first colon after the skill that does not belong to an option ("budget: 1"),
  // unless a quoted text starts before it.
  const quoted = findQuoted(text, skillEnd);
  const colon = /(\w*)\s*:(?!\d)/g;
  colon.lastIndex = skillEnd;
  for (let match = colon.exec(text); match; match = colon.exec(text)) {
    if (/^(?:budget|bond|window|deadline|skill|price|max|maximum|token)$/i.test(match[1] ?? "")) continue;
    if (quoted && quoted.index < match.index) break;
    const from = match.index + match[0].length;
    return trimInput(text.slice(from, optionStart(options, from, text.length)));
  }
  if (quoted !== undefined) return quoted.value;
  // "delegate sort of 3 1 2, budget ..."
  const after = /^\s+(?:of|on|for|with(?:\s+input)?|to)\s+/i.exec(text.slice(skillEnd));
  if (after) {
    const from = skillEnd + after[0].length;
    const input = trimInput(text.slice(from, optionStart(options, from, text.length)));
    return input.length > 0 ? input : undefined;
  }
  return undefined;
}

function parseHire(text: string): HireTask | IncompleteTask {
  const options = findHireOptions(text);
  const skill = findSkill(text);
  if (!skill) return incomplete("hire", "Say which skill to hire for, e.g. 'for word-count'.");
  const input = findInput(text, skill.end, options);
  if (input === undefined || input.length === 0) {
    return incomplete(
      "hire",
      'Say what the agent should work on, after a colon or in quotes, e.g. "in: the quick brown fox".',
    );
  }
  if (!options.budget) return incomplete("hire", "Say the budget, e.g. 'Budget 0.002 ETH'.");
  return buildHire({
    skill: skill.value,
    input,
    budget: options.budget.value.amount,
    token: options.budget.value.token,
    bondPercent: options.bond?.value,
    checkWindowMinutes: options.checkWindow?.value,
    deadlineMinutes: options.deadline?.value,
    letCheckDecide: LET_CHECK_DECIDE.test(text),
  });
}

const LET_CHECK_DECIDE = /let the (?:staked )?check decide|no early approval|(?:do not|don't) approve early/i;

function buildHire(fields: {
  skill: string;
  input: string;
  budget: string;
  token: string | undefined;
  bondPercent: number | undefined;
  checkWindowMinutes: number | undefined;
  deadlineMinutes: number | undefined;
  letCheckDecide?: boolean;
}): HireTask | IncompleteTask {
  if (!/^[a-z0-9][a-z0-9._-]*$/.test(fields.skill)) {
    return incomplete("hire", `"${fields.skill}" is not a skill name (letters, digits, '.', '_', '-').`);
  }
  if (!/^\d+(?:\.\d+)?$/.test(fields.budget) || Number(fields.budget) <= 0) {
    return incomplete("hire", "The budget must be a positive decimal amount, e.g. 0.002.");
  }
  if (
    fields.bondPercent !== undefined &&
    (!Number.isInteger(fields.bondPercent) || fields.bondPercent < 0 || fields.bondPercent > 100)
  ) {
    return incomplete("hire", "The bond must be a whole percentage from 0 to 100.");
  }
  for (const [name, value] of [
    ["check window", fields.checkWindowMinutes],
    ["deadline", fields.deadlineMinutes],
  ] as const) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      return incomplete("hire", `The ${name} must be a positive duration.`);
  }
  return {
    kind: "hire",
    skill: fields.skill,
    input: fields.input,
    budget: fields.budget,
    ...(fields.token === undefined ? {} : { token: fields.token }),
    ...(fields.bondPercent === undefined ? {} : { bondPercent: fields.bondPercent }),
    ...(fields.checkWindowMinutes === undefined ? {} : { checkWindowMinutes: fields.checkWindowMinutes }),
    ...(fields.deadlineMinutes === undefined ? {} : { deadlineMinutes: fields.deadlineMinutes }),
    ...(fields.letCheckDecide ? { letCheckDecide: true } : {}),
  };
}

function parseJsonHire(text: string): Task {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: "unknown" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { kind: "unknown" };
  const o = value as Record<string, unknown>;
  const str = (key: string): string | undefined => {
    const v = o[key];
    return typeof v === "string" ? v.trim() : typeof v === "number" ? String(v) : undefined;
  };
  const num = (key: string): number | undefined => {
    const v = o[key];
    return typeof v === "number" ? v : typeof v === "string" && v !== "" ? Number(v) : undefined;
  };
  const skill = str("skill");
  const input = typeof o.input === "string" ? o.input : undefined;
  const budget = str("budget");
  if (!skill) return incomplete("hire", 'The JSON task needs "skill".');
  if (input === undefined || input.length === 0) return incomplete("hire", 'The JSON task needs "input" (a string).');
  if (!budget) return incomplete("hire", 'The JSON task needs "budget" (a decimal string such as "0.002").');
  const token = str("token");
  return buildHire({
    skill: skill.toLowerCase(),
    input,
    budget,
    token: token === undefined ? undefined : (normalizeToken(token) ?? token),
    bondPercent: num("bondPercent"),
    checkWindowMinutes: num("checkWindowMinutes"),
    deadlineMinutes: num("deadlineMinutes"),
  });
}

function parseCheck(text: string): CheckTask | IncompleteTask {
  const jobId = findJobId(text);
  if (!jobId) return incomplete("check", "Say which job, e.g. 'job 7'.");
  const stake = new RegExp(String.raw`\bstak(?:e|ing)\s+(?:of\s+)?${AMOUNT}`, "i").exec(text)?.[1];
  if (stake !== undefined && !(Number(stake) > 0)) return incomplete("check", "The stake must be a positive amount.");
  return { kind: "check", jobId, ...(stake === undefined ? {} : { stake }) };
}

function parseSettle(text: string): SettleTask | IncompleteTask {
  const jobId = findJobId(text);
  return jobId ? { kind: "settle", jobId } : incomplete("settle", "Say which job, e.g. 'Settle job 7'.");
}

function parseClaim(text: string): ClaimTask {
  const jobId = findJobId(text);
  return jobId ? { kind: "claim", jobId } : { kind: "claim" };
}

function parsePay(text: string): PayTask | IncompleteTask {
  const amount = new RegExp(String.raw`^(?:pay|send|transfer)\s+${AMOUNT}(?:\s*${TOKEN})?`, "i").exec(text);
  const to = /\bto\s+(0x[0-9a-fA-F]{40})\b/i.exec(text)?.[1];
  if (!amount?.[1]) return incomplete("pay", "Say the amount right after 'pay', e.g. 'Pay 0.01 ETH to 0x...'.");
  if (!(Number(amount[1]) > 0)) return incomplete("pay", "The amount must be positive.");
  if (!to) return incomplete("pay", "Say the recipient as a 0x address after 'to'.");
  const token = normalizeToken(amount[2]);
  return { kind: "pay", to: to as `0x${string}`, amount: amount[1], ...(token === undefined ? {} : { token }) };
}

function parseRegister(text: string): RegisterTask | IncompleteTask {
  const name =
    /^register\s+(?:me\s+|myself\s+)?(?:as\s+)?(?:(?:an?|the)\s+agent\s+)?(?:(?:named|called)\s+)?["']?([A-Za-z0-9][\w.-]*)/i
      .exec(text)?.[1]
      ?.replace(/[.]+$/, "");
  const skillsText =
    /\bskills?\s*[:=]?\s+(.+?)(?=\s+(?:at|for|price[ds]?|priced|charging|costing)\b|[;]|\.(?:\s|$)|$)/i.exec(text)?.[1];
  const price = new RegExp(
    String.raw`\b(?:at|for|price[ds]?(?:\s+at)?|priced\s+at|charging|costing)\s*[:=]?\s+${AMOUNT}(?:\s*${TOKEN})?`,
    "i",
  ).exec(text);
  if (!name || /^(?:with|skills?|at|for|an?|the|agent)$/i.test(name))
    return incomplete("register", "Say the agent's name, e.g. 'as bob'.");
  const skills = (skillsText ?? "")
    .split(/\s*,\s*|\s+and\s+|\s+/i)
    .map((s) =>
      s
        .trim()
        .toLowerCase()
        .replace(/^["']|["']$/g, ""),
    )
    .filter((s) => s.length > 0);
  if (skills.length === 0) return incomplete("register", "Say the skills, e.g. 'with skills word-count, sort'.");
  const bad = skills.find((s) => !/^[a-z0-9][a-z0-9._-]*$/.test(s));
  if (bad !== undefined)
    return incomplete("register", `"${bad}" is not a skill name (letters, digits, '.', '_', '-').`);
  if (!price?.[1]) return incomplete("register", "Say the price per job, e.g. 'at 0.001 ETH'.");
  const token = normalizeToken(price[2]);
  return {
    kind: "register",
    name,
    skills: [...new Set(skills)],
    price: price[1],
    ...(token === undefined ? {} : { token }),
  };
}

function parseSpending(text: string): SpendingTask {
  const counted =
    /\b(?:last|past|previous)\s+(\d+(?:\.\d+)?)\s*(hours?|hrs?|h|days?|d|weeks?|w|minutes?|mins?)\b/i.exec(text);
  if (counted?.[1]) {
    const n = Number(counted[1]);
    const unit = (counted[2] ?? "h").toLowerCase();
    const hours = unit.startsWith("d") ? n * 24 : unit.startsWith("w") ? n * 168 : unit.startsWith("m") ? n / 60 : n;
    return { kind: "spending", sinceHours: hours };
  }
  const single = /\b(?:last|past|previous)\s+(hour|day|week)\b/i.exec(text)?.[1]?.toLowerCase();
  if (single) return { kind: "spending", sinceHours: single === "hour" ? 1 : single === "day" ? 24 : 168 };
  if (/\btoday\b/i.test(text)) return { kind: "spending", sinceHours: 24 };
  return { kind: "spending" };
}

function parseBalance(text: string): BalanceTask {
  const word =
    new RegExp(String.raw`\b(?:in|of|for)\s+${TOKEN}\b`, "i").exec(text)?.[1] ??
    new RegExp(String.raw`\bmy\s+${TOKEN}\s+balance\b`, "i").exec(text)?.[1];
  const token = normalizeToken(word);
  return token === undefined ? { kind: "balance" } : { kind: "balance", token };
}
