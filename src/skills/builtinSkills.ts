import { extractiveSummary } from "./builtin/extractiveSummary.js";
import { jsonValidate } from "./builtin/jsonValidate.js";
import { sha256 } from "./builtin/sha256.js";
import { sortItems } from "./builtin/sortLines.js";
import { wordCount } from "./builtin/wordCount.js";
import type { Skill } from "./Skill.js";

/** The deterministic skills every Guild agent knows, by name. */
export const BUILTIN_SKILLS: ReadonlyMap<string, Skill> = new Map(
  [wordCount, sortItems, sha256, jsonValidate, extractiveSummary].map((skill) => [skill.name, skill]),
);
