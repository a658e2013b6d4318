import type { CriterionResult } from "../CriteriaVerdict.js";
import type { CriterionKind } from "../criteriaSchema.js";
import type { PatternError } from "../sandbox/openPatternSession.js";

/**
 * A client's pattern ran out of time or memory on this delivery. The worker ran the same patterns on its own
 * result before delivering (and would have declined had they stalled), so a delivery that stalls them is not
 * the one an honest worker checked: it fails. Not with full confidence, since the budget is wall-clock time.
 * Were it "cannot judge", a provider could deliver garbage built to stall checkers and be paid on its bond.
 */
export function patternStall(kind: CriterionKind, error: PatternError): CriterionResult {
  if (error.reason === "host") {
    return { kind, verdict: "cannot-judge", confidence: 0, reason: error.message };
  }
  return { kind, verdict: "fail", confidence: 0.9, reason: `the delivery stalls the criteria: ${error.message}` };
}
