/*
 * Bad input over MCP gets a protocol-correct answer and moves nothing: an unknown tool is a JSON-RPC
 * InvalidParams error (finding the tool is the protocol's part); wrong arguments, a job id nobody created
 * and an amount finer than its token are tool errors (`isError`, one sentence naming the field) the host's
 * model can correct; an unknown resource is the specification's "resource not found" (-32002).
 */
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { RESOURCE_NOT_FOUND } from "../../src/mcp/registerGuildResources.js";
import { startTestGuild, type TestGuild } from "../daemon/support.js";
import { callTool, chainState, connectMcp, type McpConnection, mcpTranscripts, textOf } from "./support.js";

describe("bad input over MCP", () => {
  let guild: TestGuild;
  let mcp: McpConnection;
  /** A payee the operator trusts, so the only thing wrong with a payment to it is the input under test. */
  const trusted = privateKeyToAccount(generatePrivateKey()).address;
  let before: Awaited<ReturnType<typeof chainState>>;

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice"] });
    mcp = await connectMcp(guild, "alice", { args: ["--trust", trusted] });
    before = await chainState(guild, [guild.address("alice"), trusted]);
  }, 240_000);
  afterAll(async () => {
    await mcp?.close();
    await guild?.stop();
  });

  it("an unknown tool is a JSON-RPC InvalidParams error naming the tools there are", async () => {
    const error = await mcp.client.callTool({ name: "transfer_all", arguments: { to: trusted } }).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(ErrorCode.InvalidParams);
    expect((error as McpError).message).toContain('Unknown tool "transfer_all"; Guild\'s tools are: get_balance, pay,');
  });

  it("arguments that do not fit the schema: a tool error naming the field, nothing sent", async () => {
    const wrongType = await callTool(mcp, "pay", { to: 42, amount: "0.001" });
    expect(wrongType.isError).toBe(true);
    expect(textOf(wrongType)).toMatch(/^Invalid to for pay: .*Nothing was sent; fix the argument and call again\.$/);
    const missing = await callTool(mcp, "hire_agent", { skill: "word-count" });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toMatch(/^Invalid input for hire_agent: /);
    const notAnAddress = await callTool(mcp, "pay", { to: "0xnot-an-address", amount: "0.001" });
    expect(notAnAddress.isError).toBe(true);
    expect(textOf(notAnAddress)).toMatch(/^Invalid to: "0xnot-an-address"/);
    expect(notAnAddress.structuredContent).toMatchObject({ ok: false, error: "InvalidAddressError" });
  });

  it("a job id nobody created: a tool error saying so, for reads and for value tools", async () => {
    for (const [name, args] of [
      ["get_job", { jobId: "999999" }],
      ["verify_delivery", { jobId: 999999 }],
      ["approve_delivery", { jobId: "999999" }],
      ["stake_on_check", { jobId: "999999", pass: true, amount: "0.001" }],
      ["wait_for_delivery", { jobId: "999999", timeoutSeconds: 5 }],
    ] as const) {
      const result = await callTool(mcp, name, args);
      expect(result.isError, name).toBe(true);
      expect(textOf(result), name).toMatch(/(^|: )Job 999999 does not exist\.$/);
    }
    const notAnId = await callTool(mcp, "get_job", { jobId: "12; pay 0xabc" });
    expect(notAnId.isError).toBe(true);
    expect(textOf(notAnId)).toMatch(/^Invalid jobId for get_job: "12; pay 0xabc" is not a job id/);
  });

  it("an amount with more decimals than its token: a tool error naming the amount, nothing sent", async () => {
    const eth = await callTool(mcp, "pay", { to: trusted, amount: "0.0000000000000000001" });
    expect(eth.isError).toBe(true);
    expect(textOf(eth)).toBe(
      'Invalid amount: "0.0000000000000000001" has 19 decimals but the token has 18. Round it to at most 18 decimals.',
    );
    const gusd = await callTool(mcp, "pay", { to: trusted, amount: "1.1234567", token: "gUSD" });
    expect(gusd.isError).toBe(true);
    expect(textOf(gusd)).toMatch(/^Invalid amount: "1\.1234567" has 7 decimals but the token has 6\./);
    const budget = await callTool(mcp, "hire_agent", {
      skill: "word-count",
      input: "a b",
      budget: "0.0010000000000000001",
    });
    expect(budget.isError).toBe(true);
    expect(textOf(budget)).toMatch(/^Invalid budget: .* has 19 decimals/);
    const exponent = await callTool(mcp, "pay", { to: trusted, amount: 1e-7 });
    expect(exponent.isError).toBe(true);
    expect(textOf(exponent)).toMatch(/^Invalid amount: "1e-7" is not a decimal number.*no exponents/);
  });

  it("an unknown resource is 'resource not found' (-32002)", async () => {
    for (const uri of [
      "guild://jobs/999999",
      "guild://jobs/abc",
      "guild://audit/nobody-here",
      "guild://audit/..%2F..%2Fetc%2Fpasswd", // a wallet name cannot leave the wallets folder
    ]) {
      const error = await mcp.client.readResource({ uri }).then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error, uri).toBeInstanceOf(McpError);
      expect((error as McpError).code, uri).toBe(RESOURCE_NOT_FOUND);
    }
  });

  it("after all of it, nothing moved: the agent sent no transaction and the payee got nothing", async () => {
    expect(await chainState(guild, [guild.address("alice"), trusted])).toEqual(before);
    // Each call is in the session's transcript as a failure, with no transaction.
    const [transcript] = mcpTranscripts(guild, "alice");
    const calls = transcript!.filter((entry) => entry.type === "tool");
    expect(calls).toHaveLength(13); // the unknown tool never became a call
    expect(calls.every((entry) => entry.type === "tool" && !entry.ok && entry.txHashes.length === 0)).toBe(true);
  });
});
