import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEther, zeroAddress } from "viem";
import { NATIVE_TOKEN } from "../../src/chain/actions/getTokenInfo.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { SpendingRefusedError } from "../../src/errors/guard.js";
import { approvalQueue, terminalApprover, type ApprovalRequest, type Approver } from "../../src/guard/approvers.js";
import type { SpendRequest } from "../../src/guard/createSpendingGuard.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import type { ToolContext, ToolResult } from "../../src/tools/GuildTool.js";
import { runTool } from "../../src/tools/runTool.js";
import {
  chainState,
  contextFor,
  expectNothingSent,
  jobCount,
  newAgent,
  startHarness,
  type Harness,
  type PolicySettings,
  type TestAgent,
  deliveredJob as deliveredJobOf,
} from "../tools/harness.js";

function run(context: ToolContext, name: string, args: unknown): Promise<ToolResult> {
  const tool = ALL_TOOLS.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`ALL_TOOLS has no ${name}`);
  return runTool(tool, args, context);
}

/** A request to pay `amount` ETH to `to`, for driving the guard directly. */
function payRequest(amount: bigint, to: `0x${string}`): SpendRequest {
  return { action: "pay", token: NATIVE_TOKEN, amount, payee: to, description: "test payment" };
}

/** An approver that answers `answer` and remembers what it was asked. */
function recordingApprover(answer: boolean): Approver & { asked: ApprovalRequest[] } {
  const asked: ApprovalRequest[] = [];
  return Object.assign(
    async (request: ApprovalRequest) => {
      asked.push(request);
      return answer;
    },
    { asked },
  );
}

