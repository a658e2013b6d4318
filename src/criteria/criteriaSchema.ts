import { z } from "zod";
import { SANDBOX_LIMITS } from "./sandbox/sandboxLimits.js";

/** Most criteria one job may carry (all must hold). */
export const MAX_CRITERIA = 8;
/** Longest the criteria may be, as JSON (they are calldata in the job's description: every byte costs gas). */
export const MAX_CRITERIA_CHARS = 24_000;
/** Longest JSON Schema, as JSON. */
export const MAX_SCHEMA_CHARS = 16_000;
/** Longest rubric. */
export const MAX_RUBRIC_CHARS = 2_000;

const phrase = z.string().min(1).max(500);
const pattern = z
  .string()
  .min(1)
  .max(SANDBOX_LIMITS.maxPatternChars)
  .describe("A JavaScript regular expression, without slashes, e.g. ^INV-\\d+$; run in the sandbox.");

export const exactCriterionSchema = z
  .strictObject({
    kind: z.literal("exact"),
    expected: z
      .string()
      .max(20_000)
      .optional()
      .describe(
        "The exact result expected. Omit it for a deterministic skill (word-count, sort, sha256, ...): checkers then re-compute the result from the task.",
      ),
    normalize: z
      .enum(["none", "trim", "whitespace"])
      .default("trim")
      .describe(
        'How results are compared: "none" byte for byte, "trim" ignoring whitespace at the ends (default), "whitespace" also treating any run of whitespace as one space.',
      ),
  })
  .describe("The delivery equals one known result.");

export const jsonSchemaCriterionSchema = z
  .strictObject({
    kind: z.literal("json-schema"),
    schema: z
      .record(z.string(), z.unknown())
      .describe(
        'A JSON Schema (draft 2020-12 subset that Ajv supports, strict mode; formats such as "date" and "email"). The delivery must be JSON that validates. No remote $ref.',
      ),
  })
  .describe("The delivery parses as JSON and validates against a schema.");

export const testsCriterionSchema = z
  .strictObject({
    kind: z.literal("tests"),
    code: z
      .string()
      .min(1)
      .max(SANDBOX_LIMITS.maxTestCodeChars)
      .describe(
        "JavaScript test code run in a WebAssembly sandbox (QuickJS): call test(name, fn) for each case and use assert(cond), assert.equal(actual, expected) (deep), assert.notEqual, assert.close(actual, expected, tolerance), assert.throws(fn). The delivered text is `delivery`; when loadDelivery is true the delivery's declarations (e.g. `function isPrime(n) {...}`) are in scope. All tests must pass.",
      ),
    loadDelivery: z
      .boolean()
      .default(true)
      .describe("Run the delivery as a script before the tests (true, for code), or only expose its text (false)."),
    timeMs: z
      .number()
      .int()
      .min(10)
      .max(SANDBOX_LIMITS.maxTimeMs)
      .default(SANDBOX_LIMITS.defaultTimeMs)
      .describe(`Milliseconds the delivery and the tests may run in all, at most ${SANDBOX_LIMITS.maxTimeMs}.`),
    memoryMb: z
      .number()
      .int()
      .min(1)
      .max(SANDBOX_LIMITS.maxMemoryMb)
      .default(SANDBOX_LIMITS.defaultMemoryMb)
      .describe(`MiB of sandbox memory, at most ${SANDBOX_LIMITS.maxMemoryMb}.`),
  })
  .describe("A test suite the delivery must pass.");

