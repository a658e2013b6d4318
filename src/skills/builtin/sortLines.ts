import type { Skill } from "../Skill.js";

/** Sorts items: numbers numerically when all are numbers, else text in code-point order. */
export const sortItems: Skill = {
  name: "sort",
  description: "Sorts the items of the input (separated by commas, spaces or new lines); numbers numerically.",
  deterministic: true,
  run: async (input) => {
    const items = input.split(/[\s,]+/u).filter(Boolean);
    const numeric = items.every((item) => /^-?\d+(\.\d+)?$/.test(item));
    const sorted = numeric
      ? [...items].sort((a, b) => Number(a) - Number(b))
      : [...items].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return sorted.join(" ");
  },
};
