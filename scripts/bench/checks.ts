/**
 * How well checks by criteria tell honest work from wrong work, and what they cost.
 *
 *   npm run bench:checks [-- --repeat 3 --min-confidence 0.8]
 *
 * A labelled set of deliveries per criteria kind — honest, garbage, plausible but wrong (off by one, a wrong
 * field, a function that passes the obvious examples and fails an edge case), partial — goes through the
 * checker's code path (`verifyDelivery`, what a checker daemon runs before it stakes) and the checker's stake
 * rule (stake only at `--min-confidence` or above; otherwise abstain, and the provider's bond carries the job).
 * Each case says whether its criteria can tell it from honest work at all: a weak test suite cannot, and the
 * table shows it instead of hiding it.
 *
 * Printed per kind: cases, honest work paid, wrong work refunded, precision and recall of "fail" verdicts
 * (wrong work is the positive class), recall where the criteria can tell, abstentions, the median time per
 * check; then the sandbox's overhead: its setup (runtime, context, harness, lockdown) and run time per test
 * suite, against the same suites run natively in Node (trusted code, bench only).
 *
 * Rubric criteria need a model: without OPENAI_API_KEY every rubric case is "cannot judge" (no stake), which
 * the table reports as it is.
 */
import { parseArgs } from "node:util";
import { loadConfig } from "../../src/config/loadConfig.js";
import type { CriterionInput } from "../../src/criteria/criteriaSchema.js";
import { parseCriteria } from "../../src/criteria/parseCriteria.js";
import { createChatModel } from "../../src/llm/createChatModel.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { createExtractFieldsSkill } from "../../src/skills/builtin/extractFields.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { SUBTLY_WRONG_FUNCTIONS } from "../../src/skills/demo/subtlyWrongFunctions.js";
import { FUNCTION_LIBRARY } from "../../src/skills/functions/functionLibrary.js";
import type { JobSpec } from "../../src/skills/jobSpec.js";
import { createLlmJudge } from "../../src/skills/llmSkills.js";
import { type DeliveryJudge, verifyDelivery } from "../../src/skills/verifyDelivery.js";

const { values } = parseArgs({
  options: {
    repeat: { type: "string", default: "3" },
    "min-confidence": { type: "string", default: "0.8" },
  },
});
const REPEAT = Math.max(1, Number(values.repeat));
const MIN_CONFIDENCE = Number(values["min-confidence"]);

type Truth = "honest" | "wrong";
type Case = {
  kind: string;
  name: string;
  spec: JobSpec;
  content: string;
  truth: Truth;
  /** Can these criteria tell this delivery from honest work at all? */
  detectable: boolean;
};

const cases: Case[] = [];
const add = (
  kind: string,
  name: string,
  skill: string,
  input: string,
  criteria: CriterionInput[] | undefined,
  content: string,
  truth: Truth,
  detectable = true,
) =>
  cases.push({
    kind,
    name,
    spec: { skill, input, ...(criteria ? { criteria: parseCriteria(criteria) } : {}) },
    content,
    truth,
    detectable,
  });

// exact: the deterministic skills, re-computed.
{
  const text = "Agents with wallets hire each other and pay through an escrow contract";
  const exact: CriterionInput[] = [{ kind: "exact" }];
  add("exact", "word-count honest", "word-count", text, exact, "12", "honest");
  add("exact", "word-count off by one", "word-count", text, exact, "13", "wrong");
  add("exact", "word-count garbage", "word-count", text, exact, "many words", "wrong");
  add("exact", "sort honest", "sort", "42 7 19 3 88 21", exact, "3 7 19 21 42 88", "honest");
  add("exact", "sort descending", "sort", "42 7 19 3 88 21", exact, "88 42 21 19 7 3", "wrong");
  add("exact", "sort partial", "sort", "42 7 19 3 88 21", exact, "3 7 19 21 42", "wrong");
  add("exact", "sort as text", "sort", "42 7 19 3 88 21", exact, "19 21 3 42 7 88", "wrong");
  add(
    "exact",
    "sha256 honest",
    "sha256",
    "abc",
    exact,
    "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    "honest",
  );
  add(
    "exact",
    "sha256 one digit off",
    "sha256",
    "abc",
    exact,
    "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae",
    "wrong",
  );
  add("exact", "given value, padded", "answer", "6 x 7?", [{ kind: "exact", expected: "42" }], " 42\n", "honest");
}

