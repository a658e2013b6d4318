import type { Skill } from "../Skill.js";

/** Says whether the input is valid JSON, and if so returns it in canonical compact form. */
export const jsonValidate: Skill = {
  name: "json-validate",
  description: 'Checks that the input is valid JSON; answers "valid: <compact JSON>" or "invalid".',
  deterministic: true,
  run: async (input) => {
    try {
      return `valid: ${JSON.stringify(JSON.parse(input))}`;
    } catch {
      return "invalid";
    }
  },
};
