import { compileJsonSchema } from "./checks/compileJsonSchema.js";
import type { Criterion } from "./criteriaSchema.js";
import { InvalidCriteriaError } from "./InvalidCriteriaError.js";
import { parseCriteria } from "./parseCriteria.js";
import { openPatternSession, PatternError } from "./sandbox/openPatternSession.js";
import { findSyntaxError } from "./sandbox/runTestsInSandbox.js";

/**
 * Reads criteria and makes sure each can be run at all: the shape and limits ({@link parseCriteria}), test code
 * that parses in the sandbox, a JSON Schema Ajv compiles, patterns that compile. Throws
 * {@link InvalidCriteriaError} naming the field. Workers call it before accepting a job and checkers before
 * staking, so malformed criteria are refused by both, with the same message.
 *
 * @example
 * await prepareCriteria([{ kind: "json-schema", schema: { type: "object", required: ["total"] } }]);
 */
export async function prepareCriteria(raw: unknown, field = "criteria"): Promise<Criterion[]> {
  const criteria = parseCriteria(raw, field);
  for (const [index, criterion] of criteria.entries()) {
    const at = `${field}[${index}]`;
    if (criterion.kind === "tests") {
      const syntax = await findSyntaxError(criterion.code);
      if (syntax)
        throw new InvalidCriteriaError(`${at}.code`, `the test code does not parse (${syntax})`, "Fix the test code.");
    }
    if (criterion.kind === "json-schema" || criterion.kind === "constraints") {
      const patterns = await openPatternSession();
      try {
        if (criterion.kind === "json-schema") {
          try {
            compileJsonSchema(criterion.schema, patterns);
          } catch (error) {
            throw new InvalidCriteriaError(
              `${at}.schema`,
              `Ajv does not compile it (${(error as Error).message})`,
              "Fix the schema (strict mode: no unknown keywords or formats).",
            );
          }
        } else {
          const flags = criterion.caseSensitive ? "" : "i";
          for (const key of ["match", "notMatch"] as const) {
            for (const [i, pattern] of (criterion[key] ?? []).entries()) {
              try {
                patterns.compile(pattern, flags);
              } catch (error) {
                if (!(error instanceof PatternError)) throw error;
                throw new InvalidCriteriaError(
                  `${at}.${key}[${i}]`,
                  `/${pattern}/ is not a regular expression (${error.message})`,
                  "Fix the pattern (JavaScript syntax, without slashes).",
                );
              }
            }
          }
        }
      } finally {
        patterns.close();
      }
    }
  }
  return criteria;
}

/**
 * Why this agent cannot evaluate criteria that are well-formed (undefined when it can): an `exact` criterion
 * without an expected result on a skill it cannot re-compute, a rubric without a model.
 */
export function unevaluableCriterion(
  criteria: readonly Criterion[],
  { canRecompute, hasJudge }: { canRecompute: boolean; hasJudge: boolean },
): string | undefined {
  for (const [index, criterion] of criteria.entries()) {
    if (criterion.kind === "exact" && criterion.expected === undefined && !canRecompute) {
      return `criteria[${index}] (exact) has no expected result and the skill cannot be re-computed`;
    }
    if (criterion.kind === "rubric" && !hasJudge) {
      return `criteria[${index}] is a rubric and no model is configured to judge it`;
    }
  }
  return undefined;
}
