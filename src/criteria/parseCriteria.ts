import type { z } from "zod";
import { type Criterion, criteriaSchema, MAX_CRITERIA_CHARS, MAX_SCHEMA_CHARS } from "./criteriaSchema.js";
import { InvalidCriteriaError } from "./InvalidCriteriaError.js";

/**
 * Reads acceptance criteria (parsed JSON, e.g. from a job's description) into typed criteria with their
 * defaults filled in. Throws {@link InvalidCriteriaError} naming the first bad field: an unknown kind or field,
 * a missing one, a limit above the sandbox's, criteria too large for a job description.
 *
 * Only the shape is checked here; whether test code parses and a schema compiles is {@link prepareCriteria}'s.
 *
 * @example
 * parseCriteria([{ kind: "tests", code: "test('adds', () => assert.equal(add(1, 2), 3));" }]);
 * // [{ kind: "tests", code: "...", loadDelivery: true, timeMs: 1000, memoryMb: 16 }]
 */
export function parseCriteria(raw: unknown, field = "criteria"): Criterion[] {
  const size = JSON.stringify(raw ?? null).length;
  if (size > MAX_CRITERIA_CHARS) {
    throw new InvalidCriteriaError(
      field,
      `${size} characters of JSON is more than the ${MAX_CRITERIA_CHARS} a job description may carry`,
      "Shorten the test code or the schema.",
    );
  }
  const parsed = criteriaSchema.safeParse(raw);
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    if (issue) throw new InvalidCriteriaError(fieldName(field, issue.path), describeIssue(issue));
    throw new InvalidCriteriaError(field, "does not match the criteria schema");
  }
  parsed.data.forEach((criterion, index) => {
    if (criterion.kind === "json-schema") {
      const schemaSize = JSON.stringify(criterion.schema).length;
      if (schemaSize > MAX_SCHEMA_CHARS) {
        throw new InvalidCriteriaError(
          `${field}[${index}].schema`,
          `${schemaSize} characters is more than the ${MAX_SCHEMA_CHARS} allowed`,
          "Use a smaller schema.",
        );
      }
    }
  });
  return parsed.data;
}

function fieldName(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (name, key) => (typeof key === "number" ? `${name}[${key}]` : `${name}.${String(key)}`),
    root,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case "unrecognized_keys":
      return `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.join(", ")}`;
    case "invalid_union":
      return "unknown kind; use exact, json-schema, tests, constraints or rubric";
    case "too_big":
      return `${issue.message.replace(/^Too big: expected (\w+ to (have )?be )?/, "must be ")} (the sandbox's or the job description's limit)`;
    default:
      return issue.message;
  }
}
