import type { Skill } from "../Skill.js";

const STOP_WORDS = new Set(
  "a an and are as at be by for from has have in is it its of on or that the this to was were will with".split(" "),
);

/**
 * Extractive summary: the two sentences whose words are most frequent in the whole text, in their
 * original order. Deterministic, so checkers can re-compute it.
 */
export const extractiveSummary: Skill = {
  name: "summarize-extractive",
  description: "Summarises a text by picking its two most representative sentences (extractive, deterministic).",
  deterministic: true,
  run: async (input) => {
    const sentences =
      input
        .match(/[^.!?]+[.!?]*/gu)
        ?.map((s) => s.trim())
        .filter(Boolean) ?? [];
    if (sentences.length <= 2) return sentences.join(" ");
    const words = (text: string) =>
      (text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? []).filter((w) => !STOP_WORDS.has(w));
    const frequency = new Map<string, number>();
    for (const word of words(input)) frequency.set(word, (frequency.get(word) ?? 0) + 1);
    const scored = sentences.map((sentence, index) => {
      const list = words(sentence);
      const score = list.reduce((sum, word) => sum + (frequency.get(word) ?? 0), 0) / Math.max(1, list.length);
      return { sentence, index, score };
    });
    const best = [...scored].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, 2);
    return best
      .sort((a, b) => a.index - b.index)
      .map((s) => s.sentence)
      .join(" ");
  },
};