// json-schema: an invoice extraction checked by its schema alone.
const invoice = [
  "ACME Tools Ltd — Invoice",
  "Invoice number: INV-2041",
  "Issued: 5 March 2024",
  "Customer email: billing@example.org",
  "Total: 1,250.50 EUR",
  "Paid: no",
].join("\n");
const invoiceSchema = {
  type: "object",
  properties: {
    invoiceNumber: { type: "string", pattern: "^INV-\\d+$" },
    issued: { type: "string", format: "date" },
    customerEmail: { type: "string", format: "email" },
    total: { type: "number" },
    paid: { type: "boolean" },
  },
  required: ["invoiceNumber", "issued", "customerEmail", "total", "paid"],
  additionalProperties: false,
};
const honestInvoice = {
  invoiceNumber: "INV-2041",
  issued: "2024-03-05",
  customerEmail: "billing@example.org",
  total: 1250.5,
  paid: false,
};
{
  const schemaOnly: CriterionInput[] = [{ kind: "json-schema", schema: invoiceSchema }];
  const json = (value: unknown) => JSON.stringify(value);
  add("json-schema", "honest extraction", "extract-fields", invoice, schemaOnly, json(honestInvoice), "honest");
  add(
    "json-schema",
    "honest, other key order",
    "extract-fields",
    invoice,
    schemaOnly,
    json(Object.fromEntries(Object.entries(honestInvoice).reverse())),
    "honest",
  );
  add(
    "json-schema",
    "garbage (prose)",
    "extract-fields",
    invoice,
    schemaOnly,
    "The invoice is INV-2041 for 1250.50 EUR.",
    "wrong",
  );
  add(
    "json-schema",
    "total as a string",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, total: "1,250.50" }),
    "wrong",
  );
  add(
    "json-schema",
    "date not ISO",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, issued: "5 March 2024" }),
    "wrong",
  );
  add(
    "json-schema",
    "wrong field (company as number)",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, invoiceNumber: "ACME Tools Ltd" }),
    "wrong",
  );
  const { paid: _paid, customerEmail: _email, ...partial } = honestInvoice;
  add("json-schema", "partial (two fields missing)", "extract-fields", invoice, schemaOnly, json(partial), "wrong");
  add(
    "json-schema",
    "extra field",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, vat: 20 }),
    "wrong",
  );
  add(
    "json-schema",
    "total off by a cent (schema-valid)",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, total: 1250.51 }),
    "wrong",
    false,
  );
  add(
    "json-schema",
    "paid flipped (schema-valid)",
    "extract-fields",
    invoice,
    schemaOnly,
    json({ ...honestInvoice, paid: true }),
    "wrong",
    false,
  );
}

// json-schema + constraints: the same deliveries, with the values pinned where the client knows them.
{
  const pinned: CriterionInput[] = [
    { kind: "json-schema", schema: invoiceSchema },
    { kind: "constraints", path: "/total", number: { equals: 1250.5, tolerance: 0.005 } },
    { kind: "constraints", path: "/invoiceNumber", include: ["2041"] },
  ];
  const json = (value: unknown) => JSON.stringify(value);
  add("schema+constraints", "honest extraction", "extract-fields", invoice, pinned, json(honestInvoice), "honest");
  add(
    "schema+constraints",
    "total off by a cent",
    "extract-fields",
    invoice,
    pinned,
    json({ ...honestInvoice, total: 1250.51 }),
    "wrong",
  );
  add(
    "schema+constraints",
    "total off by 10x",
    "extract-fields",
    invoice,
    pinned,
    json({ ...honestInvoice, total: 125.05 }),
    "wrong",
  );
  add(
    "schema+constraints",
    "another invoice's number",
    "extract-fields",
    invoice,
    pinned,
    json({ ...honestInvoice, invoiceNumber: "INV-2014" }),
    "wrong",
  );
  add(
    "schema+constraints",
    "paid flipped (not pinned)",
    "extract-fields",
    invoice,
    pinned,
    json({ ...honestInvoice, paid: true }),
    "wrong",
    false,
  );
}

