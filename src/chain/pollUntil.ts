import { setTimeout as delay } from "node:timers/promises";

/** Where a poll stands before one of its waits. */
export type PollProgress<T> = {
  /** What the last read gave (not done yet). */
  last: T;
  /** Reads so far (1 before the first wait). */
  reads: number;
  /** Wall-clock time since the poll started. */
  elapsedMs: number;
  /** The wait about to start. */
  waitMs: number;
};

export type PollUntilParameters<T> = {
  /** Wait between reads in milliseconds, or a function of the last read that picks the next wait. */
  intervalMs: number | ((last: T) => number);
  /** Wall-clock limit: once it has passed, the poll ends not done. Waits are cut to end at it, and one last read
   * runs there. Default: no limit. */
  timeoutMs?: number | undefined;
  /** Aborting rejects the current wait with node's AbortError (a read already running finishes first). */
  signal?: AbortSignal | undefined;
  /** Called before each wait: for callers that report how long they have been waiting. */
  onWait?: ((progress: PollProgress<T>) => void) | undefined;
};

/** How a poll ended: the last value read, and whether it satisfied `done` (false: the time limit passed). */
export type PollUntilReturnType<T> = { value: T; done: boolean };

/**
 * Reads until `done(value)` holds, waiting `intervalMs` between reads; ends not done once `timeoutMs` has passed.
 * An error thrown by `read` ends the poll (catch inside `read` what may be retried). The one poll loop of the
 * codebase: tools waiting for the chain, the embedded chain's start, the local lock, the receipt watcher.
 *
 * @example
 * const { value: job, done } = await pollUntil(
 *   () => readJob(client, { jobId }),
 *   (job) => job.status === "Submitted",
 *   { intervalMs: 1_000, timeoutMs: 120_000, signal, onWait: ({ elapsedMs }) => report(elapsedMs) },
 * );
 * if (!done) console.log(`still ${job.status} after 2 minutes`);
 */
export async function pollUntil<T>(
  read: () => Promise<T> | T,
  done: (value: T) => boolean,
  { intervalMs, timeoutMs, signal, onWait }: PollUntilParameters<T>,
): Promise<PollUntilReturnType<T>> {
  const started = Date.now();
  const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : started + timeoutMs;
  for (let reads = 1; ; reads++) {
    const value = await read();
    if (done(value)) return { value, done: true };
    const now = Date.now();
    if (now >= deadline) return { value, done: false };
    const interval = typeof intervalMs === "number" ? intervalMs : intervalMs(value);
    const waitMs = Math.max(0, Math.min(interval, deadline - now));
    onWait?.({ last: value, reads, elapsedMs: now - started, waitMs });
    await delay(waitMs, undefined, signal ? { signal } : undefined);
  }
}
