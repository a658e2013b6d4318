import type { CriterionResult, VerdictValue } from "../criteria/CriteriaVerdict.js";
import { evaluateCriteria } from "../criteria/evaluateCriteria.js";
import type { DecodedJobSpec, JobSpec } from "./jobSpec.js";
import type { Skill } from "./Skill.js";

export type Verdict = {
  verdict: VerdictValue;
  /** How decisive, 0..1 (see evaluateCriteria); 0 when it cannot judge. Checkers stake only above their minimum. */
  confidence: number;
  reason: string;
  /** The re-computed result of a deterministic skill. */
  expected?: string;
  /** Each criterion's outcome, when the job has criteria. */
  results?: CriterionResult[];
};

/**
 * A model judge: with a rubric, judges the delivery against it; without, judges whether it fulfils the task
 * (jobs without criteria).
 */
export type DeliveryJudge = (
  spec: JobSpec,
  content: string,
  rubric?: string,
) => Promise<{ verdict: VerdictValue; confidence?: number; reason: string }>;

/**
 * Judges a delivered result, the way checkers stake and workers check their own work:
 * - a job with criteria: by its criteria, all of which must hold (tests run in the sandbox, schemas, constraints,
 *   `exact` re-computation, a rubric through the `judge`), with a confidence from how decisive they are;
 *   criteria that do not parse: "cannot judge";
 * - a job without (version 1 specs): a deterministic skill is re-computed and compared (whitespace at the ends
 *   ignored); any other skill goes to the `judge`, or is an honest "cannot judge" without one.
 *
 * @example
 * await verifyDelivery({ skill: "word-count", input: "a b c" }, "3", BUILTIN_SKILLS); // pass, confidence 1
 */
export async function verifyDelivery(
  spec: DecodedJobSpec,
  content: string,
  skills: ReadonlyMap<string, Skill>,
  judge?: DeliveryJudge,
  { timeScale = 1 }: { timeScale?: number } = {},
): Promise<Verdict> {
  if (spec.criteriaError) {
    return {
      verdict: "cannot-judge",
      confidence: 0,
      reason: `the job's criteria are unusable: ${spec.criteriaError.shortMessage}`,
    };
  }
  const skill = skills.get(spec.skill);
  const recompute = async () => (skill?.deterministic ? skill.run(spec.input) : undefined);
  if (spec.criteria) {
    const verdict = await evaluateCriteria({
      criteria: spec.criteria,
      content,
      task: { skill: spec.skill, input: spec.input },
      recompute,
      judge: judge ? (task, delivered, rubric) => judge({ ...task }, delivered, rubric) : undefined,
      timeScale,
    });
    const expected = verdict.results.find((r) => r.expected !== undefined)?.expected;
    return { ...verdict, ...(expected === undefined ? {} : { expected }) };
  }
  if (skill?.deterministic) {
    const expected = await skill.run(spec.input);
    return expected === content.trim()
      ? { verdict: "pass", confidence: 1, expected, reason: `re-computed ${spec.skill} and got the same result` }
      : {
          verdict: "fail",
          confidence: 1,
          expected,
          reason: `re-computed ${spec.skill}: expected ${truncate(expected)}, got ${truncate(content.trim())}`,
        };
  }
  if (judge) {
    const judged = await judge(spec, content);
    return {
      verdict: judged.verdict,
      confidence: judged.verdict === "cannot-judge" ? 0 : Math.max(0, Math.min(1, judged.confidence ?? 0)),
      reason: judged.reason,
    };
  }
  return {
    verdict: "cannot-judge",
    confidence: 0,
    reason: `${spec.skill} is not deterministic and no model is configured to judge it`,
  };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
