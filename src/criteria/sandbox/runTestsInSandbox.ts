import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten-core";
import { callSandboxWorker, SandboxKilledError } from "./callSandboxWorker.js";
import { HARNESS_SOURCE, wrapTestCode } from "./harnessSource.js";
import { discardQuickJs, loadQuickJs } from "./loadQuickJs.js";
import { SANDBOX_LIMITS, type SandboxRunLimits } from "./sandboxLimits.js";

/** Extra time past a run's limit before its thread is terminated: setup, and QuickJS's slower polling. */
export const HARD_DEADLINE_MARGIN_MS = 5_000;

export type RunTestsInSandboxParameters = {
  /** The test code: calls `test(name, fn)` with `assert` helpers; the delivery's text is `delivery`. */
  testCode: string;
  /** The delivered text. */
  delivery: string;
  /** Evaluate the delivery as a script first (its declarations become globals the tests call). */
  loadDelivery: boolean;
  limits: SandboxRunLimits;
};

/** One test case's result. */
export type TestCaseResult = { name: string; passed: boolean; message?: string };

/** Why a run stopped before every test had a result. */
export type SandboxStop = {
  /** What was running: loading the delivery, loading the test code, or running the tests. */
  phase: "delivery" | "test-code" | "tests";
  /**
   * `syntax`: the code does not parse; `error`: it threw; `time`, `memory`, `stack`: a sandbox limit;
   * `host`: the sandbox failed inside the host (for instance the host's own stack ran out), contained.
   */
  reason: "syntax" | "error" | "time" | "memory" | "stack" | "host";
  message: string;
  /** The test that was running, when there was one. */
  test?: string;
};

export type RunTestsInSandboxReturnType = {
  tests: TestCaseResult[];
  stop?: SandboxStop;
  /** console.log output, up to the sandbox's limit. */
  logs: string;
  /** Log characters dropped over the limit. */
  droppedLogChars: number;
  /** Time spent setting up the sandbox (runtime, context, harness, lockdown), in milliseconds. */
  setupMs: number;
  /** Time spent running the delivery and the tests, in milliseconds. */
  runMs: number;
};

/**
 * Runs a test suite against a delivery inside a fresh QuickJS context (WebAssembly): no file system, network,
 * process, timers or host objects exist there, only the ECMAScript built-ins, frozen. Time, memory and stack
 * are limited; logs and messages are cut to size. Never throws for anything the code does: an infinite loop,
 * a memory bomb, a stack overflow or a failure inside the host are reported in `stop`, and the module is
 * replaced when its state can no longer be trusted.
 *
 * Runs in the sandbox's worker thread, so the caller's event loop stays free; a run that holds the thread past
 * the time limit plus {@link HARD_DEADLINE_MARGIN_MS} (QuickJS polls its interrupt only between bytecodes) has
 * its thread terminated and is reported as out of time.
 *
 * @example
 * const run = await runTestsInSandbox({
 *   delivery: "function add(a, b) { return a + b; }",
 *   loadDelivery: true,
 *   testCode: "test('adds', () => assert.equal(add(2, 3), 5));",
 *   limits: { timeMs: 1000, memoryBytes: 16 * 1024 * 1024 },
 * });
 * // run.tests: [{ name: "adds", passed: true }]
 */
export async function runTestsInSandbox(parameters: RunTestsInSandboxParameters): Promise<RunTestsInSandboxReturnType> {
  const started = performance.now();
  try {
    return await callSandboxWorker<RunTestsInSandboxReturnType>(
      { op: "runTests", parameters },
      parameters.limits.timeMs + HARD_DEADLINE_MARGIN_MS,
    );
  } catch (error) {
    if (!(error instanceof SandboxKilledError)) throw error;
    // Killed from outside: the code held the thread past the time limit without QuickJS noticing.
    return {
      tests: [],
      stop: {
        phase: "delivery",
        reason: error.message.startsWith("no answer") ? "time" : "host",
        message: error.message,
      },
      logs: "",
      droppedLogChars: 0,
      setupMs: 0,
      runMs: performance.now() - started,
    };
  }
}

/**
 * The same run in the calling thread (what the sandbox's worker thread does). Blocks the thread for at most the
 * time limit as long as QuickJS polls its interrupt; {@link runTestsInSandbox} adds the hard deadline.
 */
export async function runTestsInThisThread(
  parameters: RunTestsInSandboxParameters,
): Promise<RunTestsInSandboxReturnType> {
  const module = await loadQuickJs();
  return runWithModule(module, parameters);
}

