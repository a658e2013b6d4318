/*
 * Every tool in ALL_TOOLS against a real chain, each in a state where it would do real work and with the
 * arguments an attacker would pick: a tool that declares `moves: "value"` must be stopped by a guard that
 * refuses everything before it sends anything; a tool that declares `moves: "none"` may send transactions,
 * but none that commits the agent's value (decoded from each transaction's calldata). A tool added to
 * ALL_TOOLS without a scenario here fails the test.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeFunctionData, erc20Abi, type Hash, parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { sendPayment } from "../../src/chain/actions/sendPayment.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { agentRegistryAbi } from "../../src/contracts/AgentRegistry.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { type ApprovalRequest, denyAll } from "../../src/guard/approvers.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import type { GuildTool, ToolContext } from "../../src/tools/GuildTool.js";
import { runTool } from "../../src/tools/runTool.js";
import {
  chainState,
  contextFor,
  deliveredJob,
  newAgent,
  stake,
  startHarness,
  timeTravel,
  type Harness,
  type TestAgent,
} from "./harness.js";

const INPUT = "one two three";
const CALL_ABI = [...jobEscrowAbi, ...stakedEvaluatorAbi, ...agentRegistryAbi, ...erc20Abi] as const;

/**
 * Contract calls that only finalise what the contracts decided, or touch no one's money: anyone may settle
 * a check; a claim, a refund claim or a withdrawal pays the caller itself; the rest list or deliver work.
 * Every other call, and every call this list cannot decode, counts as committing value.
 */
const FINALISING = new Set([
  "settle",
  "claim",
  "claimRefund",
  "withdraw",
  "register",
  "update",
  "setActive",
  "deliver",
  "submit",
  "decline",
]);

/** What a transaction the agent sent does: `finalises` or `commits value` (with the function's name). */
async function classify(h: Harness, hash: Hash): Promise<string> {
  const tx = await h.guild.reader.connection.publicClient.getTransaction({ hash });
  if (tx.value > 0n) return `commits value (sends ${tx.value} wei)`;
  if (tx.input === "0x") return "finalises (empty call)";
  try {
    const { functionName } = decodeFunctionData({ abi: CALL_ABI, data: tx.input });
    return FINALISING.has(functionName) ? `finalises (${functionName})` : `commits value (${functionName})`;
  } catch {
    return `commits value (unknown call ${tx.input.slice(0, 10)})`;
  }
}

type Scenario = { args: Record<string, unknown>; expectSent?: boolean };

