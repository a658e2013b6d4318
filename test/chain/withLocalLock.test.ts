import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { LocalLockTimeoutError, withLocalLock } from "../../src/chain/withLocalLock.js";

const dir = mkdtempSync(join(tmpdir(), "guild-locks-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("withLocalLock", () => {
  it("runs one holder at a time and removes its file afterwards", async () => {
    const events: string[] = [];
    const task = (name: string) => async () => {
      events.push(`${name} in`);
      await sleep(150);
      events.push(`${name} out`);
      return name;
    };
    const results = await Promise.all([
      withLocalLock({ name: "one-at-a-time", dir }, task("a")),
      withLocalLock({ name: "one-at-a-time", dir }, task("b")),
    ]);
    expect(results).toEqual(["a", "b"]);
    expect(events).toEqual(["a in", "a out", "b in", "b out"]);
    expect(existsSync(join(dir, "one-at-a-time.lock"))).toBe(false);
  });

  it("takes over the lock of a process that died holding it", async () => {
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    writeFileSync(join(dir, "stale.lock"), dead);
    const started = Date.now();
    expect(await withLocalLock({ name: "stale", dir, timeoutMs: 5_000 }, async () => "ran")).toBe("ran");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("gives up with LocalLockTimeoutError while a live process holds it", async () => {
    writeFileSync(join(dir, "held.lock"), String(process.ppid));
    await expect(withLocalLock({ name: "held", dir, timeoutMs: 300 }, async () => "ran")).rejects.toBeInstanceOf(
      LocalLockTimeoutError,
    );
  });
});
