import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten-core";
import { discardQuickJs, loadQuickJs } from "./loadQuickJs.js";
import { SANDBOX_LIMITS } from "./sandboxLimits.js";

/** A pattern test that hit the sandbox's limits (catastrophic backtracking, for one), or a pattern that does not compile. */
export class PatternError extends Error {
  override name = "PatternError";
  constructor(
    readonly reason: "syntax" | "time" | "memory" | "host",
    message: string,
  ) {
    super(message);
  }
}

/** Regular expressions compiled and run inside the sandbox, sharing one time budget. */
export type PatternSession = {
  /** Compiles a pattern; throws {@link PatternError} when it does not compile. */
  compile: (pattern: string, flags: string) => { test: (text: string) => boolean; toString: () => string };
  /** Frees the sandbox; the compiled patterns stop working. */
  close: () => void;
};

/**
 * Opens a sandbox for client-written regular expressions (constraints' patterns, JSON Schema's `pattern`). They
 * run in QuickJS, not in the host's engine: a pattern written to backtrack for minutes (`(a+)+$`) is stopped at
 * the session's time budget instead of freezing the daemon. Synchronous once open, so a JSON Schema validator
 * can call it.
 *
 * @example
 * const session = await openPatternSession();
 * try { session.compile("^\\d{4}-\\d{2}$", "").test("2024-05"); } finally { session.close(); }
 */
export async function openPatternSession({
  timeMs = SANDBOX_LIMITS.patternTimeMs,
}: {
  timeMs?: number;
} = {}): Promise<PatternSession> {
  const module = await loadQuickJs();
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  const handles: QuickJSHandle[] = [];
  let broken = false;
  try {
    runtime = module.newRuntime();
    runtime.setMemoryLimit(SANDBOX_LIMITS.defaultMemoryMb * 1024 * 1024);
    runtime.setMaxStackSize(SANDBOX_LIMITS.stackBytes);
    const deadline = Date.now() + timeMs;
    runtime.setInterruptHandler(() => Date.now() > deadline);
    context = runtime.newContext();
  } catch (error) {
    discardQuickJs(module);
    throw new PatternError("host", `the sandbox did not start: ${String(error)}`);
  }
  const ctx = context;
  const guarded = <T>(run: () => T): T => {
    if (broken) throw new PatternError("host", "the pattern sandbox failed earlier in this check");
    try {
      return run();
    } catch (error) {
      if (error instanceof PatternError) throw error;
      broken = true;
      discardQuickJs(module);
      throw new PatternError("host", `the pattern sandbox failed: ${String(error)}`);
    }
  };
  const fail = (handle: QuickJSHandle): PatternError => {
    const dumped = ctx.dump(handle) as { name?: unknown; message?: unknown } | undefined;
    handle.dispose();
    const message = String(dumped?.message ?? dumped);
    if (message === "interrupted")
      return new PatternError("time", `pattern matching took longer than ${timeMs} ms (catastrophic backtracking?)`);
    if (/out of memory|stack overflow/.test(message)) return new PatternError("memory", `pattern matching ${message}`);
    return new PatternError("syntax", message);
  };
  return {
    compile(pattern, flags) {
      return guarded(() => {
        const source = ctx.newString(pattern);
        const flagText = ctx.newString(flags);
        handles.push(source, flagText);
        const regExpConstructor = ctx.getProp(ctx.global, "RegExp");
        handles.push(regExpConstructor);
        const created = ctx.callFunction(regExpConstructor, ctx.undefined, source, flagText);
        if (created.error) throw fail(created.error);
        const regexp = created.value;
        handles.push(regexp);
        const testFn = ctx.getProp(regexp, "test");
        handles.push(testFn);
        return {
          test: (text: string) =>
            guarded(() => {
              const argument = ctx.newString(text);
              try {
                const result = ctx.callFunction(testFn, regexp, argument);
                if (result.error) throw fail(result.error);
                const matched = ctx.dump(result.value) === true;
                result.value.dispose();
                return matched;
              } finally {
                argument.dispose();
              }
            }),
          toString: () => `/${pattern}/${flags}`,
        };
      });
    },
    close() {
      if (broken) return;
      try {
        for (const handle of handles.reverse()) if (handle.alive) handle.dispose();
        ctx.dispose();
        runtime?.dispose();
      } catch {
        discardQuickJs(module);
      }
    },
  };
}
