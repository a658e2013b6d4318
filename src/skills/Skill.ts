/**
 * A skill an agent can sell. Deterministic skills produce one exact answer that any checker can
 * re-compute; the others (LLM-backed) can only be judged by another model, or not at all offline.
 */
export type Skill = {
  name: string;
  description: string;
  deterministic: boolean;
  /** Does the work. */
  run: (input: string, signal?: AbortSignal) => Promise<string>;
};
