import type { Skill } from "../Skill.js";
import { subtlyWrongJsFunction } from "./subtlyWrongFunctions.js";

/**
 * Demo and test agents only (`guild start --deliver-wrong`): the skills a cheating worker delivers with. Each
 * produces a plausible but wrong result: `js-function` a function with an edge-case bug, the others a corrupted
 * answer (a count off by one, a list reversed). The worker's checking skills stay honest; only what it delivers
 * cheats, and it skips its own check of that.
 */
export function cheatingSkills(skills: ReadonlyMap<string, Skill>): ReadonlyMap<string, Skill> {
  const cheating = new Map<string, Skill>();
  for (const [name, skill] of skills) {
    cheating.set(
      name,
      name === "js-function"
        ? subtlyWrongJsFunction
        : { ...skill, run: async (input, signal, job) => corrupt(await skill.run(input, signal, job)) },
    );
  }
  return cheating;
}

/** A plausible but wrong result. */
export function corrupt(content: string): string {
  if (/^\d+$/.test(content)) return String(Number(content) + 1);
  const reversed = content.split(" ").reverse().join(" ");
  return reversed !== content ? reversed : `${content} (unchecked)`;
}
