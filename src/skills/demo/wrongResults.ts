import type { Skill } from "../Skill.js";

/**
 * Demo only: the skill of a cheating worker (`guild start --deliver-wrong`, used by `npm start`'s mallory and by the
 * tests of the staked check). Same name and description as `skill`, but it delivers a plausible wrong result, so the
 * checkers have something to catch. Nothing else in Guild uses it: the daemon's work loop delivers whatever the skills
 * it is given produce, and a daemon started with this flag still checks others' work with the real skills.
 *
 * @example
 * const cheat = wrongResults(wordCount); // "one two three" -> "4"
 */
export function wrongResults(skill: Skill): Skill {
  return {
    ...skill,
    run: async (input, signal) => corrupt(await skill.run(input, signal)),
  };
}

/** A plausible but wrong result: a count off by one, a list in the wrong order, or a visibly altered text. */
function corrupt(content: string): string {
  if (/^\d+$/.test(content)) return String(Number(content) + 1);
  const reversed = content.split(" ").reverse().join(" ");
  return reversed !== content ? reversed : `${content} (unchecked)`;
}