// tests: the function library's suites, and a weak suite of the examples a client thinks of first.
// Which edge-case bugs the weak suites still catch (fizzBuzz's short list shows at index 14; 2024 needs "IV").
const weakSuiteCatches = new Set(["fizzBuzz", "toRoman"]);
const weakSuites: Record<string, string> = {
  isPrime:
    "test('examples', () => { assert.equal(isPrime(2), true); assert.equal(isPrime(7), true); assert.equal(isPrime(10), false); });",
  median: "test('examples', () => { assert.equal(median([3, 1, 2]), 2); assert.equal(median([1, 2, 3, 4]), 2.5); });",
  fizzBuzz:
    "test('examples', () => { const r = fizzBuzz(15); assert.equal(r[2], 'Fizz'); assert.equal(r[4], 'Buzz'); assert.equal(r[14], 'FizzBuzz'); });",
  clamp:
    "test('examples', () => { assert.equal(clamp(5, 0, 10), 5); assert.equal(clamp(-1, 0, 10), 0); assert.equal(clamp(11, 0, 10), 10); });",
  toRoman:
    "test('examples', () => { assert.equal(toRoman(1), 'I'); assert.equal(toRoman(6), 'VI'); assert.equal(toRoman(2024), 'MMXXIIII'.replace('IIII', 'IV')); });",
  isLeapYear:
    "test('examples', () => { assert.equal(isLeapYear(2024), true); assert.equal(isLeapYear(2023), false); });",
};
{
  for (const f of FUNCTION_LIBRARY) {
    const strong: CriterionInput[] = [{ kind: "tests", code: f.tests }];
    const input = `${f.name}(${f.params.join(", ")}): ${f.summary}`;
    add("tests", `${f.name} honest`, "js-function", input, strong, f.source, "honest");
    const wrong = SUBTLY_WRONG_FUNCTIONS[f.name];
    if (wrong)
      add(
        "tests",
        `${f.name} edge-case bug (${wrong.bug.split(":")[0]})`,
        "js-function",
        input,
        strong,
        wrong.source,
        "wrong",
      );
  }
  const isPrime = must(
    FUNCTION_LIBRARY.find((f) => f.name === "isPrime"),
    "isPrime",
  );
  const strong: CriterionInput[] = [{ kind: "tests", code: isPrime.tests }];
  const input = "isPrime(n): true when n is prime";
  add("tests", "garbage (prose)", "js-function", input, strong, "Here is your function: it checks primes.", "wrong");
  add("tests", "does not parse", "js-function", input, strong, "function isPrime(n) { return n > 1 &&", "wrong");
  add("tests", "wrong name", "js-function", input, strong, isPrime.source.replace("isPrime", "is_prime"), "wrong");
  add(
    "tests",
    "hangs on an edge case",
    "js-function",
    input,
    strong,
    "function isPrime(n) { while (n < 2) {} for (let i = 2; i * i <= n; i++) if (n % i === 0) return false; return true; }",
    "wrong",
  );
  add(
    "tests",
    "partial (no check below 2)",
    "js-function",
    input,
    strong,
    "function isPrime(n) { for (let i = 2; i * i <= n; i++) if (n % i === 0) return false; return true; }",
    "wrong",
  );
  add(
    "tests",
    "hard-codes the suite's inputs",
    "js-function",
    input,
    strong,
    "function isPrime(n) { return [2, 3, 5, 7, 11, 13, 97].includes(n); }",
    "wrong",
    false,
  );
  for (const [name, suite] of Object.entries(weakSuites)) {
    const f = must(
      FUNCTION_LIBRARY.find((entry) => entry.name === name),
      name,
    );
    const weak: CriterionInput[] = [{ kind: "tests", code: suite }];
    const signature = `${f.name}(${f.params.join(", ")}): ${f.summary}`;
    add("tests (weak suite)", `${name} honest`, "js-function", signature, weak, f.source, "honest");
    add(
      "tests (weak suite)",
      `${name} edge-case bug`,
      "js-function",
      signature,
      weak,
      must(SUBTLY_WRONG_FUNCTIONS[name], name).source,
      "wrong",
      weakSuiteCatches.has(name),
    );
  }
}

