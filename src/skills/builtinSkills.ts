import { createExtractFieldsSkill } from "./builtin/extractFields.js";
import { extractiveSummary } from "./builtin/extractiveSummary.js";
import { createJsFunctionSkill } from "./builtin/jsFunction.js";
import { jsonValidate } from "./builtin/jsonValidate.js";
import { sha256 } from "./builtin/sha256.js";
import { sortItems } from "./builtin/sortLines.js";
import { wordCount } from "./builtin/wordCount.js";
import type { Skill } from "./Skill.js";

/**
 * The skills every Guild agent knows offline, by name: five deterministic ones any checker re-computes, and two
 * checked by the job's criteria (`js-function` with tests, `extract-fields` with a JSON Schema and constraints),
 * in their offline versions. With a model configured, {@link createLlmSkills} replaces the latter two.
 */
export const BUILTIN_SKILLS: ReadonlyMap<string, Skill> = new Map(
  [
    wordCount,
    sortItems,
    sha256,
    jsonValidate,
    extractiveSummary,
    createJsFunctionSkill(),
    createExtractFieldsSkill(),
  ].map((skill) => [skill.name, skill]),
);