describe("spending guard on anvil: every refusal rule", () => {
  let h: Harness;
  let bob: TestAgent; // provider in ETH and payee
  let dave: TestAgent; // provider in gUSD
  let other: TestAgent; // a client whose delivered jobs agents can stake on

  beforeAll(async () => {
    h = await startHarness("anvil");
    [bob, dave, other] = await Promise.all([
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "10", gusd: "0" }),
    ]);
    await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
    await registerAgent(dave.client, { name: "dave", skills: ["word-count"], price: 1_000_000n, priceToken: h.token });
  });
  afterAll(async () => h?.stop());

  /** A fresh agent (empty history) and the tool context of its guard under `policy`. */
  async function agentWith(policy: PolicySettings = {}, approver?: Approver) {
    const agent = await newAgent(h, { eth: "5", gusd: "500" });
    const tools = await contextFor(h, agent.client, { policy, ...(approver ? { approver } : {}) });
    return { agent, tools };
  }

  /** A delivered job (client `other`, provider bob) that anyone but them may stake on. */
  const deliveredJob = () => deliveredJobOf(other.client, bob.client);

  it("refuses a token the policy sets no limit for (no-limit), in pay and hire, and the action never runs", async () => {
    const { agent, tools } = await agentWith({ maxPerTransaction: "0.05 ETH", maxPerPeriod: "0.5 ETH" });
    for (const [name, args] of [
      ["pay", { to: bob.address, amount: "1", token: "gUSD" }],
      ["hire_agent", { skill: "word-count", input: "a b", budget: "1", token: "gUSD" }],
    ] as const) {
      const result = await expectNothingSent(h, [agent.address, bob.address, dave.address], () =>
        run(tools, name, args),
      );
      expect(result.ok).toBe(false);
      expect(result.message).toBe(
        "Refused by the spending policy: no spending limit is set for gUSD; add one to GUILD_MAX_PER_TX to allow it. Nothing was sent.",
      );
      expect(result.data).toMatchObject({ refusedBy: "no-limit" });
    }
    let ran = false;
    const tokenInfo = { address: h.token, symbol: "gUSD", decimals: 6, native: false };
    await expect(
      tools.guard.run(
        tools.task,
        { action: "pay", token: tokenInfo, amount: 1n, payee: bob.address, description: "x" },
        async () => {
          ran = true;
        },
      ),
    ).rejects.toSatisfy((error) => error instanceof SpendingRefusedError && error.rule === "no-limit");
    expect(ran).toBe(false);
  });

  it("per-transaction cap: the cap itself passes, one wei more is refused; zero is refused", async () => {
    const { agent, tools } = await agentWith();
    const cap = parseEther("0.05");
    await expect(tools.guard.run(tools.task, payRequest(cap + 1n, bob.address), async () => "sent")).rejects.toSatisfy(
      (error) => error instanceof SpendingRefusedError && error.rule === "per-transaction",
    );
    await expect(tools.guard.run(tools.task, payRequest(0n, bob.address), async () => "sent")).rejects.toBeInstanceOf(
      SpendingRefusedError,
    );
    await expect(tools.guard.run(tools.task, payRequest(cap, bob.address), async () => "sent")).resolves.toBe("sent");

    const over = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "0.050000000000000001" }),
    );
    expect(over.message).toBe(
      "Refused by the spending policy: 0.050000000000000001 ETH is above the per-transaction limit of 0.05 ETH. Nothing was sent.",
    );
    const [bobBefore] = await chainState(h, [bob.address]);
    expect((await run(tools, "pay", { to: bob.address, amount: "0.05" })).ok).toBe(true);
    const [bobAfter] = await chainState(h, [bob.address]);
    expect(bobAfter!.eth - bobBefore!.eth).toBe(cap);
  });

  it("checks stakes and escrow funding too: over the cap nothing is staked or escrowed", async () => {
    const { agent, tools } = await agentWith({ maxPerTransaction: "0.01 ETH, 50 gUSD" });
    const jobId = await deliveredJob();
    const jobs = await jobCount(h);
    const hire = await expectNothingSent(h, [agent.address, h.guild.reader.addresses.escrow], () =>
      run(tools, "hire_agent", { skill: "word-count", input: "a b", budget: "0.02", provider: bob.address }),
    );
    expect(hire.message).toBe(
      "Refused by the spending policy: 0.02 ETH is above the per-transaction limit of 0.01 ETH. Nothing was sent.",
    );
    expect(await jobCount(h)).toBe(jobs);
    const staked = await expectNothingSent(h, [agent.address, h.guild.reader.addresses.evaluator], () =>
      run(tools, "stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.02" }),
    );
    expect(staked.message).toBe(
      "Refused by the spending policy: 0.02 ETH is above the per-transaction limit of 0.01 ETH. Nothing was sent.",
    );
    const position = await h.guild.reader.connection.publicClient.readContract({
      address: h.guild.reader.addresses.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "stakeOf",
      args: [jobId, agent.address],
    });
    expect(position[0]).toBe(0n);
    // Within the cap both go through (the stake backed by the agent's own verdict).
    expect((await run(tools, "verify_delivery", { jobId: jobId.toString() })).data).toMatchObject({ verdict: "pass" });
    expect((await run(tools, "stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.01" })).ok).toBe(true);
    expect(
      (await run(tools, "hire_agent", { skill: "word-count", input: "a b", budget: "0.01", provider: bob.address })).ok,
    ).toBe(true);
  });

  it("allowlist: pay and hire only listed counterparties; a stake has none and is allowed", async () => {
    const stranger = await newAgent(h, { eth: "0", gusd: "0" });
    const { agent, tools } = await agentWith({ allowlist: [bob.address.toLowerCase()] });
    const pay = await expectNothingSent(h, [agent.address, stranger.address], () =>
      run(tools, "pay", { to: stranger.address, amount: "0.001" }),
    );
    expect(pay.message).toBe(
      `Refused by the spending policy: ${stranger.address} is not on the allowlist (GUILD_ALLOWLIST). Nothing was sent.`,
    );
    expect(pay.data).toMatchObject({ refusedBy: "allowlist" });
    const hire = await expectNothingSent(h, [agent.address, dave.address], () =>
      run(tools, "hire_agent", {
        skill: "word-count",
        input: "a b",
        budget: "1",
        token: "gUSD",
        provider: dave.address,
      }),
    );
    expect(hire.message).toBe(
      `Refused by the spending policy: ${dave.address} is not on the allowlist (GUILD_ALLOWLIST). Nothing was sent.`,
    );

    expect((await run(tools, "pay", { to: bob.address, amount: "0.001" })).ok).toBe(true);
    expect(
      (await run(tools, "hire_agent", { skill: "word-count", input: "a b", budget: "0.001", provider: bob.address }))
        .ok,
    ).toBe(true);
    const jobId = await deliveredJob();
    await run(tools, "verify_delivery", { jobId: jobId.toString() });
    expect((await run(tools, "stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.001" })).ok).toBe(
      true,
    );
  });

  it("approval threshold: a person who says yes lets it through, one who says no refuses; below it nobody is asked", async () => {
    const yes = recordingApprover(true);
    const { tools: approving } = await agentWith({ approvalAbove: "0.02 ETH" }, yes);
    const [bobBefore] = await chainState(h, [bob.address]);
    const paid = await run(approving, "pay", { to: bob.address, amount: "0.03" });
    expect(paid.ok).toBe(true);
    expect(yes.asked).toEqual([
      {
        id: expect.any(String),
        action: "pay",
        amount: "0.03 ETH",
        counterparty: bob.address,
        description: `direct payment to ${bob.address}`,
        taskId: approving.task.id,
        reasons: ["approval"],
      },
    ]);
    const [bobAfter] = await chainState(h, [bob.address]);
    expect(bobAfter!.eth - bobBefore!.eth).toBe(parseEther("0.03"));
    expect((await run(approving, "pay", { to: bob.address, amount: "0.02" })).ok).toBe(true);
    expect(yes.asked).toHaveLength(1); // 0.02 is not above the threshold

    const no = recordingApprover(false);
    const { agent, tools: refusing } = await agentWith({ approvalAbove: "0.02 ETH" }, no);
    const jobId = await deliveredJob();
    await run(refusing, "verify_delivery", { jobId: jobId.toString() }); // pass: the stake needs only the threshold
    for (const [name, args, action] of [
      ["pay", { to: bob.address, amount: "0.03" }, "pay"],
      ["hire_agent", { skill: "word-count", input: "a b", budget: "0.03", provider: bob.address }, "hire"],
      ["stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.03" }, "stake"],
    ] as const) {
      const result = await expectNothingSent(h, [agent.address, bob.address], () => run(refusing, name, args));
      expect(result.message).toBe(
        "Refused by the spending policy: 0.03 ETH needs a person's approval, and it was not given. Nothing was sent.",
      );
      expect(result.data).toMatchObject({ refusedBy: "approval" });
      expect(no.asked.at(-1)).toMatchObject({ action, amount: "0.03 ETH" });
    }
  });

  it("the terminal approver refuses at once without a TTY, and asks on one", async () => {
    const notATerminal = new PassThrough();
    const { agent, tools } = await agentWith(
      { approvalAbove: "0.02 ETH" },
      terminalApprover({ input: notATerminal, output: new PassThrough() }),
    );
    const refused = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "0.03" }),
    );
    expect(refused.data).toMatchObject({ refusedBy: "approval" });

    const ask = (answer: string) => {
      const input = Object.assign(new PassThrough(), { isTTY: true });
      const output = new PassThrough();
      let question = "";
      output.on("data", (chunk: Buffer) => {
        question += chunk.toString();
        if (question.includes("[y/N]")) input.write(`${answer}\n`);
      });
      return { approver: terminalApprover({ input, output }), question: () => question };
    };
    const yes = ask("y");
    const approving = await agentWith({ approvalAbove: "0.02 ETH" }, yes.approver);
    expect((await run(approving.tools, "pay", { to: bob.address, amount: "0.03" })).ok).toBe(true);
    expect(yes.question()).toBe(
      `Approve pay of 0.03 ETH to ${bob.address} (direct payment to ${bob.address}; above the approval threshold)? [y/N] `,
    );
    const no = ask("nope");
    const declining = await agentWith({ approvalAbove: "0.02 ETH" }, no.approver);
    const declined = await expectNothingSent(h, [declining.agent.address], () =>
      run(declining.tools, "pay", { to: bob.address, amount: "0.03" }),
    );
    expect(declined.data).toMatchObject({ refusedBy: "approval" });
  });

  it("the approval queue (the daemon's API) holds a request until it is decided, and refuses on timeout", async () => {
    const queue = approvalQueue({ timeoutMs: 60_000 });
    const { tools } = await agentWith({ approvalAbove: "0.02 ETH" }, queue.approver);
    const paying = run(tools, "pay", { to: bob.address, amount: "0.03" });
    await vi.waitFor(() => expect(queue.pending()).toHaveLength(1), { timeout: 10_000, interval: 10 });
    const [pending] = queue.pending();
    expect(pending).toMatchObject({ action: "pay", amount: "0.03 ETH", counterparty: bob.address });
    expect(queue.decide("no-such-id", true)).toBe(false);
    expect(queue.decide(pending!.id, true)).toBe(true);
    expect((await paying).ok).toBe(true);

    const refusing = run(tools, "pay", { to: bob.address, amount: "0.03" });
    await vi.waitFor(() => expect(queue.pending()).toHaveLength(1), { timeout: 10_000, interval: 10 });
    queue.decide(queue.pending()[0]!.id, false);
    expect((await refusing).data).toMatchObject({ refusedBy: "approval" });

    const quick = approvalQueue({ timeoutMs: 20 });
    const timingOut = await agentWith({ approvalAbove: "0.02 ETH" }, quick.approver);
    const timedOut = await expectNothingSent(h, [timingOut.agent.address], () =>
      run(timingOut.tools, "pay", { to: bob.address, amount: "0.03" }),
    );
    expect(timedOut.data).toMatchObject({ refusedBy: "approval" });
  });

  it("concurrent calls cannot both fit under one period cap: payments, hires, and two guards on one wallet", async () => {
    const policy = { maxPerPeriod: "0.05 ETH, 500 gUSD" };
    const { tools } = await agentWith(policy);
    const [bobBefore] = await chainState(h, [bob.address]);
    const pays = await Promise.all([0, 1].map(() => run(tools, "pay", { to: bob.address, amount: "0.03" })));
    expect(pays.filter((result) => result.ok)).toHaveLength(1);
    expect(pays.find((result) => !result.ok)?.data).toMatchObject({ refusedBy: "per-period" });
    const [bobAfter] = await chainState(h, [bob.address]);
    expect(bobAfter!.eth - bobBefore!.eth).toBe(parseEther("0.03"));

    const hirer = await agentWith(policy);
    const jobs = await jobCount(h);
    const hires = await Promise.all(
      [0, 1].map(() =>
        run(hirer.tools, "hire_agent", { skill: "word-count", input: "a b", budget: "0.03", provider: bob.address }),
      ),
    );
    expect(hires.filter((result) => result.ok)).toHaveLength(1);
    expect(await jobCount(h)).toBe(jobs + 1n);

    // Two agents built on the same wallet (e.g. the daemon and a command in one process) share the cap.
    const twin = await newAgent(h, { eth: "5", gusd: "0" });
    const first = await contextFor(h, twin.client, { policy });
    const second = await contextFor(h, h.guild.clientFor(twin.key), { policy });
    const both = await Promise.all([
      run(first, "hire_agent", { skill: "word-count", input: "a b", budget: "0.03", provider: bob.address }),
      run(second, "hire_agent", { skill: "word-count", input: "a b", budget: "0.03", provider: bob.address }),
    ]);
    expect(both.map((result) => result.ok).sort()).toEqual([false, true]);
  });

  it("ERC-20 limits: per-transaction and per-period in gUSD, counted apart from ETH", async () => {
    const { agent, tools } = await agentWith({
      maxPerTransaction: "0.05 ETH, 50 gUSD",
      maxPerPeriod: "0.5 ETH, 100 gUSD",
    });
    const over = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "50.000001", token: "gUSD" }),
    );
    expect(over.message).toBe(
      "Refused by the spending policy: 50.000001 gUSD is above the per-transaction limit of 50 gUSD. Nothing was sent.",
    );
    expect((await run(tools, "pay", { to: bob.address, amount: "50", token: "gUSD" })).ok).toBe(true);
    expect(
      (await run(tools, "hire_agent", { skill: "word-count", input: "a b", budget: "40", token: "gUSD" })).ok,
    ).toBe(true);
    const period = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "20", token: "gUSD" }),
    );
    expect(period.message).toBe(
      "Refused by the spending policy: 90 gUSD was already spent in the last 24 hours; 20 gUSD more would pass the limit of 100 gUSD. Nothing was sent.",
    );
    expect(period.data).toMatchObject({ refusedBy: "per-period" });
    expect((await run(tools, "pay", { to: bob.address, amount: "10", token: "gUSD" })).ok).toBe(true);
    // ETH has its own limits.
    expect((await run(tools, "pay", { to: bob.address, amount: "0.05" })).ok).toBe(true);
    const spent = await tools.guard.spentInPeriod();
    expect(spent.get(h.token)).toBe(100_000_000n);
    expect(spent.get(zeroAddress)).toBe(parseEther("0.05"));
  });
});
