import type { Skill } from "../Skill.js";
import { subtlyWrongJsFunction } from "./subtlyWrongFunctions.js";

/**
 * Demo only: the skill of a cheating worker (`guild start --deliver-wrong`, used by `npm start`'s mallory and by the
 * tests of the staked check). Same name and description as `skill`, but it delivers a plausible wrong result, so the
 * checkers have something to catch: for `js-function` a function with an edge-case bug (./subtlyWrongFunctions.ts),
 * for the others a corrupted answer. It does not check its own work (`checksOwnWork: false`). Nothing else in Guild
 * uses it: the daemon's work loop delivers whatever the skills it is given produce, and a daemon started with this
 * flag still checks others' work with the real skills.
 *
 * @example
 * const cheat = wrongResults(wordCount); // "one two three" -> "4"
 */
export function wrongResults(skill: Skill): Skill {
  if (skill.name === "js-function") return subtlyWrongJsFunction;
  return {
    ...skill,
    run: async (input, signal, job) => corrupt(await skill.run(input, signal, job)),
    checksOwnWork: false,
  };
}

/** A plausible but wrong result: a count off by one, a list in the wrong order, or a visibly altered text. */
function corrupt(content: string): string {
  if (/^\d+$/.test(content)) return String(Number(content) + 1);
  const reversed = content.split(" ").reverse().join(" ");
  return reversed !== content ? reversed : `${content} (unchecked)`;
}
