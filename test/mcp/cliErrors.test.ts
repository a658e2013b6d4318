/*
 * `guild mcp` as a command: bad options and a missing chain fail before any session, with a sentence on
 * stderr naming the option and the exit code of the shared map; stdout (the protocol's) stays empty.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT } from "../../src/cli/exitCodes.js";
import { startTestGuild, type TestGuild } from "../daemon/support.js";
import { freePort } from "../support/nodes.js";
import { runGuild } from "../support/runGuild.js";

describe("guild mcp's usage errors and exit codes", () => {
  let guild: TestGuild;

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice"] });
  }, 240_000);
  afterAll(async () => {
    await guild?.stop();
  });

  /** Runs `guild mcp` with stdin closed at once (a host that never speaks). */
  const run = (agent: string, args: string[], env: Record<string, string> = {}) =>
    runGuild(["mcp", "--as", agent, ...args], guild.env(env));

  it("a port that is not one: exit 2, naming --http", async () => {
    const { code, stdout, stderr } = await run("alice", ["--http", "eighty"]);
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(
      'error: Invalid http: "eighty" is not a port. Give a number from 0 (any free port) to 65535.',
    );
    expect(stdout).toBe("");
  });

  it("a budget in a token this chain does not have, or with too many decimals: exit 2, naming --budget", async () => {
    const unknown = await run("alice", ["--budget", "0.01 FOO"]);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('error: Invalid budget: "FOO" is not a token Guild knows on this chain');
    const fine = await run("alice", ["--budget", "0.0000000000000000001 ETH"]);
    expect(fine.code).toBe(EXIT.usage);
    expect(fine.stderr).toContain("error: Invalid budget:");
    expect(fine.stderr).toContain("has 19 decimals but the token has 18");
  });

  it("a trusted payee that is not an address, or a bad agent name: exit 2", async () => {
    const trust = await run("alice", ["--trust", "0xnope"]);
    expect(trust.code).toBe(EXIT.usage);
    expect(trust.stderr).toContain('error: Invalid trust: "0xnope"');
    const name = await run("Not A Name", []);
    expect(name.code).toBe(EXIT.usage);
  });

  it("no chain answering: exit 3, saying how to start one", async () => {
    const { code, stderr, stdout } = await run("alice", [], { GUILD_RPC_URL: `http://127.0.0.1:${await freePort()}` });
    expect(code).toBe(EXIT.chain);
    expect(stderr).toContain('start the local chain with "guild chain"');
    expect(stdout).toBe("");
  });

  it("a host that closes stdin at once: the server starts, ends its empty session and exits 0", async () => {
    const { code, stdout, stderr } = await run("alice", []);
    expect(code, stderr).toBe(EXIT.ok);
    expect(stdout).toBe("");
    expect(stderr).toContain("Guild MCP server for alice");
  });
});
