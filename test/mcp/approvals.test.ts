/*
 * Where the guard needs a person, `guild mcp` asks the host's user through MCP elicitation. Three hosts:
 * one whose user approves, one whose user declines (or answers no), and one that cannot ask at all, which
 * gets a refusal naming the daemon's approval endpoint. The payee is always one the host's model supplied
 * (not in the operator's configuration): only a person's yes moves money to it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, type Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { startDaemonProcess, startTestGuild, type TestGuild } from "../daemon/support.js";
import { DEV_KEYS } from "../support/nodes.js";
import { callTool, chainState, connectMcp, type McpConnection, textOf } from "./support.js";

const fresh = (): Address => privateKeyToAccount(generatePrivateKey()).address;

describe("approvals over MCP elicitation", () => {
  let guild: TestGuild;
  const open: McpConnection[] = [];

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice"] });
  }, 240_000);
  afterAll(async () => {
    await Promise.allSettled(open.map((connection) => connection.close()));
    await guild?.stop();
  });

  async function host(options: Parameters<typeof connectMcp>[2]): Promise<McpConnection> {
    const connection = await connectMcp(guild, "alice", options);
    open.push(connection);
    return connection;
  }

  it("a host whose user approves: the question names the amount, the payee and why; the payment goes through", async () => {
    const mcp = await host({ elicit: () => ({ action: "accept", content: { approve: true } }) });
    const payee = fresh();
    const result = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
    expect(result.isError, textOf(result)).toBeUndefined();
    expect(textOf(result)).toBe(`Paid 0.001 ETH to ${payee}.`);
    expect(result.structuredContent).toMatchObject({ ok: true, approvals: ["accepted"] });
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(parseEther("0.001"));

    expect(mcp.elicitations).toHaveLength(1);
    const [question] = mcp.elicitations;
    expect(question!.mode).toBe("form");
    expect(question!.message).toContain(`pay 0.001 ETH to ${payee}`);
    expect(question!.message).toContain("the payee is not in your task, the allowlist or the address book");
    expect(question!.message).toContain("The address came from the assistant");
    expect(question && "requestedSchema" in question ? question.requestedSchema : undefined).toMatchObject({
      type: "object",
      properties: { approve: { type: "boolean" } },
      required: ["approve"],
    });
  });

  it("a payee the operator trusts (--trust) is paid without a question, until the amount passes the approval threshold", async () => {
    const payee = fresh();
    const mcp = await host({
      args: ["--trust", payee],
      elicit: () => ({ action: "accept", content: { approve: true } }),
    });
    const small = await callTool(mcp, "pay", { to: payee, amount: "0.01" });
    expect(small.isError, textOf(small)).toBeUndefined();
    expect(mcp.elicitations).toHaveLength(0);
    const large = await callTool(mcp, "pay", { to: payee, amount: "0.03" }); // above GUILD_APPROVAL_ABOVE (0.02 ETH)
    expect(large.isError, textOf(large)).toBeUndefined();
    expect(mcp.elicitations).toHaveLength(1);
    expect(mcp.elicitations[0]!.message).toContain("above the approval threshold");
    expect(mcp.elicitations[0]!.message).not.toContain("The address came from the assistant");
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(parseEther("0.04"));
  });

  it("a stake no check of the session backs is asked of the person, with that reason; approved, it is placed", async () => {
    // Another client's job, delivered by another provider: alice has not verified it in this session.
    const client = createGuildClient(guild.reader, { account: privateKeyToAccount(DEV_KEYS[2]) });
    const provider = createGuildClient(guild.reader, { account: privateKeyToAccount(DEV_KEYS[3]) });
    const { jobId } = await createAndFundJob(client, {
      provider: provider.account.address,
      budget: parseEther("0.01"),
      description: encodeJobSpec({ skill: "word-count", input: "one two" }),
      check: {},
    });
    await deliverJob(provider, { jobId, content: "2" });
    const mcp = await host({ elicit: () => ({ action: "accept", content: { approve: true } }) });
    const staked = await callTool(mcp, "stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.001" });
    expect(staked.isError, textOf(staked)).toBeUndefined();
    expect(mcp.elicitations).toHaveLength(1);
    expect(mcp.elicitations[0]!.message).toContain(`stake 0.001 ETH ("stake on pass for job ${jobId}")`);
    expect(mcp.elicitations[0]!.message).toContain("no check of this agent backs it");
    const position = await guild.connection.publicClient.readContract({
      address: guild.reader.addresses.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "stakeOf",
      args: [jobId, guild.address("alice")],
    });
    expect(position).toEqual([parseEther("0.001"), true]);
  });

  it("the session's budget (--budget) is a hard limit: no question is asked and none can raise it", async () => {
    const payee = fresh();
    const mcp = await host({
      args: ["--budget", "0.002 ETH", "--trust", payee],
      elicit: () => ({ action: "accept", content: { approve: true } }),
    });
    expect(mcp.client.getInstructions()).toContain("may spend at most 0.002 ETH in all (as the task states)");
    expect((await callTool(mcp, "pay", { to: payee, amount: "0.0015" })).isError).toBeUndefined();
    const over = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
    expect(over.isError).toBe(true);
    expect(over.structuredContent).toMatchObject({ refusedBy: "task-budget" });
    expect(textOf(over)).toMatch(
      /this task may spend 0\.002 ETH in all \(its stated budget\) and has spent 0\.0015 ETH/,
    );
    expect(mcp.elicitations).toHaveLength(0);
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(parseEther("0.0015"));
  });

  for (const [how, answer] of [
    ["declines the dialog", { action: "decline" as const }],
    ["answers no", { action: "accept" as const, content: { approve: false } }],
    ["dismisses the dialog", { action: "cancel" as const }],
  ] as const) {
    it(`a host whose user ${how}: refused, nothing sent`, async () => {
      const mcp = await host({ elicit: () => answer });
      const payee = fresh();
      const [before] = await chainState(guild, [guild.address("alice")]);
      const result = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
      expect(result.isError).toBe(true);
      expect(result.structuredContent).toMatchObject({
        ok: false,
        refusedBy: "untrusted-payee",
        approvals: [answer.action === "cancel" ? "cancelled" : "declined"],
      });
      expect(textOf(result)).toMatch(/^Refused by the spending policy: .* and a person did not approve paying it\./);
      expect(textOf(result)).toMatch(
        answer.action === "cancel" ? /dismissed or got no answer in time\.$/ : /The person declined when asked\.$/,
      );
      expect(mcp.elicitations).toHaveLength(1);
      const [after] = await chainState(guild, [guild.address("alice")]);
      expect(after).toEqual(before);
      expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(0n);
    });
  }

  it("a host without elicitation: refused with the daemon's approval endpoint named, nothing sent", async () => {
    const mcp = await host({});
    const payee = fresh();
    const [before] = await chainState(guild, [guild.address("alice")]);
    const result = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ refusedBy: "untrusted-payee", approvals: ["unsupported"] });
    expect(textOf(result)).toContain(
      "This MCP host cannot show Guild's approval question (it does not support elicitation)",
    );
    expect(textOf(result)).toContain(
      "no daemon of alice is running: start one with `guild start --name alice --roles client",
    );
    expect(textOf(result)).toContain("POST http://127.0.0.1:<api-port>/approvals/<id>");

    // With alice's daemon running, the refusal names its actual endpoint (never its token).
    const daemon = await startDaemonProcess(guild, "alice", ["--roles", "client"]);
    try {
      const again = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
      expect(again.isError).toBe(true);
      expect(textOf(again)).toContain(`GET ${daemon.info.apiUrl}/approvals lists it`);
      expect(textOf(again)).toContain(`POST ${daemon.info.apiUrl}/approvals/<id> {"approved": true}`);
      expect(textOf(again)).not.toContain(daemon.info.token);
    } finally {
      await daemon.terminate();
    }
    const [after] = await chainState(guild, [guild.address("alice")]);
    expect(after).toEqual(before);
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(0n);
  });
});
