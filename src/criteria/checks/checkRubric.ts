import type { CriterionResult, RubricJudge } from "../CriteriaVerdict.js";
import type { RubricCriterion } from "../criteriaSchema.js";

/** `rubric`: a model judges the delivery; without one, an honest "cannot judge". */
export async function checkRubric(
  criterion: RubricCriterion,
  content: string,
  task: { skill: string; input: string },
  judge: RubricJudge | undefined,
): Promise<CriterionResult> {
  if (!judge) {
    return {
      kind: "rubric",
      verdict: "cannot-judge",
      confidence: 0,
      reason: "no model is configured to judge a rubric",
    };
  }
  try {
    const judged = await judge(task, content, criterion.rubric);
    const confidence = judged.verdict === "cannot-judge" ? 0 : Math.max(0, Math.min(1, judged.confidence ?? 0));
    return { kind: "rubric", verdict: judged.verdict, confidence, reason: judged.reason };
  } catch (error) {
    return {
      kind: "rubric",
      verdict: "cannot-judge",
      confidence: 0,
      reason: `the model judge failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
