import { describe, expect, it } from "vitest";
import type { CriterionInput } from "../../src/criteria/criteriaSchema.js";
import { evaluateCriteria } from "../../src/criteria/evaluateCriteria.js";
import { InvalidCriteriaError } from "../../src/criteria/InvalidCriteriaError.js";
import { parseCriteria } from "../../src/criteria/parseCriteria.js";
import { prepareCriteria, unevaluableCriterion } from "../../src/criteria/prepareCriteria.js";

const task = { skill: "js-function", input: "add(a, b)" };
const evaluate = (criteria: CriterionInput[], content: string, recomputed?: string) =>
  evaluateCriteria({ criteria: parseCriteria(criteria), content, task, recompute: async () => recomputed });

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidCriteriaError) return error.field;
    throw error;
  }
  return undefined;
}

describe("parseCriteria refuses malformed criteria and criteria beyond the sandbox's limits, naming the field", () => {
  it.each([
    [[], "criteria"],
    [[{ kind: "magic" }], "criteria[0].kind"],
    [[{ kind: "tests" }], "criteria[0].code"],
    [[{ kind: "tests", code: "test('x', () => {})", timeMs: 60_000 }], "criteria[0].timeMs"],
    [[{ kind: "tests", code: "test('x', () => {})", memoryMb: 512 }], "criteria[0].memoryMb"],
    [[{ kind: "tests", code: "x".repeat(20_001) }], "criteria[0].code"],
    [[{ kind: "exact" }, { kind: "constraints" }], "criteria[1]"],
    [[{ kind: "constraints", minLength: 10, maxLength: 5 }], "criteria[0].minLength"],
    [[{ kind: "constraints", maxWords: 5, colour: "red" }], "criteria[0]"],
    [[{ kind: "constraints", path: "total", maxLength: 5 }], "criteria[0].path"],
    [[{ kind: "json-schema", schema: "not an object" }], "criteria[0].schema"],
    [[{ kind: "rubric", rubric: "" }], "criteria[0].rubric"],
    [Array.from({ length: 9 }, () => ({ kind: "exact" })), "criteria"],
  ])("case %# is refused at %s", (criteria, field) => {
    expect(fieldOf(() => parseCriteria(criteria))).toBe(field);
  });

  it("says what is wrong and how to fix it", () => {
    expect(() => parseCriteria([{ kind: "tests", code: "test('x', () => {})", timeMs: 60_000 }])).toThrow(
      /Invalid criteria\[0\]\.timeMs: must be <=3000.*docs\/criteria\.md/s,
    );
    expect(() => parseCriteria([{ kind: "constraints", maxWords: 5, colour: "red" }])).toThrow(/unknown field colour/);
  });

  it("fills in defaults, so the description commits exactly what will run", () => {
    expect(parseCriteria([{ kind: "tests", code: "test('x', () => {})" }])).toEqual([
      { kind: "tests", code: "test('x', () => {})", loadDelivery: true, timeMs: 1000, memoryMb: 16 },
    ]);
  });
});

