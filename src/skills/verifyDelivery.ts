import type { JobSpec } from "./jobSpec.js";
import type { Skill } from "./Skill.js";

export type Verdict = { verdict: "pass" | "fail" | "cannot-judge"; expected?: string; reason: string };

/**
 * Judges a delivered result: for a deterministic skill, re-computes it and compares (whitespace at the
 * ends ignored); for any other skill, an honest "cannot judge" unless a `judge` (an LLM) is given.
 *
 * @example
 * await verifyDelivery({ skill: "word-count", input: "a b c" }, "3", BUILTIN_SKILLS); // pass
 */
export async function verifyDelivery(
  spec: JobSpec,
  content: string,
  skills: ReadonlyMap<string, Skill>,
  judge?: (spec: JobSpec, content: string) => Promise<Verdict>,
): Promise<Verdict> {
  const skill = skills.get(spec.skill);
  if (skill?.deterministic) {
    const expected = await skill.run(spec.input);
    return expected === content.trim()
      ? { verdict: "pass", expected, reason: `re-computed ${spec.skill} and got the same result` }
      : {
          verdict: "fail",
          expected,
          reason: `re-computed ${spec.skill}: expected ${truncate(expected)}, got ${truncate(content.trim())}`,
        };
  }
  if (judge) return judge(spec, content);
  return {
    verdict: "cannot-judge",
    reason: `${spec.skill} is not deterministic and no model is configured to judge it`,
  };
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}...` : text;
}