export const constraintsCriterionSchema = z
  .strictObject({
    kind: z.literal("constraints"),
    path: z
      .string()
      .regex(/^(\/[^/]*)*$/, "must be a JSON Pointer such as /total or /items/0/name")
      .optional()
      .describe(
        "Apply the constraints to one value of a JSON delivery, as a JSON Pointer (e.g. /total); omit it to constrain the whole delivered text.",
      ),
    minLength: z.number().int().min(0).optional().describe("Fewest characters."),
    maxLength: z.number().int().min(0).optional().describe("Most characters."),
    minWords: z.number().int().min(0).optional().describe("Fewest whitespace-separated words."),
    maxWords: z.number().int().min(0).optional().describe("Most whitespace-separated words."),
    include: z.array(phrase).max(32).optional().describe("Phrases that must all appear."),
    exclude: z.array(phrase).max(32).optional().describe("Phrases that must not appear."),
    match: z
      .array(pattern)
      .max(SANDBOX_LIMITS.maxPatterns)
      .optional()
      .describe("Regular expressions that must all match somewhere."),
    notMatch: z
      .array(pattern)
      .max(SANDBOX_LIMITS.maxPatterns)
      .optional()
      .describe("Regular expressions that must not match anywhere."),
    caseSensitive: z
      .boolean()
      .default(false)
      .describe("Compare phrases and patterns with case (default: case-insensitive)."),
    number: z
      .strictObject({
        equals: z.number().describe("The expected value."),
        tolerance: z.number().min(0).describe("Largest allowed difference, e.g. 0.01."),
        relative: z
          .boolean()
          .default(false)
          .describe("Tolerance as a fraction of the expected value (0.01 = 1%) rather than an absolute difference."),
      })
      .optional()
      .describe("The value must be a number within a tolerance of `equals`."),
  })
  .refine(
    (c) =>
      c.minLength !== undefined ||
      c.maxLength !== undefined ||
      c.minWords !== undefined ||
      c.maxWords !== undefined ||
      (c.include?.length ?? 0) > 0 ||
      (c.exclude?.length ?? 0) > 0 ||
      (c.match?.length ?? 0) > 0 ||
      (c.notMatch?.length ?? 0) > 0 ||
      c.number !== undefined,
    {
      message:
        "says nothing: give at least one of minLength, maxLength, minWords, maxWords, include, exclude, match, notMatch, number",
    },
  )
  .refine((c) => c.minLength === undefined || c.maxLength === undefined || c.minLength <= c.maxLength, {
    message: "minLength is above maxLength",
    path: ["minLength"],
  })
  .refine((c) => c.minWords === undefined || c.maxWords === undefined || c.minWords <= c.maxWords, {
    message: "minWords is above maxWords",
    path: ["minWords"],
  })
  .describe("Length bounds, required and forbidden phrases or patterns, a number within a tolerance.");

export const rubricCriterionSchema = z
  .strictObject({
    kind: z.literal("rubric"),
    rubric: z
      .string()
      .min(1)
      .max(MAX_RUBRIC_CHARS)
      .describe(
        "What a good answer does, for a model judge, e.g. 'Names the capital correctly and gives one source.' Judged only by checkers with a model configured; others cannot judge it and stake nothing.",
      ),
  })
  .describe("A model judges the delivery against a rubric.");

export const criterionSchema = z.discriminatedUnion("kind", [
  exactCriterionSchema,
  jsonSchemaCriterionSchema,
  testsCriterionSchema,
  constraintsCriterionSchema,
  rubricCriterionSchema,
]);

export const criteriaSchema = z
  .array(criterionSchema)
  .min(1)
  .max(MAX_CRITERIA)
  .describe(`Acceptance criteria, 1 to ${MAX_CRITERIA}; the delivery passes when all hold.`);

export type Criterion = z.output<typeof criterionSchema>;
/** Criteria as written by a client: fields with defaults may be left out. */
export type CriterionInput = z.input<typeof criterionSchema>;
export type CriterionKind = Criterion["kind"];
export type ExactCriterion = z.output<typeof exactCriterionSchema>;
export type JsonSchemaCriterion = z.output<typeof jsonSchemaCriterionSchema>;
export type TestsCriterion = z.output<typeof testsCriterionSchema>;
export type ConstraintsCriterion = z.output<typeof constraintsCriterionSchema>;
export type RubricCriterion = z.output<typeof rubricCriterionSchema>;
