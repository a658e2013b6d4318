import type { CriterionKind } from "./criteriaSchema.js";

/** A checker's answer: pass, fail, or cannot judge (and then it stakes nothing). */
export type VerdictValue = "pass" | "fail" | "cannot-judge";

/** The outcome of one criterion. */
export type CriterionResult = {
  kind: CriterionKind;
  verdict: VerdictValue;
  /**
   * How decisive the evidence is, 0..1: 1 for a deterministic check (a schema, a failed assertion), less when
   * the outcome could differ on another machine (a time limit) or comes from a model; 0 when it cannot judge.
   */
  confidence: number;
  reason: string;
  /** The expected result, for `exact`. */
  expected?: string;
  /** For `tests`: the sandbox's setup and run times, in milliseconds. */
  sandbox?: { setupMs: number; runMs: number; tests: number; failed: number };
};

/** The outcome of all of a job's criteria: all must hold. */
export type CriteriaVerdict = {
  verdict: VerdictValue;
  confidence: number;
  reason: string;
  results: CriterionResult[];
};

/** Judges a delivery against a rubric with a model; none is configured offline. */
export type RubricJudge = (
  task: { skill: string; input: string },
  content: string,
  rubric: string,
) => Promise<{ verdict: VerdictValue; confidence?: number; reason: string }>;
