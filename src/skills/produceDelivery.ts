import { InvalidCriteriaError } from "../criteria/InvalidCriteriaError.js";
import { prepareCriteria, unevaluableCriterion } from "../criteria/prepareCriteria.js";
import type { DecodedJobSpec } from "./jobSpec.js";
import { SkillCannotDoTaskError, type Skill } from "./Skill.js";
import { type DeliveryJudge, type Verdict, verifyDelivery } from "./verifyDelivery.js";

export type ProduceDeliveryParameters = {
  /** The real skills, to check with (re-computation of deterministic skills). */
  skills: ReadonlyMap<string, Skill>;
  /** The implementation to deliver with; default the real one. A demo cheat (`checksOwnWork: false`) is not checked. */
  skill?: Skill;
  judge?: DeliveryJudge | undefined;
  signal?: AbortSignal;
};

export type ProduceDeliveryReturnType =
  | { status: "deliver"; content: string; selfCheck?: Verdict }
  | { status: "decline"; reason: string };

/**
 * What a worker does with a job addressed to it: accept it only when it can evaluate the criteria (well-formed,
 * within the sandbox's limits, no rubric without a model), do the work, and deliver only when its own result
 * meets the criteria, run with half of each time limit so that a checker's slower machine still has headroom.
 * Anything else is a decline with the reason (the client is refunded at once, and nothing is bonded).
 *
 * @example
 * const outcome = await produceDelivery(spec, { skills: BUILTIN_SKILLS });
 * if (outcome.status === "deliver") await deliverJob(client, { jobId, content: outcome.content });
 */
export async function produceDelivery(
  spec: DecodedJobSpec,
  { skills, skill = skills.get(spec.skill), judge, signal }: ProduceDeliveryParameters,
): Promise<ProduceDeliveryReturnType> {
  if (spec.criteriaError)
    return { status: "decline", reason: `malformed criteria: ${spec.criteriaError.shortMessage}` };
  if (!skill) return { status: "decline", reason: `this agent does not do ${spec.skill}` };
  if (spec.criteria) {
    try {
      await prepareCriteria(spec.criteria);
    } catch (error) {
      if (error instanceof InvalidCriteriaError)
        return { status: "decline", reason: `malformed criteria: ${error.shortMessage}` };
      throw error;
    }
    const unevaluable = unevaluableCriterion(spec.criteria, { canRecompute: skill.deterministic, hasJudge: !!judge });
    if (unevaluable) return { status: "decline", reason: `cannot evaluate the criteria: ${unevaluable}` };
  }
  let content: string;
  try {
    content = await skill.run(spec.input, signal, spec);
  } catch (error) {
    if (error instanceof SkillCannotDoTaskError) return { status: "decline", reason: error.shortMessage };
    throw error;
  }
  if (skill.checksOwnWork === false) return { status: "deliver", content };
  const verdict = await verifyDelivery(spec, content, skills, judge, { timeScale: 0.5 });
  if (verdict.verdict === "fail") {
    return { status: "decline", reason: `its own result does not meet the criteria (${verdict.reason})` };
  }
  if (verdict.verdict === "cannot-judge" && spec.criteria) {
    return { status: "decline", reason: `could not check its own result against the criteria (${verdict.reason})` };
  }
  return { status: "deliver", content, selfCheck: verdict };
}
