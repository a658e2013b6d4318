import type { CriterionResult } from "../CriteriaVerdict.js";
import type { TestsCriterion } from "../criteriaSchema.js";
import { findSyntaxError, runTestsInSandbox, type SandboxStop } from "../sandbox/runTestsInSandbox.js";
import { SANDBOX_LIMITS } from "../sandbox/sandboxLimits.js";

/**
 * `tests`: the client's test suite, run against the delivery in the sandbox; every test must pass.
 *
 * `timeScale` shrinks the time limit: a worker checks its own result with half the time (so an honest
 * delivery has twice the headroom on a checker's slower or busier machine), which is why a checker may
 * treat running out of time as the delivery's failure.
 */
export async function checkTests(
  criterion: TestsCriterion,
  content: string,
  { timeScale = 1 }: { timeScale?: number } = {},
): Promise<CriterionResult> {
  const syntax = await findSyntaxError(criterion.code);
  if (syntax) {
    return { kind: "tests", verdict: "cannot-judge", confidence: 0, reason: `the test code does not parse: ${syntax}` };
  }
  if (content.length > SANDBOX_LIMITS.maxDeliveryChars) {
    return {
      kind: "tests",
      verdict: "fail",
      confidence: 1,
      reason: `the delivery is ${content.length} characters, more than the sandbox loads (${SANDBOX_LIMITS.maxDeliveryChars})`,
    };
  }
  const run = await runTestsInSandbox({
    testCode: criterion.code,
    delivery: content,
    loadDelivery: criterion.loadDelivery,
    limits: {
      timeMs: Math.max(10, Math.round(criterion.timeMs * timeScale)),
      memoryBytes: criterion.memoryMb * 1024 * 1024,
    },
  });
  const failed = run.tests.filter((t) => !t.passed);
  const sandbox = { setupMs: run.setupMs, runMs: run.runMs, tests: run.tests.length, failed: failed.length };
  const result = (verdict: CriterionResult["verdict"], confidence: number, reason: string): CriterionResult => ({
    kind: "tests",
    verdict,
    confidence,
    reason,
    sandbox,
  });
  if (run.stop) return stopped(run.stop, result);
  const first = failed[0];
  if (first) {
    return result(
      "fail",
      1,
      `${failed.length} of ${run.tests.length} tests fail; first: "${first.name}": ${first.message ?? "failed"}`,
    );
  }
  if (run.tests.length === 0) return result("cannot-judge", 0, "the test code registers no tests");
  return result("pass", 1, `all ${run.tests.length} tests pass`);
}

function stopped(
  stop: SandboxStop,
  result: (verdict: CriterionResult["verdict"], confidence: number, reason: string) => CriterionResult,
): CriterionResult {
  const during = stop.test ? ` in test "${stop.test}"` : "";
  switch (stop.reason) {
    case "syntax":
      return stop.phase === "delivery"
        ? result("fail", 1, `the delivered code does not parse: ${stop.message}`)
        : result("cannot-judge", 0, `the test code does not parse: ${stop.message}`);
    case "error":
      return stop.phase === "delivery"
        ? result("fail", 1, `the delivered code throws when loaded: ${stop.message}`)
        : // The worker ran the same tests on its own result: code that throws here was not what it checked.
          result("fail", 0.9, `the tests stopped${during}: ${stop.message}`);
    case "time":
    case "memory":
    case "stack":
      return result(
        "fail",
        0.9,
        `the sandbox's ${stop.reason} limit was reached while running the ${stop.phase}${during}: ${stop.message}`,
      );
    case "host":
      return result("cannot-judge", 0, `the sandbox failed: ${stop.message}`);
  }
}
