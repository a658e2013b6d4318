/**
 * Limits of the WebAssembly sandbox that runs criteria code (test suites and patterns). A criterion may ask
 * for less time or memory than the defaults, or more up to the maxima; anything beyond is refused when the
 * job spec is read, so a worker knows before it accepts what a checker will run.
 */
export const SANDBOX_LIMITS = {
  /** Wall-clock time for one check's code (delivery and tests together), in milliseconds. */
  defaultTimeMs: 1_000,
  maxTimeMs: 3_000,
  /** Memory the QuickJS heap may use, in MiB. */
  defaultMemoryMb: 16,
  maxMemoryMb: 64,
  /**
   * QuickJS's own stack limit, in bytes. Small on purpose: the interpreter's native frames live on the host's
   * stack, so this must trip before the host's (about 1 MiB) does. Deep recursion of ~500 frames fits.
   */
  stackBytes: 128 * 1024,
  /** console.log output kept per run, in characters (the rest is dropped and counted). */
  maxLogChars: 8_000,
  /** Characters kept of each failure message. */
  maxMessageChars: 300,
  /** Test cases one suite may register. */
  maxTests: 200,
  /** Length of the test code, in characters. */
  maxTestCodeChars: 20_000,
  /** Length of a delivery the sandbox will load, in characters. */
  maxDeliveryChars: 100_000,
  /** Regular expressions a constraints criterion may use, and the longest. */
  maxPatterns: 16,
  maxPatternChars: 500,
  /** Time for all of one check's pattern tests together, in milliseconds. */
  patternTimeMs: 500,
} as const;

/** The limits of one sandbox run. */
export type SandboxRunLimits = {
  timeMs: number;
  memoryBytes: number;
};