/** Checks that test code parses, without running it (compiled inside the sandbox). Undefined when it parses. */
export async function findSyntaxError(code: string): Promise<string | undefined> {
  try {
    return await callSandboxWorker<string | undefined>(
      { op: "findSyntaxError", code },
      SANDBOX_LIMITS.patternTimeMs + HARD_DEADLINE_MARGIN_MS,
    );
  } catch (error) {
    if (!(error instanceof SandboxKilledError)) throw error;
    return `the sandbox failed while compiling: ${error.message}`;
  }
}

/** {@link findSyntaxError} in the calling thread. */
export async function findSyntaxErrorInThisThread(code: string): Promise<string | undefined> {
  const module = await loadQuickJs();
  const runtime = module.newRuntime();
  try {
    runtime.setMemoryLimit(SANDBOX_LIMITS.defaultMemoryMb * 1024 * 1024);
    runtime.setMaxStackSize(SANDBOX_LIMITS.stackBytes);
    const deadline = Date.now() + SANDBOX_LIMITS.patternTimeMs;
    runtime.setInterruptHandler(() => Date.now() > deadline);
    const context = runtime.newContext();
    try {
      const result = context.evalCode(wrapTestCode(code), "test-code.js", { compileOnly: true });
      if (result.error) {
        const error = describeError(context, result.error);
        result.error.dispose();
        return error.message;
      }
      result.value.dispose();
      return undefined;
    } finally {
      context.dispose();
    }
  } catch (error) {
    discardQuickJs(module);
    return `the sandbox failed while compiling: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    disposeQuietly(runtime);
  }
}

function runWithModule(
  module: QuickJSWASMModule,
  { testCode, delivery, loadDelivery, limits }: RunTestsInSandboxParameters,
): RunTestsInSandboxReturnType {
  const started = performance.now();
  const results = new Map<string, TestCaseResult>();
  const order: string[] = [];
  let running: string | undefined;
  let logs = "";
  let droppedLogChars = 0;
  let setupMs = 0;
  let stop: SandboxStop | undefined;
  let hostFailed = false;
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  const handles: QuickJSHandle[] = [];
  // Setup (harness and lockdown) gets its own budget (inside the hard margin), so the code under test gets all of its time.
  let deadline = Date.now() + SANDBOX_LIMITS.maxTimeMs;

  // Started tests without a result yet, by name (an async test's result comes when its promise settles).
  const outstanding = new Map<string, number>();
  const record = (kind: string, name: string, message: string) => {
    if (kind === "start") {
      running = name;
      outstanding.set(name, (outstanding.get(name) ?? 0) + 1);
      return;
    }
    running = undefined;
    const left = (outstanding.get(name) ?? 1) - 1;
    if (left > 0) outstanding.set(name, left);
    else outstanding.delete(name);
    // Names may repeat; keep every case.
    let key = name;
    for (let n = 2; results.has(key); n++) key = `${name} #${n}`;
    order.push(key);
    results.set(key, { name: key, passed: kind === "pass", ...(kind === "fail" ? { message } : {}) });
  };

  try {
    runtime = module.newRuntime();
    runtime.setMemoryLimit(limits.memoryBytes);
    runtime.setMaxStackSize(SANDBOX_LIMITS.stackBytes);
    runtime.setInterruptHandler(() => Date.now() > deadline);
    context = runtime.newContext();
    const ctx = context;
    const report = ctx.newFunction("report", (kind, name, message) => {
      record(ctx.getString(kind), ctx.getString(name), ctx.getString(message));
    });
    const log = ctx.newFunction("log", (line) => {
      const text = `${ctx.getString(line)}\n`;
      const room = SANDBOX_LIMITS.maxLogChars - logs.length;
      if (room >= text.length) logs += text;
      else {
        if (room > 0) logs += text.slice(0, room);
        droppedLogChars += text.length - Math.max(0, room);
      }
    });
    handles.push(report, log);
    const harness = ctx.evalCode(HARNESS_SOURCE, "harness.js");
    if (harness.error) {
      const error = describeError(ctx, harness.error);
      harness.error.dispose();
      throw new Error(`the harness did not load: ${error.message}`);
    }
    handles.push(harness.value);
    const text = ctx.newString(delivery);
    handles.push(text);
    const runner = ctx.callFunction(harness.value, ctx.undefined, report, log, text);
    if (runner.error) {
      const error = describeError(ctx, runner.error);
      runner.error.dispose();
      throw new Error(`the harness did not start: ${error.message}`);
    }
    handles.push(runner.value);
    setupMs = performance.now() - started;
    deadline = Date.now() + limits.timeMs;

    if (loadDelivery) {
      const loaded = ctx.evalCode(delivery, "delivery.js");
      if (loaded.error) {
        stop = { phase: "delivery", ...describeError(ctx, loaded.error) };
        loaded.error.dispose();
      } else loaded.value.dispose();
    }
    if (!stop) {
      const compiled = ctx.evalCode(wrapTestCode(testCode), "test-code.js");
      if (compiled.error) {
        stop = { phase: "test-code", ...describeError(ctx, compiled.error) };
        compiled.error.dispose();
      } else {
        handles.push(compiled.value);
        const command = ctx.newString("load");
        handles.push(command);
        const loaded = ctx.callFunction(runner.value, ctx.undefined, command, compiled.value);
        if (loaded.error) {
          stop = { phase: "test-code", ...describeError(ctx, loaded.error) };
          loaded.error.dispose();
        } else loaded.value.dispose();
      }
    }
    if (!stop) {
      const command = ctx.newString("run");
      handles.push(command);
      const ran = ctx.callFunction(runner.value, ctx.undefined, command);
      if (ran.error) {
        stop = { phase: "tests", ...describeError(ctx, ran.error) };
        ran.error.dispose();
      } else {
        ran.value.dispose();
        // Async tests: run the job queue until every promise settled or time is up.
        while (runtime.hasPendingJob() && Date.now() <= deadline) {
          const jobs = runtime.executePendingJobs(64);
          if (jobs.error) {
            stop = { phase: "tests", ...describeError(ctx, jobs.error) };
            jobs.error.dispose();
            break;
          }
        }
        // Out of time with a test still waiting: the queue may look drained only because the interrupt ended the
        // job that would have queued the next one (QuickJS does not always report that as an error).
        if (!stop && (runtime.hasPendingJob() || (Date.now() > deadline && outstanding.size > 0))) {
          stop = { phase: "tests", reason: "time", message: `did not finish within ${limits.timeMs} ms` };
        }
      }
    }
  } catch (error) {
    // Only the host can throw here (the guest's errors come back as values): its stack overflowed in a deep
    // native recursion, or the WebAssembly module trapped. Contained; the module is not trusted again.
    discardQuickJs(module);
    hostFailed = true;
    stop = {
      phase: stop?.phase ?? (running ? "tests" : "delivery"),
      reason: error instanceof RangeError ? "stack" : "host",
      message:
        error instanceof RangeError
          ? "the code recursed deeper than the host's stack allows"
          : `the sandbox failed: ${error instanceof Error ? error.message : String(error)}`,
    };
  } finally {
    // After a failure in the host the module is discarded whole: freeing into it could only trip its assertions.
    if (!hostFailed) {
      for (const handle of handles.reverse()) if (handle.alive) disposeQuietly(handle);
      if (context?.alive) disposeQuietly(context);
      if (runtime?.alive) disposeQuietly(runtime, module);
    }
  }
  if (stop && running && stop.phase === "tests") stop.test = running;
  else if (!stop) {
    // Every job ran, yet some async tests never settled: their promises can no longer resolve.
    for (const [name, count] of outstanding) {
      for (let i = 0; i < count; i++) record("fail", name, "its promise never settled");
    }
  }
  return {
    tests: order.flatMap((key) => results.get(key) ?? []),
    ...(stop ? { stop } : {}),
    logs,
    droppedLogChars,
    setupMs,
    runMs: performance.now() - started - setupMs,
  };
}

