import { GuildError } from "../errors/GuildError.js";
import type { JobSpec } from "./jobSpec.js";

/**
 * A skill an agent can sell. Deterministic skills produce one exact answer that any checker can
 * re-compute; the others are checked by the job's criteria (tests, a schema, constraints, a rubric),
 * or by a model, or not at all offline.
 */
export type Skill = {
  name: string;
  description: string;
  deterministic: boolean;
  /**
   * Does the work. `job` is the whole job spec, for skills that work to the criteria (an extraction reads
   * the fields its JSON Schema asks for). Throws {@link SkillCannotDoTaskError} for a task it cannot do.
   */
  run: (input: string, signal?: AbortSignal, job?: JobSpec) => Promise<string>;
  /**
   * Demo only (src/skills/demo/): `false` for a cheating skill, whose worker delivers without running the job's
   * criteria on its result (it would catch its own wrong work). Every real skill's worker checks.
   */
  checksOwnWork?: false;
};

/** A skill was given a task it cannot do (an unknown function, text without the fields asked for). */
export class SkillCannotDoTaskError extends GuildError {
  override name = "SkillCannotDoTaskError";
}