// constraints: an answer with length bounds, required and forbidden phrases, a number within a tolerance.
{
  const summary: CriterionInput[] = [
    { kind: "constraints", minWords: 8, maxWords: 40, include: ["escrow", "checker"], exclude: ["as an AI"] },
  ];
  const task = "Summarise how Guild pays for work, in under 40 words, mentioning the escrow and the checkers.";
  add(
    "constraints",
    "honest summary",
    "answer",
    task,
    summary,
    "Clients lock payment in an escrow; a checker stakes on the delivery, and the escrow pays the worker only if the staked check passes.",
    "honest",
  );
  add("constraints", "garbage", "answer", task, summary, "lorem ipsum", "wrong");
  add(
    "constraints",
    "too long",
    "answer",
    task,
    summary,
    `${"The escrow holds the money and the checker checks the work. ".repeat(5)}`,
    "wrong",
  );
  add(
    "constraints",
    "partial (no checkers)",
    "answer",
    task,
    summary,
    "Clients lock payment in an escrow contract and the worker is paid when the job is approved by the client.",
    "wrong",
  );
  add(
    "constraints",
    "forbidden phrase",
    "answer",
    task,
    summary,
    "As an AI I think the escrow holds funds and a checker stakes on the result of the job.",
    "wrong",
  );
  add(
    "constraints",
    "on-topic words, wrong story",
    "answer",
    task,
    summary,
    "The checker pays the escrow, which then pays the client back twice for every job it sees.",
    "wrong",
    false,
  );
  const pi: CriterionInput[] = [
    { kind: "constraints", number: { equals: Math.round(Math.PI * 1e4) / 1e4, tolerance: 0.00005 } },
  ];
  add("constraints", "number honest", "answer", "pi to 4 decimals", pi, "3.1416", "honest");
  add("constraints", "number off by one digit", "answer", "pi to 4 decimals", pi, "3.1426", "wrong");
  add("constraints", "number with words", "answer", "pi to 4 decimals", pi, "about 3.14", "wrong");
  const format: CriterionInput[] = [{ kind: "constraints", match: ["^[A-Z]{3}-\\d{4}$"], caseSensitive: true }];
  add("constraints", "code format honest", "answer", "a ticket code", format, "GLD-2041", "honest");
  add("constraints", "code format wrong case", "answer", "a ticket code", format, "gld-2041", "wrong");
}

// rubric: a model judge; cannot judge offline.
{
  const rubric: CriterionInput[] = [
    { kind: "rubric", rubric: "Names Canberra as the capital of Australia, in one sentence." },
  ];
  add(
    "rubric",
    "honest answer",
    "answer",
    "What is the capital of Australia?",
    rubric,
    "The capital of Australia is Canberra.",
    "honest",
  );
  add(
    "rubric",
    "plausible but wrong",
    "answer",
    "What is the capital of Australia?",
    rubric,
    "The capital of Australia is Sydney.",
    "wrong",
  );
  add("rubric", "garbage", "answer", "What is the capital of Australia?", rubric, "I like trains.", "wrong");
}

const config = loadConfig();
const logger = silentLogger();
const judge: DeliveryJudge | undefined = config.openai.apiKey
  ? createLlmJudge(createChatModel({ config, logger }).model)
  : undefined;
const skills = new Map(BUILTIN_SKILLS);
skills.set("extract-fields", createExtractFieldsSkill());

type Outcome = "paid" | "refunded" | "abstained";
type Row = Case & { outcome: Outcome; verdict: string; confidence: number; ms: number; reason: string };
const rows: Row[] = [];
const sandboxRuns: { setupMs: number; runMs: number; code: string; content: string }[] = [];

// One warm-up check loads the WebAssembly module, so the figures are per check, not per process.
await verifyDelivery(
  must(
    cases.find((c) => c.kind === "tests"),
    "a tests case",
  ).spec,
  "function f() {}",
  skills,
  judge,
);

for (const item of cases) {
  const times: number[] = [];
  let verdict = await verifyDelivery(item.spec, item.content, skills, judge);
  for (let i = 0; i < REPEAT; i++) {
    const started = performance.now();
    verdict = await verifyDelivery(item.spec, item.content, skills, judge);
    times.push(performance.now() - started);
    for (const result of verdict.results ?? []) {
      if (result.sandbox) {
        const criterion = must(
          item.spec.criteria?.find((c) => c.kind === "tests"),
          "a tests criterion",
        );
        sandboxRuns.push({
          setupMs: result.sandbox.setupMs,
          runMs: result.sandbox.runMs,
          code: criterion.kind === "tests" ? criterion.code : "",
          content: item.content,
        });
      }
    }
  }
  const staked = verdict.verdict !== "cannot-judge" && verdict.confidence >= MIN_CONFIDENCE;
  const outcome: Outcome = !staked ? "abstained" : verdict.verdict === "pass" ? "paid" : "refunded";
  rows.push({
    ...item,
    outcome,
    verdict: verdict.verdict,
    confidence: verdict.confidence,
    ms: median(times),
    reason: verdict.reason,
  });
}