/** Classifies an error value thrown inside the sandbox. */
function describeError(context: QuickJSContext, handle: QuickJSHandle): Pick<SandboxStop, "reason" | "message"> {
  let name = "";
  let message = "";
  try {
    const dumped = context.dump(handle) as unknown;
    if (dumped && typeof dumped === "object") {
      const { name: n, message: m } = dumped as { name?: unknown; message?: unknown };
      name = typeof n === "string" ? n : "";
      message = typeof m === "string" ? m : JSON.stringify(dumped);
    } else message = String(dumped);
  } catch {
    message = "an error that could not be read";
  }
  message = message.slice(0, SANDBOX_LIMITS.maxMessageChars);
  if (name === "InternalError" && message === "interrupted") return { reason: "time", message: "ran out of time" };
  if (name === "InternalError" && /out of memory|string too long|invalid array length/.test(message)) {
    return { reason: "memory", message: `ran out of memory (${message})` };
  }
  if (/stack overflow/.test(message)) return { reason: "stack", message: "stack overflow" };
  if (name === "SyntaxError") return { reason: "syntax", message: `SyntaxError: ${message}` };
  return { reason: "error", message: name ? `${name}: ${message}` : message };
}

function disposeQuietly(disposable: { dispose: () => void }, module?: QuickJSWASMModule): void {
  try {
    disposable.dispose();
  } catch {
    // A runtime that cannot be freed (objects left after an out-of-memory) trips an assertion in the module:
    // nothing to recover there, so the module is replaced.
    if (module) discardQuickJs(module);
  }
}
