import { InvalidInputError } from "../errors/input.js";

/**
 * Acceptance criteria that are malformed, exceed the sandbox's limits, or cannot be evaluated (a test suite
 * that does not parse, a JSON Schema Ajv refuses). `field` names the criterion and its field, e.g.
 * `criteria[1].timeMs`.
 */
export class InvalidCriteriaError extends InvalidInputError {
  override name = "InvalidCriteriaError";

  constructor(field: string, problem: string, fix = "See docs/criteria.md for each kind's fields and limits.") {
    super(field, problem, fix);
  }
}
