import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { freePort } from "../support/nodes.js";

// `npm start -- --scenario code`, run as a user would: a code job checked by tests, an honest function paid and a
// subtly wrong one refunded, and nothing left running.
describe("the code demo (npm start -- --scenario code)", () => {
  const home = mkdtempSync(join(tmpdir(), "guild-code-demo-test-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("pays bob's isPrime, refunds alice for mallory's edge-case bug, and exits 0 leaving nothing behind", async () => {
    const port = await freePort();
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(PACKAGE_ROOT, "scripts", "demo.ts"), "--scenario", "code"],
      {
        cwd: PACKAGE_ROOT,
        env: {
          ...process.env,
          GUILD_HOME: home,
          GUILD_CHAIN_PORT: String(port),
          GUILD_RPC_URL: "",
          OPENAI_API_KEY: "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect({ code, stderr: code === 0 ? "" : stderr.slice(-2_000) }).toEqual({ code: 0, stderr: "" });

    expect(stdout).toMatch(/Scenario code/);
    expect(stdout).toMatch(/bob delivered job \d+: "function isPrime\(n\) \{ if \(!Number\.isInteger\(n\)/);
    expect(stdout).toMatch(
      /mallory delivered job \d+: "function isPrime\(n\) \{ if \(n < 2\) return false; for \(let i = 2; i \* i < n;/,
    );
    expect(stdout).toMatch(/carol staked [\d.]+ ETH on fail/);
    expect(stdout).toMatch(/dave staked [\d.]+ ETH on fail/);
    expect(stdout).toMatch(/bob was paid 0\.002 ETH/);
    expect(stdout).toMatch(/alice was refunded 0\.002 ETH/);
    expect(stdout).toMatch(/mallory lost its 0\.001 ETH stake/);
    expect(stdout).toMatch(/The tests of job \d+ on its delivery: pass: tests: all 3 tests pass/);
    expect(stdout).toMatch(/The tests of job \d+ on its delivery: fail: tests: 1 of 3 tests fail; first: "composites"/);
    expect(stdout).toMatch(/Stopped 5 daemons and the chain; exiting 0\./);

    expect(await probeChainId(`http://127.0.0.1:${port}`, 500)).toBeUndefined();
    for (const name of ["alice", "bob", "mallory", "carol", "dave"]) {
      expect(readdirSync(join(home, "agents", name))).not.toContain("daemon.json");
    }
  }, 240_000);
});
