import { ChatOpenAI } from "@langchain/openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CriterionInput } from "../../src/criteria/criteriaSchema.js";
import { InvalidCriteriaError } from "../../src/criteria/InvalidCriteriaError.js";
import { parseCriteria } from "../../src/criteria/parseCriteria.js";
import { createExtractFieldsSkill } from "../../src/skills/builtin/extractFields.js";
import { createJsFunctionSkill } from "../../src/skills/builtin/jsFunction.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { SUBTLY_WRONG_FUNCTIONS, subtlyWrongJsFunction } from "../../src/skills/demo/subtlyWrongFunctions.js";
import { FUNCTION_LIBRARY, parseSignature } from "../../src/skills/functions/functionLibrary.js";
import { decodeJobSpec, encodeJobSpec } from "../../src/skills/jobSpec.js";
import { createLlmJudge } from "../../src/skills/llmSkills.js";
import { produceDelivery } from "../../src/skills/produceDelivery.js";
import { verifyDelivery } from "../../src/skills/verifyDelivery.js";
import { type FakeOpenAIServer, startFakeOpenAIServer, textStep } from "../support/fakeOpenAIServer.js";

const spec = (skill: string, input: string, criteria: CriterionInput[]) => ({
  skill,
  input,
  criteria: parseCriteria(criteria),
});

describe("job specs with criteria", () => {
  it("version 2 commits the task and the criteria with their defaults; version 1 still reads", () => {
    const description = encodeJobSpec({
      skill: "js-function",
      input: "isPrime(n)",
      criteria: [{ kind: "tests", code: "test('2', () => assert(isPrime(2)));" }],
    });
    expect(JSON.parse(description)).toEqual({
      v: 2,
      skill: "js-function",
      input: "isPrime(n)",
      criteria: [
        { kind: "tests", code: "test('2', () => assert(isPrime(2)));", loadDelivery: true, timeMs: 1000, memoryMb: 16 },
      ],
    });
    expect(decodeJobSpec(description)).toEqual(JSON.parse(description.replace('"v":2,', "")));
    expect(decodeJobSpec('{"v":1,"skill":"sort","input":"3 1"}')).toEqual({ skill: "sort", input: "3 1" });
  });

  it("refuses to write malformed criteria, and reads them back as an error rather than dropping the task", () => {
    expect(() =>
      encodeJobSpec({ skill: "js-function", input: "f(x)", criteria: [{ kind: "tests", code: "x", timeMs: 9_999 }] }),
    ).toThrow(InvalidCriteriaError);
    const decoded = decodeJobSpec('{"v":2,"skill":"js-function","input":"f(x)","criteria":[{"kind":"tests"}]}');
    expect(decoded).toMatchObject({ skill: "js-function", input: "f(x)" });
    expect(decoded?.criteriaError?.field).toBe("criteria[0].code");
  });
});

describe("the function library", () => {
  it.each(FUNCTION_LIBRARY.map((f) => [f.name, f] as const))("%s passes its own tests in the sandbox", async (_, f) => {
    const verdict = await verifyDelivery(
      spec("js-function", `${f.name}(${f.params.join(", ")})`, [{ kind: "tests", code: f.tests }]),
      f.source,
      BUILTIN_SKILLS,
    );
    expect(verdict.reason).toMatch(/all \d+ tests pass/);
    expect(verdict).toMatchObject({ verdict: "pass", confidence: 1 });
  });

  it.each(Object.entries(SUBTLY_WRONG_FUNCTIONS))(
    "the demo's subtly wrong %s fails the library's suite",
    async (name, wrong) => {
      const f = FUNCTION_LIBRARY.find((entry) => entry.name === name)!;
      const verdict = await verifyDelivery(
        spec("js-function", name, [{ kind: "tests", code: f.tests }]),
        wrong.source,
        BUILTIN_SKILLS,
      );
      expect(verdict).toMatchObject({ verdict: "fail", confidence: 1 });
    },
  );

  it("reads the signature a task asks for", () => {
    expect(parseSignature("Write isPrime(n): true for primes")).toEqual({ name: "isPrime", params: ["n"] });
    expect(parseSignature("a function clamp(x, lo, hi) (cheap)")).toEqual({ name: "clamp", params: ["x", "lo", "hi"] });
    expect(parseSignature("sort these (please)")).toBeUndefined();
  });
});

