import type { CriterionResult } from "../CriteriaVerdict.js";
import type { ExactCriterion } from "../criteriaSchema.js";

/**
 * `exact`: the delivery equals the expected result, given in the criterion or re-computed by the job's
 * deterministic skill (`recompute` answers undefined when the skill is not one).
 */
export async function checkExact(
  criterion: ExactCriterion,
  content: string,
  recompute: () => Promise<string | undefined>,
): Promise<CriterionResult> {
  const expected = criterion.expected ?? (await recompute());
  if (expected === undefined) {
    return {
      kind: "exact",
      verdict: "cannot-judge",
      confidence: 0,
      reason: "no expected result is given and the skill cannot be re-computed",
    };
  }
  const same = normalize(expected, criterion.normalize) === normalize(content, criterion.normalize);
  const source = criterion.expected === undefined ? "re-computed the skill" : "compared with the expected result";
  return same
    ? { kind: "exact", verdict: "pass", confidence: 1, expected, reason: `${source}: the same` }
    : {
        kind: "exact",
        verdict: "fail",
        confidence: 1,
        expected,
        reason: `${source}: expected ${preview(expected)}, got ${preview(content.trim())}`,
      };
}

function normalize(text: string, mode: ExactCriterion["normalize"]): string {
  if (mode === "none") return text;
  if (mode === "trim") return text.trim();
  return text.trim().replace(/\s+/gu, " ");
}

export function preview(text: string): string {
  return text.length > 80 ? `${JSON.stringify(text.slice(0, 80))}...` : JSON.stringify(text);
}