describe("every tool's declared capability holds on a real chain", () => {
  let h: Harness;
  let me: TestAgent;
  let bob: TestAgent;
  let carol: TestAgent;
  let other: TestAgent;
  /** The attacker sells word-count in the registry, so it can be hired, and provides the jobs it wants paid. */
  let attacker: TestAgent;
  let sent: Hash[];
  let client: GuildClient;
  const scenarios = new Map<string, Scenario>();

  beforeAll(async () => {
    h = await startHarness("anvil");
    [me, bob, carol, other] = await Promise.all([
      newAgent(h, { eth: "5", gusd: "500" }),
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "5", gusd: "0" }),
    ]);
    // Not through newAgent: the attacker is not one of the operator's wallets (its address book).
    const key = generatePrivateKey();
    attacker = { key, address: privateKeyToAccount(key).address, client: h.guild.clientFor(key) };
    await sendPayment(h.funder, { to: attacker.address, amount: parseEther("1") });
    await registerAgent(attacker.client, { name: "mallory", skills: ["word-count"], price: parseEther("0.001") });
    await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
    client = createGuildClient(h.guild.reader, {
      account: privateKeyToAccount(me.key),
      onSubmitted: (tx) => sent.push(tx.hash),
    });

    const job = (client: GuildClient, provider: GuildClient, content: string, budget: string, windowSeconds = 600n) =>
      deliveredJob(client, provider, { input: INPUT, content, budget: parseEther(budget), windowSeconds });
    // The agent's own delivered job, provided by the attacker (with wrong work): approving it pays the attacker.
    const mine = await job(me.client, attacker.client, "7", "0.002");
    // Someone else's delivered job, also the attacker's: a stake there goes to whoever wins the other side.
    const theirs = await job(other.client, attacker.client, "3", "0.01");
    // The agent's job with bob, right work, bonded, window over: settling it pays bob (the check decided).
    const settle = await job(me.client, bob.client, "3", "0.002", 60n);
    await stake(bob.client, settle, true, parseEther("0.001"));
    // A settled check the agent staked on (pass, and won): claim_rewards pays the agent its stake back.
    const claim = await job(other.client, bob.client, "3", "0.002", 60n);
    await stake(bob.client, claim, true, parseEther("0.001"));
    await stake(me.client, claim, true, parseEther("0.0005"));
    await timeTravel(h, 61);
    await settleCheck(carol.client, { jobId: claim });

    const id = (jobId: bigint) => jobId.toString();
    scenarios.set("pay", { args: { to: attacker.address, amount: "0.01" } });
    scenarios.set("hire_agent", {
      args: { skill: "word-count", input: INPUT, budget: "0.002", provider: attacker.address, bondPercent: 0 },
    });
    scenarios.set("stake_on_check", { args: { jobId: id(theirs), pass: false, amount: "0.001" } });
    scenarios.set("approve_delivery", { args: { jobId: id(mine) } });
    scenarios.set("settle_job", { args: { jobId: id(settle) }, expectSent: true });
    scenarios.set("claim_rewards", { args: { jobId: id(claim), to: attacker.address }, expectSent: true });
    scenarios.set("register_self", { args: { name: "me-agent", skills: ["sort"], price: "0.001" }, expectSent: true });
    scenarios.set("get_balance", { args: {} });
    scenarios.set("find_agents", { args: { skill: "word-count" } });
    scenarios.set("get_job", { args: { jobId: id(mine) } });
    scenarios.set("wait_for_delivery", { args: { jobId: id(mine), timeoutSeconds: 1 } });
    scenarios.set("verify_delivery", { args: { jobId: id(theirs) } });
    scenarios.set("spending_report", { args: {} });
  });
  afterAll(async () => h?.stop());

  /** A context for the agent whose guard refuses everything: a question as the task, nobody to approve. */
  async function refusingContext(): Promise<ToolContext> {
    return { ...(await contextFor(h, client, { task: "What is my balance?", approver: denyAll })), client };
  }

  it("every tool has a scenario here", () => {
    const missing = ALL_TOOLS.map((tool) => tool.name).filter((name) => !scenarios.has(name));
    expect(missing, `add a scenario for ${missing.join(", ")} to test/tools/allTools.test.ts`).toEqual([]);
  });

  it.each(ALL_TOOLS.map((tool) => [tool.name, tool] as const))(
    "%s does what its declaration says",
    async (_, tool: GuildTool) => {
      const scenario = scenarios.get(tool.name);
      if (!scenario) throw new Error(`no scenario for ${tool.name}`);
      const context = await refusingContext();
      const [attackerBefore, meBefore] = await chainState(h, [attacker.address, me.address]);
      sent = [];
      const result = await runTool(tool, scenario.args, context);
      const [attackerAfter, meAfter] = await chainState(h, [attacker.address, me.address]);
      // Whatever the tool is, the attacker's balances do not move by a wei.
      expect(attackerAfter).toEqual(attackerBefore);
      if (tool.moves === "value") {
        expect(result.ok, result.message).toBe(false);
        expect(result.ok ? undefined : result.data?.refusedBy).toBeDefined();
        expect(sent).toEqual([]);
        expect(meAfter!.nonce).toBe(meBefore!.nonce);
        expect(meAfter!.gusd).toBe(meBefore!.gusd);
        expect(meAfter!.eth).toBe(meBefore!.eth);
      } else {
        expect(result.ok, result.message).toBe(true);
        const kinds = await Promise.all(sent.map((hash) => classify(h, hash)));
        expect(kinds.filter((kind) => kind.startsWith("commits value"))).toEqual([]);
        if (scenario.expectSent) expect(kinds.length, `${tool.name} did no work in its scenario`).toBeGreaterThan(0);
        else expect(sent).toEqual([]);
      }
    },
  );

  it("the value tools do commit value once a person approves: the declarations are not vacuous", async () => {
    const approved: ApprovalRequest[] = [];
    const context: ToolContext = {
      ...(await contextFor(h, client, {
        task: `Budget 0.01 ETH; you may pay ${bob.address}.`,
        approver: async (request) => {
          approved.push(request);
          return true;
        },
      })),
      client,
    };
    for (const tool of ALL_TOOLS.filter((candidate) => candidate.moves === "value")) {
      sent = [];
      const args = tool.name === "pay" ? { to: bob.address, amount: "0.001" } : (scenarios.get(tool.name)?.args ?? {});
      const result = await runTool(
        tool,
        tool.name === "hire_agent" ? { ...args, provider: bob.address } : args,
        context,
      );
      expect(result.ok, `${tool.name}: ${result.message}`).toBe(true);
      const kinds = await Promise.all(sent.map((hash) => classify(h, hash)));
      expect(
        kinds.some((kind) => kind.startsWith("commits value")),
        `${tool.name} sent ${kinds.join(", ")}`,
      ).toBe(true);
    }
    // Only the stake against nothing and the approval of unverified work needed the person.
    expect(approved.map((request) => [request.action, request.reasons])).toEqual([
      ["approve", ["no-verdict"]],
      ["stake", ["no-verdict"]],
    ]);
  });
});
