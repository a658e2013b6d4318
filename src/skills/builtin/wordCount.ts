import type { Skill } from "../Skill.js";

/** Counts whitespace-separated words. */
export const wordCount: Skill = {
  name: "word-count",
  description: "Counts the words (whitespace-separated) in the input; answers the number.",
  deterministic: true,
  run: async (input) => String(input.trim() === "" ? 0 : input.trim().split(/\s+/u).length),
};
