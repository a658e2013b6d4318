import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { freePort } from "../support/nodes.js";

// `npm start` is the project's main job: run it as a user would (its own embedded chain, five daemon
// processes) and check the story it tells and that it leaves nothing running.
describe("the demo (npm start)", () => {
  const home = mkdtempSync(join(tmpdir(), "guild-demo-test-"));
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it("pays the honest worker, refunds the client for the cheater's work, makes the last-second sniper lose, and exits 0 leaving nothing behind", async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", join(PACKAGE_ROOT, "scripts", "demo.ts")], {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, GUILD_HOME: home, GUILD_CHAIN_PORT: String(port), GUILD_RPC_URL: "", OPENAI_API_KEY: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    expect({ code, stderr: code === 0 ? "" : stderr.slice(-2_000) }).toEqual({ code: 0, stderr: "" });

    expect(stdout).toMatch(/Started the embedded Hardhat chain/);
    expect(stdout).toMatch(/alice hired bob for job \d+: 0\.002 ETH escrowed \[tx 0x[0-9a-f]{10}…\]/);
    expect(stdout).toMatch(/alice hired mallory for job \d+: 0\.002 ETH escrowed/);
    expect(stdout).toMatch(/bob bonded 0\.001 ETH on pass/);
    expect(stdout).toMatch(/mallory bonded 0\.001 ETH on pass/);
    expect(stdout).toMatch(/carol staked [\d.]+ ETH on fail/);
    expect(stdout).toMatch(/dave staked [\d.]+ ETH on fail/);
    expect(stdout).toMatch(/The check of job \d+ PASSED/);
    expect(stdout).toMatch(/The check of job \d+ FAILED/);
    expect(stdout).toMatch(/bob was paid 0\.002 ETH/);
    expect(stdout).toMatch(/alice was refunded 0\.002 ETH/);
    expect(stdout).toMatch(/mallory lost its 0\.001 ETH stake/);
    expect(stdout).toMatch(/carol claimed [\d.]+ ETH on job \d+ \(stake [\d.]+ ETH \+ reward [\d.]+ ETH\)/);
    expect(stdout).toMatch(/Spending summary/);

    // eve, mallory's friend, stakes pass on mallory's job just before the close; a checker answers; she loses it.
    const eveStake = /eve staked ([\d.]+) ETH on pass for job (\d+)/.exec(stdout);
    expect(eveStake).not.toBeNull();
    const [, staked = "", jobId = ""] = eveStake ?? [];
    expect(stdout).toContain(`eve's stake took the lead of job ${jobId} for pass`);
    expect(stdout).toMatch(
      new RegExp(`(carol|dave)'s stake took the lead of job ${jobId} for fail \\([^)]*lead change 3\\)`),
    );
    expect(stdout).toContain(`eve lost its ${staked} ETH stake on job ${jobId}`);
    expect(stdout).toMatch(/eve's last-second stake, from the chain's events:/);
    expect(stdout).toMatch(
      /eve staked [\d.]+ ETH on pass for mallory's job \d+ \d+ s before its close, and took the lead/,
    );
    expect(stdout).toMatch(/(carol|dave) answered .* with [\d.]+ ETH on fail and took the lead back/);
    expect(stdout).toMatch(/The check FAILED at the close .*alice was refunded 0\.002 ETH; eve's claim paid 0 ETH/);
    // Her balance went down by her stake (and her gas): the summary table's row for eve.
    const row = /^\s+eve\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(-[\d.]+)$/m.exec(stdout);
    expect(row?.slice(1, 3)).toEqual([staked, "0"]);
    expect(Number(row?.[4])).toBeLessThan(-Number(staked));
    expect(Number(row?.[4])).toBeCloseTo(-Number(staked) - Number(row?.[3]), 7);
    expect(stdout).toMatch(/Stopped 5 daemons and the chain; exiting 0\./);

    // Nothing left: the chain's port is closed and no daemon left its daemon.json (removed on a clean stop).
    expect(await probeChainId(`http://127.0.0.1:${port}`, 500)).toBeUndefined();
    for (const name of ["alice", "bob", "mallory", "carol", "dave"]) {
      expect(readdirSync(join(home, "agents", name))).not.toContain("daemon.json");
    }
  }, 180_000);
});
