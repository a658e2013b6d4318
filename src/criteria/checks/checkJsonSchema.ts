import type { CriterionResult } from "../CriteriaVerdict.js";
import type { JsonSchemaCriterion } from "../criteriaSchema.js";
import { openPatternSession, PatternError } from "../sandbox/openPatternSession.js";
import { patternStall } from "./patternStall.js";
import { compileJsonSchema } from "./compileJsonSchema.js";

/** `json-schema`: the delivery parses as JSON and validates against the schema. */
export async function checkJsonSchema(criterion: JsonSchemaCriterion, content: string): Promise<CriterionResult> {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (error) {
    return {
      kind: "json-schema",
      verdict: "fail",
      confidence: 1,
      reason: `the delivery is not JSON (${(error as Error).message})`,
    };
  }
  const patterns = await openPatternSession();
  try {
    const validate = compileJsonSchema(criterion.schema, patterns);
    if (validate(data))
      return { kind: "json-schema", verdict: "pass", confidence: 1, reason: "valid against the schema" };
    const error = validate.errors?.[0];
    const where = error?.instancePath ? `at ${error.instancePath}` : "at the top level";
    return {
      kind: "json-schema",
      verdict: "fail",
      confidence: 1,
      reason: `invalid ${where}: ${error?.message ?? "does not match the schema"}`,
    };
  } catch (error) {
    if (error instanceof PatternError && error.reason !== "syntax") return patternStall("json-schema", error);
    return {
      kind: "json-schema",
      verdict: "cannot-judge",
      confidence: 0,
      reason: `the schema does not compile: ${(error as Error).message}`,
    };
  } finally {
    patterns.close();
  }
}
