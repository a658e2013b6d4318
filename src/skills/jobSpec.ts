import type { Criterion, CriterionInput } from "../criteria/criteriaSchema.js";
import { InvalidCriteriaError } from "../criteria/InvalidCriteriaError.js";
import { parseCriteria } from "../criteria/parseCriteria.js";
import { InvalidInputError } from "../errors/input.js";

/** What a job asks for, as written in its on-chain description: the task and, optionally, its acceptance criteria. */
export type JobSpec = { skill: string; input: string; criteria?: Criterion[] };

/** A job spec read from a description; `criteriaError` says why criteria it carries cannot be used. */
export type DecodedJobSpec = JobSpec & { criteriaError?: InvalidCriteriaError };

/** Longest input a job description may carry (the description is calldata: every byte costs gas). */
export const MAX_INPUT_LENGTH = 8_000;

/**
 * Writes a job spec as the job's on-chain description: compact JSON, readable by people and parseable by
 * worker daemons on any machine. With criteria it is version 2, and the criteria are written with their
 * defaults filled in, so the description commits the task and exactly what will pass; without, version 1
 * (what older daemons read). Throws {@link InvalidCriteriaError} for malformed criteria.
 *
 * @example
 * encodeJobSpec({ skill: "word-count", input: "the quick brown fox" });
 * // '{"v":1,"skill":"word-count","input":"the quick brown fox"}'
 * encodeJobSpec({ skill: "js-function", input: "isEven(n)", criteria: [{ kind: "tests", code: "test('2', () => assert(isEven(2)));" }] });
 * // '{"v":2,"skill":"js-function","input":"isEven(n)","criteria":[{"kind":"tests","code":"...","loadDelivery":true,"timeMs":1000,"memoryMb":16}]}'
 */
export function encodeJobSpec({
  skill,
  input,
  criteria,
}: {
  skill: string;
  input: string;
  criteria?: readonly CriterionInput[] | undefined;
}): string {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(skill)) {
    throw new InvalidInputError(
      "skill",
      `"${skill}" is not a skill name`,
      "Use lowercase letters, digits and -, e.g. word-count.",
    );
  }
  if (input.length > MAX_INPUT_LENGTH) {
    throw new InvalidInputError(
      "input",
      `${input.length} characters is too long`,
      `Keep it under ${MAX_INPUT_LENGTH}.`,
    );
  }
  if (criteria === undefined) return JSON.stringify({ v: 1, skill, input });
  return JSON.stringify({ v: 2, skill, input, criteria: parseCriteria(criteria) });
}

/**
 * Reads a job description written by {@link encodeJobSpec}; undefined when it is not one (jobs created
 * by other tools have free-form descriptions). Criteria that do not parse do not hide the task: they come
 * back as `criteriaError`, so a worker can decline and a checker abstain with the reason.
 */
export function decodeJobSpec(description: string): DecodedJobSpec | undefined {
  let parsed: { v?: unknown; skill?: unknown; input?: unknown; criteria?: unknown };
  try {
    parsed = JSON.parse(description) as typeof parsed;
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== "object") return undefined;
  if (typeof parsed.skill !== "string" || typeof parsed.input !== "string") return undefined;
  if (parsed.v === 1) return { skill: parsed.skill, input: parsed.input };
  if (parsed.v !== 2) return undefined;
  try {
    return { skill: parsed.skill, input: parsed.input, criteria: parseCriteria(parsed.criteria) };
  } catch (error) {
    if (!(error instanceof InvalidCriteriaError)) throw error;
    return { skill: parsed.skill, input: parsed.input, criteriaError: error };
  }
}
