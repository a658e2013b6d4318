import { Ajv, type ValidateFunction } from "ajv";
import type { Plugin } from "ajv";
import * as ajvFormats from "ajv-formats";
import type { PatternSession } from "../sandbox/openPatternSession.js";

// ajv-formats is CommonJS: under ESM the plugin is the namespace's `default` (its types say otherwise).
const addFormats = (ajvFormats as unknown as { default: Plugin<{ mode: "fast" | "full" }> }).default;

/**
 * Compiles a client's JSON Schema with Ajv (strict mode: unknown keywords and formats are errors, so a typo
 * does not silently accept everything). Its `pattern`s run in the sandbox's {@link PatternSession}, never in
 * the host's regular-expression engine. Throws Ajv's error when the schema is invalid.
 */
export function compileJsonSchema(schema: Record<string, unknown>, patterns: PatternSession): ValidateFunction {
  const regExp = Object.assign((pattern: string, flags: string) => patterns.compile(pattern, flags), {
    code: "sandboxRegExp",
  });
  const ajv = new Ajv({ strict: true, allErrors: false, code: { regExp } });
  // "fast" formats: simple regular expressions, none with catastrophic backtracking.
  addFormats(ajv, { mode: "fast" });
  return ajv.compile(schema);
}
