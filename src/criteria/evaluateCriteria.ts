import { checkConstraints } from "./checks/checkConstraints.js";
import { checkExact } from "./checks/checkExact.js";
import { checkJsonSchema } from "./checks/checkJsonSchema.js";
import { checkRubric } from "./checks/checkRubric.js";
import { checkTests } from "./checks/checkTests.js";
import type { CriteriaVerdict, CriterionResult, RubricJudge } from "./CriteriaVerdict.js";
import type { Criterion } from "./criteriaSchema.js";

export type EvaluateCriteriaParameters = {
  criteria: readonly Criterion[];
  /** The delivered text. */
  content: string;
  /** The job's skill and input (for `exact` re-computation and the rubric judge). */
  task: { skill: string; input: string };
  /** Re-computes a deterministic skill's result; undefined when the skill is not deterministic. */
  recompute: () => Promise<string | undefined>;
  /** A model judge for `rubric`; none offline. */
  judge?: RubricJudge | undefined;
  /** Fraction of each test suite's time limit to use (a worker checks its own work with 0.5). Default 1. */
  timeScale?: number;
};

/**
 * Evaluates a delivery against all of a job's criteria (all must hold) and says how decisive that is:
 * - one failed criterion fails the delivery, with the confidence of the most decisive failure;
 * - otherwise any criterion that cannot be judged (a rubric without a model) makes the whole "cannot judge";
 * - otherwise it passes, with the confidence of the least decisive criterion.
 * Deterministic checks count 1; time, memory and stack limits 0.9 (wall-clock time varies between machines);
 * a model's verdict its own confidence.
 *
 * @example
 * const verdict = await evaluateCriteria({
 *   criteria: parseCriteria([{ kind: "constraints", maxWords: 5 }]),
 *   content: "short enough",
 *   task: { skill: "answer", input: "Say something short." },
 *   recompute: async () => undefined,
 * });
 * // { verdict: "pass", confidence: 1, reason: "constraints: every constraint holds", results: [...] }
 */
export async function evaluateCriteria({
  criteria,
  content,
  task,
  recompute,
  judge,
  timeScale = 1,
}: EvaluateCriteriaParameters): Promise<CriteriaVerdict> {
  const results: CriterionResult[] = [];
  for (const criterion of criteria) {
    switch (criterion.kind) {
      case "exact":
        results.push(await checkExact(criterion, content, recompute));
        break;
      case "json-schema":
        results.push(await checkJsonSchema(criterion, content));
        break;
      case "tests":
        results.push(await checkTests(criterion, content, { timeScale }));
        break;
      case "constraints":
        results.push(await checkConstraints(criterion, content));
        break;
      case "rubric":
        results.push(await checkRubric(criterion, content, task, judge));
        break;
    }
  }
  return combineResults(results);
}

/** Combines per-criterion results: all must hold. */
export function combineResults(results: CriterionResult[]): CriteriaVerdict {
  const label = (r: CriterionResult) => `${r.kind}: ${r.reason}`;
  const failed = results.filter((r) => r.verdict === "fail");
  if (failed.length > 0) {
    const decisive = failed.reduce((best, r) => (r.confidence > best.confidence ? r : best));
    return { verdict: "fail", confidence: decisive.confidence, reason: failed.map(label).join("; "), results };
  }
  const unjudged = results.filter((r) => r.verdict === "cannot-judge");
  if (unjudged.length > 0 || results.length === 0) {
    return {
      verdict: "cannot-judge",
      confidence: 0,
      reason: unjudged.length > 0 ? unjudged.map(label).join("; ") : "no criteria",
      results,
    };
  }
  return {
    verdict: "pass",
    confidence: Math.min(...results.map((r) => r.confidence)),
    reason: results.map(label).join("; "),
    results,
  };
}