// Per kind.
const kinds = [...new Set(rows.map((r) => r.kind))];
const table: string[][] = [];
for (const kind of kinds) {
  const of = rows.filter((r) => r.kind === kind);
  const honest = of.filter((r) => r.truth === "honest");
  const wrong = of.filter((r) => r.truth === "wrong");
  const refunded = of.filter((r) => r.outcome === "refunded");
  const wrongDetectable = wrong.filter((r) => r.detectable);
  table.push([
    kind,
    String(of.length),
    `${honest.filter((r) => r.outcome === "paid").length}/${honest.length}`,
    `${wrong.filter((r) => r.outcome === "refunded").length}/${wrong.length}`,
    ratio(refunded.filter((r) => r.truth === "wrong").length, refunded.length),
    ratio(wrong.filter((r) => r.outcome === "refunded").length, wrong.length),
    ratio(wrongDetectable.filter((r) => r.outcome === "refunded").length, wrongDetectable.length),
    String(of.filter((r) => r.outcome === "abstained").length),
    median(of.map((r) => r.ms)).toFixed(2),
  ]);
}
console.log(
  `Checks by criteria: ${rows.length} labelled deliveries through verifyDelivery (the checker's code path); stake at confidence >= ${MIN_CONFIDENCE}; median of ${REPEAT} runs per check; ${judge ? "model judge configured" : "no model (OPENAI_API_KEY unset): rubrics cannot be judged"}.\n`,
);
console.log(
  formatTable(
    [
      "kind",
      "cases",
      "honest paid",
      "wrong refunded",
      "precision",
      "recall",
      "recall (can tell)",
      "abstained",
      "ms/check",
    ],
    table,
  ),
);

const blind = rows.filter(
  (r) =>
    !r.detectable ||
    (r.truth === "honest" && r.outcome !== "paid") ||
    (r.truth === "wrong" && r.detectable && r.outcome !== "refunded"),
);
console.log("\nWhere the criteria cannot tell (or the checker got it wrong):\n");
console.log(
  formatTable(
    ["kind", "delivery", "truth", "criteria can tell", "verdict", "outcome"],
    blind.map((r) => [
      r.kind,
      r.name,
      r.truth,
      r.detectable ? "yes" : "no",
      `${r.verdict} (${r.confidence})`,
      r.outcome,
    ]),
  ),
);

// Sandbox overhead: the same suites run natively (trusted, bench only) against the sandbox's setup and run.
const native: number[] = [];
for (const run of sandboxRuns.slice(0, 60)) native.push(runNatively(run.code, run.content));
const setup = median(sandboxRuns.map((r) => r.setupMs));
const inside = median(sandboxRuns.map((r) => r.runMs));
const nativeMs = median(native);
console.log(
  `\nSandbox (QuickJS in WebAssembly), per test suite, median of ${sandboxRuns.length} runs: setup ${setup.toFixed(1)} ms (runtime, context, harness, freezing the built-ins), delivery + tests ${inside.toFixed(2)} ms; the same suites natively in Node ${nativeMs.toFixed(3)} ms. Overhead per check ${(setup + inside).toFixed(1)} ms, ${((setup + inside) / Math.max(nativeMs, 0.001)).toFixed(0)}x native; of it setup ${((setup / (setup + inside)) * 100).toFixed(0)}%.`,
);

function runNatively(code: string, content: string): number {
  const started = performance.now();
  try {
    const tests: { fn: () => unknown }[] = [];
    const assert = Object.assign(
      (condition: unknown) => {
        if (!condition) throw new Error("assertion failed");
      },
      {
        equal: (a: unknown, b: unknown) => {
          if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error("not equal");
        },
        throws: (fn: () => unknown) => {
          try {
            fn();
          } catch {
            return;
          }
          throw new Error("did not throw");
        },
      },
    );
    // Trusted library code only (this bench's own cases that parse and end); never a delivery in production.
    if (/while \(n < 2\) \{\}|&&$/.test(content)) return performance.now() - started;
    const body = `${content}\nreturn (function (test, assert) {\n${code}\n})`;
    const load = new Function(body)() as (t: (n: string, fn: () => unknown) => void, a: typeof assert) => void;
    load((_n, fn) => tests.push({ fn }), assert);
    for (const t of tests) {
      try {
        t.fn();
      } catch {
        // counted by the sandbox run
      }
    }
  } catch {
    // a delivery that does not load
  }
  return performance.now() - started;
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const at = (i: number) => s[i] ?? 0;
  return s.length % 2 ? at(m) : (at(m - 1) + at(m)) / 2;
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`bench:checks: ${what} is missing`);
  return value;
}

function ratio(a: number, b: number): string {
  return b === 0 ? "-" : (a / b).toFixed(2);
}

function formatTable(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
