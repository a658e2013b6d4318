import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDaemonState } from "../../src/daemon/daemonState.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshState() {
  const dir = mkdtempSync(join(tmpdir(), "guild-state-"));
  dirs.push(dir);
  return openDaemonState(join(dir, "state.sqlite"));
}

describe("the daemon's work queue", () => {
  it("counts only failed attempts toward giving up: waiting for the close or for the node does not", () => {
    const state = freshState();
    state.enqueue({ key: "settle:1", kind: "settle", jobId: 1n, block: 1n });
    // A settle that waits for its window twenty times, then for a node that went away...
    for (let i = 0; i < 20; i++) state.retryLater("settle:1", 0, "waiting for the check window to close");
    expect(state.dueItems(1)[0]?.attempts).toBe(0);
    // ...still has all its attempts when a real failure comes.
    state.retryLater("settle:1", 0, "reverted", true);
    expect(state.dueItems(1)[0]?.attempts).toBe(1);
  });
});
