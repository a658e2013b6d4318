import type { CriterionResult } from "../CriteriaVerdict.js";
import type { ConstraintsCriterion } from "../criteriaSchema.js";
import { openPatternSession, PatternError } from "../sandbox/openPatternSession.js";
import { patternStall } from "./patternStall.js";

/** `constraints`: length bounds, phrases, patterns and a number within a tolerance, on the text or one JSON value. */
export async function checkConstraints(criterion: ConstraintsCriterion, content: string): Promise<CriterionResult> {
  const fail = (reason: string): CriterionResult => ({ kind: "constraints", verdict: "fail", confidence: 1, reason });
  const target = criterion.path === undefined ? { text: content.trim() } : valueAt(content, criterion.path);
  if ("problem" in target) return fail(target.problem);
  const { text } = target;
  const where = criterion.path ? ` at ${criterion.path}` : "";
  const words = text === "" ? 0 : text.split(/\s+/u).length;
  if (criterion.minLength !== undefined && text.length < criterion.minLength)
    return fail(`${text.length} characters${where}, fewer than ${criterion.minLength}`);
  if (criterion.maxLength !== undefined && text.length > criterion.maxLength)
    return fail(`${text.length} characters${where}, more than ${criterion.maxLength}`);
  if (criterion.minWords !== undefined && words < criterion.minWords)
    return fail(`${words} words${where}, fewer than ${criterion.minWords}`);
  if (criterion.maxWords !== undefined && words > criterion.maxWords)
    return fail(`${words} words${where}, more than ${criterion.maxWords}`);
  const fold = (s: string) => (criterion.caseSensitive ? s : s.toLowerCase());
  const haystack = fold(text);
  const missing = criterion.include?.find((phrase) => !haystack.includes(fold(phrase)));
  if (missing !== undefined) return fail(`does not include ${JSON.stringify(missing)}${where}`);
  const forbidden = criterion.exclude?.find((phrase) => haystack.includes(fold(phrase)));
  if (forbidden !== undefined) return fail(`includes the forbidden ${JSON.stringify(forbidden)}${where}`);
  if (criterion.number) {
    const { equals, tolerance, relative } = criterion.number;
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text))
      return fail(`${preview(text)}${where} is not a number`);
    const value = Number(text);
    const allowed = relative ? Math.abs(equals) * tolerance : tolerance;
    if (!(Math.abs(value - equals) <= allowed)) return fail(`${value}${where} is not within ${allowed} of ${equals}`);
  }
  if ((criterion.match?.length ?? 0) + (criterion.notMatch?.length ?? 0) > 0) {
    const patterns = await openPatternSession();
    try {
      const flags = criterion.caseSensitive ? "" : "i";
      for (const pattern of criterion.match ?? []) {
        if (!patterns.compile(pattern, flags).test(text)) return fail(`does not match /${pattern}/${flags}${where}`);
      }
      for (const pattern of criterion.notMatch ?? []) {
        if (patterns.compile(pattern, flags).test(text))
          return fail(`matches the forbidden /${pattern}/${flags}${where}`);
      }
    } catch (error) {
      if (error instanceof PatternError && error.reason !== "syntax") return patternStall("constraints", error);
      return {
        kind: "constraints",
        verdict: "cannot-judge",
        confidence: 0,
        reason: `a pattern does not compile: ${(error as Error).message}`,
      };
    } finally {
      patterns.close();
    }
  }
  return { kind: "constraints", verdict: "pass", confidence: 1, reason: `every constraint holds${where}` };
}

/** The text of the value at a JSON Pointer (RFC 6901) of a JSON delivery: strings as they are, the rest as JSON. */
function valueAt(content: string, path: string): { text: string } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    return { problem: `the delivery is not JSON, so it has no ${path}` };
  }
  for (const raw of path.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    // Own properties only: "/__proto__/x" or "/constructor" must not reach the prototype chain.
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) {
      return { problem: `the delivery has no ${path}` };
    }
    value = (value as Record<string, unknown>)[key];
  }
  return { text: typeof value === "string" ? value.trim() : JSON.stringify(value) };
}

function preview(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}...` : text);
}