describe("a worker accepts only what it can evaluate and delivers only what passes its own check", () => {
  const isPrime = FUNCTION_LIBRARY.find((f) => f.name === "isPrime")!;

  it("writes a library function, checks it, and delivers it", async () => {
    const outcome = await produceDelivery(
      spec("js-function", "isPrime(n): true for primes", [{ kind: "tests", code: isPrime.tests }]),
      { skills: BUILTIN_SKILLS },
    );
    expect(outcome).toMatchObject({ status: "deliver", content: isPrime.source, selfCheck: { verdict: "pass" } });
  });

  it("declines a function it does not know offline", async () => {
    const outcome = await produceDelivery(
      spec("js-function", "levenshtein(a, b)", [{ kind: "tests", code: "test('x', () => {});" }]),
      { skills: BUILTIN_SKILLS },
    );
    expect(outcome).toEqual({
      status: "decline",
      reason: expect.stringMatching(/levenshtein\(a, b\) is not in this worker's offline library/),
    });
  });

  it("declines when its own result does not meet the criteria (it would lose its bond)", async () => {
    const outcome = await produceDelivery(
      spec("js-function", "isPrime(n)", [
        { kind: "tests", code: "test('1 is prime here', () => assert(isPrime(1)));" },
      ]),
      { skills: BUILTIN_SKILLS },
    );
    expect(outcome).toMatchObject({ status: "decline", reason: expect.stringMatching(/own result does not meet/) });
  });

  it("declines malformed criteria, test code that does not parse, and a rubric without a model", async () => {
    const malformed = decodeJobSpec('{"v":2,"skill":"js-function","input":"isPrime(n)","criteria":[{"kind":"nope"}]}')!;
    expect(await produceDelivery(malformed, { skills: BUILTIN_SKILLS })).toMatchObject({
      status: "decline",
      reason: expect.stringMatching(/malformed criteria: Invalid criteria\[0\]\.kind/),
    });
    const broken = spec("js-function", "isPrime(n)", [{ kind: "tests", code: "test('x', () => {" }]);
    expect(await produceDelivery(broken, { skills: BUILTIN_SKILLS })).toMatchObject({
      status: "decline",
      reason: expect.stringMatching(/criteria\[0\]\.code: the test code does not parse/),
    });
    const rubric = spec("js-function", "isPrime(n)", [{ kind: "rubric", rubric: "Idiomatic." }]);
    expect(await produceDelivery(rubric, { skills: BUILTIN_SKILLS })).toMatchObject({
      status: "decline",
      reason: expect.stringMatching(/no model is configured/),
    });
  });

  it("checks its own work with half the time limit, leaving a checker headroom", async () => {
    // At least 600 ms of work: fits a 1,000 ms limit, never the worker's 500 ms.
    const slow = {
      ...BUILTIN_SKILLS.get("js-function")!,
      run: async () => "function slow() { const end = Date.now() + 600; while (Date.now() < end) {} return 1; }",
    };
    const job = spec("js-function", "slow()", [
      { kind: "tests", code: "test('returns', () => assert.equal(slow(), 1));", timeMs: 1_000 },
    ]);
    const outcome = await produceDelivery(job, { skills: new Map([["js-function", slow]]) });
    expect(outcome).toMatchObject({ status: "decline", reason: expect.stringMatching(/time limit/) });
  });

  it("the demo's cheat skill is a separate skill, caught by a checker's run of the same criteria", async () => {
    const job = spec("js-function", "isPrime(n)", [{ kind: "tests", code: isPrime.tests }]);
    // It does not check its own work (checksOwnWork: false); a real skill's worker would have declined.
    const cheat = await produceDelivery(job, { skills: BUILTIN_SKILLS, skill: subtlyWrongJsFunction });
    expect(cheat.status).toBe("deliver");
    const verdict = await verifyDelivery(job, cheat.status === "deliver" ? cheat.content : "", BUILTIN_SKILLS);
    expect(verdict).toMatchObject({ verdict: "fail", confidence: 1 });
    expect(verdict.reason).toMatch(/composites/);
  });
});

describe("extract-fields", () => {
  const invoice = [
    "ACME Tools Ltd — Invoice",
    "Invoice number: INV-2041",
    "Issued: 5 March 2024",
    "Customer email: billing@example.org",
    "Total: 1,250.50 EUR",
    "Paid: no",
    "Items: hammer, saw, drill",
  ].join("\n");
  const schema = {
    type: "object",
    properties: {
      invoiceNumber: { type: "string" },
      issued: { type: "string", format: "date" },
      customerEmail: { type: "string", format: "email" },
      total: { type: "number" },
      paid: { type: "boolean" },
      items: { type: "array", items: { type: "string" } },
    },
    required: ["invoiceNumber", "issued", "customerEmail", "total", "paid", "items"],
    additionalProperties: false,
  };
  const criteria: CriterionInput[] = [
    { kind: "json-schema", schema },
    { kind: "constraints", path: "/invoiceNumber", match: ["^INV-\\d+$"] },
    { kind: "constraints", path: "/total", number: { equals: 1250.5, tolerance: 0.005 } },
  ];

  it("extracts an invoice offline, and the criteria pass it", async () => {
    const job = spec("extract-fields", invoice, criteria);
    const outcome = await produceDelivery(job, { skills: BUILTIN_SKILLS });
    expect(outcome.status).toBe("deliver");
    expect(JSON.parse(outcome.status === "deliver" ? outcome.content : "{}")).toEqual({
      invoiceNumber: "INV-2041",
      issued: "2024-03-05",
      customerEmail: "billing@example.org",
      total: 1250.5,
      paid: false,
      items: ["hammer", "saw", "drill"],
    });
  });

  it("declines a text without the fields asked for, and a job without a schema", async () => {
    const missing = await produceDelivery(spec("extract-fields", "Nothing to see here.", criteria), {
      skills: BUILTIN_SKILLS,
    });
    expect(missing).toMatchObject({ status: "decline", reason: expect.stringMatching(/must have required property/) });
    const noSchema = await produceDelivery(spec("extract-fields", invoice, [{ kind: "constraints", maxLength: 10 }]), {
      skills: BUILTIN_SKILLS,
    });
    expect(noSchema).toMatchObject({
      status: "decline",
      reason: expect.stringMatching(/needs a json-schema criterion/),
    });
  });

  it("a wrong field or an off-by-a-cent total fails the checker", async () => {
    const job = spec("extract-fields", invoice, criteria);
    const right = JSON.parse(await createExtractFieldsSkill().run(invoice, undefined, job)) as Record<string, unknown>;
    const offByOne = JSON.stringify({ ...right, total: 1250.51 });
    expect((await verifyDelivery(job, offByOne, BUILTIN_SKILLS)).reason).toMatch(/not within 0.005 of 1250.5/);
    const wrongField = JSON.stringify({ ...right, invoiceNumber: "ACME Tools Ltd" });
    expect((await verifyDelivery(job, wrongField, BUILTIN_SKILLS)).verdict).toBe("fail");
  });
});

describe("with a model: js-function written by the model, a rubric judged by it", () => {
  let server: FakeOpenAIServer;
  let model: ChatOpenAI;
  beforeAll(async () => {
    server = await startFakeOpenAIServer();
    model = new ChatOpenAI({
      apiKey: "sk-test-criteria-key-00000",
      model: "test-model",
      temperature: 0,
      maxRetries: 0,
      configuration: { baseURL: server.url },
    });
  });
  afterAll(async () => server.close());

  it("delivers the model's function only when it passes the tests", async () => {
    const skills = new Map([["js-function", createJsFunctionSkill({ model })]]);
    const job = spec("js-function", "double(x): twice x", [
      { kind: "tests", code: "test('doubles', () => assert.equal(double(21), 42));" },
    ]);
    server.enqueue(textStep("```js\nfunction double(x) { return x * 2; }\n```"));
    expect(await produceDelivery(job, { skills })).toMatchObject({
      status: "deliver",
      content: "function double(x) { return x * 2; }",
    });
    server.enqueue(textStep("function double(x) { return x + 2; }"));
    expect(await produceDelivery(job, { skills })).toMatchObject({ status: "decline" });
  });

  it("the judge sees the rubric as data and its confidence becomes the verdict's", async () => {
    const judge = createLlmJudge(model);
    const job = spec("answer", "Capital of France?", [
      { kind: "rubric", rubric: "Names Paris." },
      { kind: "constraints", maxWords: 10 },
    ]);
    server.enqueue(textStep('{"verdict": "pass", "confidence": 0.92, "reason": "names Paris"}'));
    const verdict = await verifyDelivery(job, "Paris.", BUILTIN_SKILLS, judge);
    expect(verdict).toMatchObject({ verdict: "pass", confidence: 0.92 });
    const sent = JSON.stringify(server.completionRequests().at(-1));
    expect(sent).toContain("Names Paris.");
    expect(sent).toContain("rubric");
  });
});
