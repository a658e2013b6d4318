import { InvalidInputError } from "../errors/input.js";

/** What a job asks for, as written in its on-chain description. */
export type JobSpec = { skill: string; input: string };

/** Longest input a job description may carry (the description is calldata: every byte costs gas). */
export const MAX_INPUT_LENGTH = 8_000;

/**
 * Writes a job spec as the job's on-chain description: compact JSON, readable by people and parseable by
 * worker daemons on any machine.
 *
 * @example
 * encodeJobSpec({ skill: "word-count", input: "the quick brown fox" });
 * // '{"v":1,"skill":"word-count","input":"the quick brown fox"}'
 */
export function encodeJobSpec({ skill, input }: JobSpec): string {
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
  return JSON.stringify({ v: 1, skill, input });
}

/**
 * Reads a job description written by {@link encodeJobSpec}; undefined when it is not one (jobs created
 * by other tools have free-form descriptions).
 */
export function decodeJobSpec(description: string): JobSpec | undefined {
  try {
    const parsed = JSON.parse(description) as { v?: unknown; skill?: unknown; input?: unknown };
    if (parsed.v === 1 && typeof parsed.skill === "string" && typeof parsed.input === "string") {
      return { skill: parsed.skill, input: parsed.input };
    }
  } catch {
    // not JSON
  }
  return undefined;
}
