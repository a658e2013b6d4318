import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { privateKeyToAccount } from "viem/accounts";
import { afterAll, describe, expect, it } from "vitest";
import { deployGuild } from "../../src/chain/connectGuild.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import { loadConfig } from "../../src/config/loadConfig.js";
import { describeError } from "../../src/errors/describeError.js";
import { GuildError } from "../../src/errors/GuildError.js";
import { createLogger, silentLogger } from "../../src/log/createLogger.js";
import { DEV_KEYS, freePort, startTestNode, type TestNode } from "../support/nodes.js";

// Two Guild processes that start the embedded chain at the same moment on the same port: one starts it and deploys,
// the other waits and uses that chain and that deployment. And a failed deployment reads as a short cause, never as
// the contracts' bytecode.

const FIXTURE = join(PACKAGE_ROOT, "test", "chain", "fixtures", "connectEmbedded.ts");
const LONG_HEX = /0x[0-9a-fA-F]{100,}/;

type Report = { started?: boolean; escrow?: string; evaluator?: string; registry?: string; error?: string };

const homes: string[] = [];
const nodes: TestNode[] = [];
afterAll(async () => {
  for (const node of nodes) await node.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** Starts the fixture; resolves with its one-line report while it keeps running (until its stdin ends). */
function connectInChild(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
    cwd: PACKAGE_ROOT,
    env,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const report = new Promise<Report>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n")[0];
      if (stdout.includes("\n") && line) resolve(JSON.parse(line) as Report);
    });
    child.once("exit", (code) => reject(new Error(`exited ${code} before reporting:\n${stderr.slice(-2_000)}`)));
  });
  return { child, report, exited, stderr: () => stderr };
}

describe("embedded chain", () => {
  it("two processes starting it at once on one port: one chain, one deployment, both connected", async () => {
    const home = mkdtempSync(join(tmpdir(), "guild-race-"));
    homes.push(home);
    const port = await freePort();
    const env = { ...process.env, GUILD_HOME: home, GUILD_CHAIN_PORT: String(port), GUILD_RPC_URL: "" };
    const both = [connectInChild(env), connectInChild(env)];
    try {
      const reports = await Promise.all(both.map((run) => run.report));
      expect(reports.map((report) => report.error)).toEqual([undefined, undefined]);
      // Exactly one of them started the chain; both use the same contracts.
      expect(reports.map((report) => report.started).sort()).toEqual([false, true]);
      expect(reports[0]!.escrow).toBe(reports[1]!.escrow);
      expect(reports[0]!.registry).toBe(reports[1]!.registry);
      // One deployment: the deployer sent exactly its four deployment transactions.
      const connection = await createConnection({ url: `http://127.0.0.1:${port}` });
      const deployer = privateKeyToAccount(DEV_KEYS[0]).address;
      expect(await connection.publicClient.getTransactionCount({ address: deployer })).toBe(4);
      expect(await connection.publicClient.getCode({ address: reports[0]!.escrow as `0x${string}` })).toMatch(/^0x.+/);
      // The one that waited said so.
      expect(both.map((run) => /waiting for it/.test(run.stderr())).filter(Boolean).length).toBeGreaterThanOrEqual(1);
    } finally {
      for (const run of both) run.child.stdin.end();
      expect(await Promise.all(both.map((run) => run.exited))).toEqual([0, 0]);
    }
  });

  it("a failed deployment shows a short cause, in the error and in the log, never the bytecode", async () => {
    const node = await startTestNode("hardhat");
    nodes.push(node);
    const home = mkdtempSync(join(tmpdir(), "guild-deploy-error-"));
    homes.push(home);
    const connection = await createConnection({ url: node.url });
    const deployer = privateKeyToAccount(DEV_KEYS[0]);
    // A deployer with no ETH: the node refuses the first deployment transaction.
    await connection.publicClient.request({
      method: "hardhat_setBalance" as never,
      params: [deployer.address, "0x0"] as never,
    });
    const error = await deployGuild(connection, loadConfig({ GUILD_HOME: home }), silentLogger(), deployer).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(GuildError);
    const message = (error as GuildError).message;
    expect(message).toMatch(
      /^Account 0x[0-9a-fA-F]{40} has too little native currency for Deploying Guild's contracts/,
    );
    expect(message).not.toMatch(LONG_HEX);
    expect(message.length).toBeLessThan(400);
    expect(describeError(error)).not.toMatch(LONG_HEX);

    // The log keeps the chain of causes (viem's message, with the bytecode inside), cut short.
    let written = "";
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written += chunk.toString();
        done();
      },
    });
    createLogger({ level: "info", destination: sink }).error({ err: error }, "deploy failed");
    expect(written).toContain("deploy failed");
    expect(written).toMatch(/0x[0-9a-fA-F]{10}…\[\d+ bytes\]/);
    expect(written).not.toMatch(LONG_HEX);
  });
});
