import { describe, expect, it } from "vitest";
import { pollUntil, type PollProgress } from "../../src/chain/pollUntil.js";

describe("pollUntil", () => {
  it("reads until done, waiting between reads, and reports each wait", async () => {
    let count = 0;
    const waits: PollProgress<number>[] = [];
    const result = await pollUntil(
      () => ++count,
      (value) => value === 3,
      { intervalMs: 10, onWait: (progress) => waits.push(progress) },
    );
    expect(result).toEqual({ value: 3, done: true });
    expect(waits.map(({ last, reads, waitMs }) => ({ last, reads, waitMs }))).toEqual([
      { last: 1, reads: 1, waitMs: 10 },
      { last: 2, reads: 2, waitMs: 10 },
    ]);
    expect(waits[1]?.elapsedMs).toBeGreaterThanOrEqual(9);
  });

  it("does not wait when the first read is done", async () => {
    const waits: unknown[] = [];
    const started = Date.now();
    const result = await pollUntil(
      async () => "ready",
      () => true,
      { intervalMs: 10_000, onWait: (p) => waits.push(p) },
    );
    expect(result).toEqual({ value: "ready", done: true });
    expect(waits).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("ends not done at the time limit with the last value, after a last read at the limit", async () => {
    const readAt: number[] = [];
    const started = Date.now();
    const result = await pollUntil(
      () => {
        readAt.push(Date.now() - started);
        return readAt.length;
      },
      () => false,
      { intervalMs: 1_000, timeoutMs: 150 },
    );
    expect(result.done).toBe(false);
    expect(result.value).toBe(2);
    // The one-second wait was cut to end at the limit, where the last read ran.
    expect(readAt[1]).toBeGreaterThanOrEqual(140);
    expect(readAt[1]).toBeLessThan(900);
  });

  it("picks each wait from the last read", async () => {
    const waits: number[] = [];
    await pollUntil(
      (() => {
        let n = 0;
        return () => ++n;
      })(),
      (value) => value === 4,
      { intervalMs: (last) => last * 5, onWait: ({ waitMs }) => waits.push(waitMs) },
    );
    expect(waits).toEqual([5, 10, 15]);
  });

  it("stops a wait when the signal aborts, with node's AbortError", async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const error = await pollUntil(
      () => 0,
      () => false,
      { intervalMs: 10_000, signal: controller.signal },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe("AbortError");
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("ends with the error a read throws", async () => {
    let count = 0;
    const error = await pollUntil(
      () => {
        if (++count === 2) throw new RangeError("the node went away");
        return count;
      },
      () => false,
      { intervalMs: 1 },
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RangeError);
    expect(count).toBe(2);
  });
});