describe("prepareCriteria compiles what will run, before a worker accepts or a checker stakes", () => {
  it.each([
    [[{ kind: "tests", code: "test('x', () => {" }], "criteria[0].code", /does not parse/],
    [[{ kind: "json-schema", schema: { type: "object", propertees: {} } }], "criteria[0].schema", /strict mode/],
    [[{ kind: "json-schema", schema: { type: "string", format: "colour" } }], "criteria[0].schema", /format/],
    [[{ kind: "json-schema", schema: { $ref: "https://example.com/schema.json" } }], "criteria[0].schema", /resolve/],
    [[{ kind: "constraints", match: ["^ok$", "(unclosed"] }], "criteria[0].match[1]", /not a regular expression/],
  ])("%j is refused at %s", async (criteria, field, message) => {
    const error = await prepareCriteria(criteria).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidCriteriaError);
    expect((error as InvalidCriteriaError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it("says which well-formed criteria this agent cannot evaluate", () => {
    const criteria = parseCriteria([{ kind: "exact" }, { kind: "rubric", rubric: "Polite." }]);
    expect(unevaluableCriterion(criteria, { canRecompute: false, hasJudge: true })).toMatch(
      /criteria\[0\].*re-computed/,
    );
    expect(unevaluableCriterion(criteria, { canRecompute: true, hasJudge: false })).toMatch(/criteria\[1\].*no model/);
    expect(unevaluableCriterion(criteria, { canRecompute: true, hasJudge: true })).toBeUndefined();
  });
});

describe("each kind decides", () => {
  it("exact: against the given result or the re-computed one, with the chosen normalisation", async () => {
    expect((await evaluate([{ kind: "exact", expected: "42" }], " 42\n")).verdict).toBe("pass");
    expect((await evaluate([{ kind: "exact", expected: "42", normalize: "none" }], " 42\n")).verdict).toBe("fail");
    expect((await evaluate([{ kind: "exact", normalize: "whitespace" }], "a  b", "a b")).verdict).toBe("pass");
    const wrong = await evaluate([{ kind: "exact" }], "4", "3");
    expect(wrong).toMatchObject({ verdict: "fail", confidence: 1 });
    expect(wrong.results[0]!.expected).toBe("3");
    expect((await evaluate([{ kind: "exact" }], "4")).verdict).toBe("cannot-judge");
  });

  it("json-schema: parses and validates, naming where it fails", async () => {
    const schema = {
      type: "object",
      properties: { total: { type: "number" }, date: { type: "string", format: "date" } },
      required: ["total", "date"],
      additionalProperties: false,
    };
    expect((await evaluate([{ kind: "json-schema", schema }], '{"total": 12.5, "date": "2024-03-05"}')).verdict).toBe(
      "pass",
    );
    expect(
      (await evaluate([{ kind: "json-schema", schema }], '{"total": "12.5", "date": "2024-03-05"}')).reason,
    ).toMatch(/at \/total: must be number/);
    expect((await evaluate([{ kind: "json-schema", schema }], '{"total": 1, "date": "5 March"}')).verdict).toBe("fail");
    expect((await evaluate([{ kind: "json-schema", schema }], "total: 12.5")).reason).toMatch(/not JSON/);
  });

  it("json-schema: a delivery built to make a schema's pattern backtrack fails instead of stalling the checker", async () => {
    const schema = { type: "object", properties: { id: { type: "string", pattern: "^(a+)+$" } } };
    const started = Date.now();
    const result = await evaluate([{ kind: "json-schema", schema }], JSON.stringify({ id: `${"a".repeat(40)}!` }));
    expect(result).toMatchObject({ verdict: "fail", confidence: 0.9 });
    expect(result.reason).toMatch(/stalls the criteria/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("json-schema: keys like __proto__ in a delivery pollute nothing", async () => {
    const content = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}';
    await evaluate([{ kind: "json-schema", schema: { type: "object" } }], content);
    await evaluate([{ kind: "constraints", path: "/__proto__/polluted", maxLength: 10 }], content);
    expect((await evaluate([{ kind: "constraints", path: "/constructor", maxLength: 100 }], "{}")).reason).toMatch(
      /has no \/constructor/,
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("constraints: lengths, words, phrases, patterns and numbers, on the text or a JSON value", async () => {
    const text = "Guild agents hire each other and pay through escrow.";
    const verdict = async (c: Omit<Extract<CriterionInput, { kind: "constraints" }>, "kind">, content = text) =>
      (await evaluate([{ kind: "constraints", ...c }], content)).verdict;
    expect(await verdict({ minWords: 5, maxWords: 10, maxLength: 60 })).toBe("pass");
    expect(await verdict({ maxWords: 5 })).toBe("fail");
    expect(await verdict({ include: ["ESCROW", "agents"] })).toBe("pass");
    expect(await verdict({ include: ["ESCROW"], caseSensitive: true })).toBe("fail");
    expect(await verdict({ exclude: ["bitcoin"] })).toBe("pass");
    expect(await verdict({ exclude: ["Pay"] })).toBe("fail");
    expect(await verdict({ match: ["^guild\\b", "escrow\\.$"] })).toBe("pass");
    expect(await verdict({ notMatch: ["\\d"] })).toBe("pass");
    expect(await verdict({ number: { equals: 3.14, tolerance: 0.01 } }, "3.141")).toBe("pass");
    expect(await verdict({ number: { equals: 3.14, tolerance: 0.0001 } }, "3.141")).toBe("fail");
    expect(await verdict({ number: { equals: 200, tolerance: 0.01, relative: true } }, "201.9")).toBe("pass");
    expect(await verdict({ number: { equals: 1, tolerance: 1 } }, "one")).toBe("fail");
    const json = '{"invoice": {"total": 1250.5, "id": "INV-7"}}';
    expect(await verdict({ path: "/invoice/total", number: { equals: 1250.5, tolerance: 0 } }, json)).toBe("pass");
    expect(await verdict({ path: "/invoice/id", match: ["^INV-\\d+$"] }, json)).toBe("pass");
    expect(await verdict({ path: "/invoice/missing", maxLength: 3 }, json)).toBe("fail");
  });

  it("tests: pass, fail by assertion, fail when the delivery does not load, cannot judge an empty suite", async () => {
    const suite = "test('adds', () => assert.equal(add(2, 3), 5)); test('zero', () => assert.equal(add(0, 0), 0));";
    const pass = await evaluate([{ kind: "tests", code: suite }], "function add(a, b) { return a + b; }");
    expect(pass).toMatchObject({ verdict: "pass", confidence: 1 });
    expect(pass.results[0]!.sandbox).toMatchObject({ tests: 2, failed: 0 });
    const wrong = await evaluate([{ kind: "tests", code: suite }], "function add(a, b) { return a * b; }");
    expect(wrong).toMatchObject({ verdict: "fail", confidence: 1 });
    expect(wrong.reason).toMatch(/1 of 2 tests fail; first: "adds": AssertionError: expected 5, got 6/);
    expect((await evaluate([{ kind: "tests", code: suite }], "function add(a, b) {")).reason).toMatch(/does not parse/);
    expect((await evaluate([{ kind: "tests", code: suite }], "throw new Error('no')")).reason).toMatch(
      /throws when loaded/,
    );
    expect((await evaluate([{ kind: "tests", code: suite }], "// forgot it")).reason).toMatch(/ReferenceError/);
    expect((await evaluate([{ kind: "tests", code: "// nothing" }], "")).verdict).toBe("cannot-judge");
  });

  it("tests: a delivery that hangs fails at the time limit, a little less decisively", async () => {
    const result = await evaluate(
      [{ kind: "tests", code: "test('ends', () => assert(spin()));", timeMs: 100 }],
      "function spin() { for (;;) {} }",
    );
    expect(result).toMatchObject({ verdict: "fail", confidence: 0.9 });
    expect(result.reason).toMatch(/time limit.*in test "ends"/);
  });

  it("rubric: cannot judge without a model; with one, the model's verdict and confidence", async () => {
    const rubric: CriterionInput[] = [{ kind: "rubric", rubric: "Answers in French." }];
    expect(await evaluate(rubric, "Bonjour")).toMatchObject({ verdict: "cannot-judge", confidence: 0 });
    const seen: string[] = [];
    const judged = await evaluateCriteria({
      criteria: parseCriteria(rubric),
      content: "Hello",
      task,
      recompute: async () => undefined,
      judge: async (_task, content, text) => {
        seen.push(`${text}|${content}`);
        return { verdict: "fail", confidence: 0.85, reason: "English, not French" };
      },
    });
    expect(judged).toMatchObject({ verdict: "fail", confidence: 0.85 });
    expect(seen).toEqual(["Answers in French.|Hello"]);
  });
});

describe("combined criteria: all must hold", () => {
  const schema = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };

  it("fails when any fails, with the most decisive failure's confidence", async () => {
    const result = await evaluate(
      [
        { kind: "json-schema", schema },
        { kind: "constraints", path: "/name", maxLength: 3 },
        { kind: "rubric", rubric: "A real name." },
      ],
      '{"name": "Bartholomew"}',
    );
    expect(result).toMatchObject({ verdict: "fail", confidence: 1 });
    expect(result.results.map((r) => r.verdict)).toEqual(["pass", "fail", "cannot-judge"]);
  });

  it("cannot judge when nothing fails but one cannot be judged; passes when all pass", async () => {
    const unjudged = await evaluate(
      [
        { kind: "json-schema", schema },
        { kind: "rubric", rubric: "A real name." },
      ],
      '{"name": "Bo"}',
    );
    expect(unjudged).toMatchObject({ verdict: "cannot-judge", confidence: 0 });
    const pass = await evaluate(
      [
        { kind: "json-schema", schema },
        { kind: "constraints", path: "/name", maxLength: 3 },
      ],
      '{"name": "Bo"}',
    );
    expect(pass).toMatchObject({ verdict: "pass", confidence: 1 });
  });
});
