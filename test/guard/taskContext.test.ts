import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Address, parseEther, zeroAddress } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { denyAll } from "../../src/guard/approvers.js";
import type { SpendingPolicy, TokenLimit } from "../../src/guard/SpendingPolicy.js";
import { createTaskContext, readTaskBudget } from "../../src/guard/TaskContext.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import type { ToolContext } from "../../src/tools/GuildTool.js";
import { runTool } from "../../src/tools/runTool.js";
import {
  chainState,
  contextFor,
  deliveredJob as deliveredJobOf,
  expectNothingSent,
  newAgent,
  stake,
  startHarness,
  type Harness,
  type TestAgent,
} from "../tools/harness.js";

const ETH = { address: zeroAddress, symbol: "ETH", decimals: 18, native: true };
const GUSD = {
  address: "0x00000000000000000000000000000000000000aa" as Address,
  symbol: "gUSD",
  decimals: 6,
  native: false,
};

function limits(...entries: [typeof ETH | typeof GUSD, bigint][]): Map<Address, TokenLimit> {
  return new Map(entries.map(([token, amount]) => [token.address, { token, amount }]));
}

const POLICY: SpendingPolicy = {
  perTransaction: limits([ETH, parseEther("0.05")], [GUSD, 50_000_000n]),
  perPeriod: limits([ETH, parseEther("0.5")]),
  periodSeconds: 86_400,
  allowlist: undefined,
  approvalAbove: new Map(),
  perTask: limits([ETH, parseEther("0.05")], [GUSD, 50_000_000n]),
  maxOpenStakes: limits([ETH, parseEther("0.5")]),
};

describe("a task's budget comes from the person's words", () => {
  it.each([
    ["Hire an agent for word-count to count the words in: a b c. Budget 0.002 ETH", "stated", [[ETH, "0.002"]]],
    ["Hire a sorter with a budget of 1.5 gUSD", "stated", [[GUSD, "1.5"]]],
    ["budget: 0.01", "stated", [[ETH, "0.01"]]],
    ["Use a 3 gUSD budget to hire a summarizer", "stated", [[GUSD, "3"]]],
    ["Verify job 7 and stake 0.001 ETH", "named", [[ETH, "0.001"]]],
    [
      "Pay 0.01 ETH to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 and 2 gUSD to 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
      "named",
      [
        [ETH, "0.01"],
        [GUSD, "2"],
      ],
    ],
    [
      "Hire an agent for sort: 3 1 2",
      "default",
      [
        [ETH, "0.05"],
        [GUSD, "50"],
      ],
    ],
    ["What is my balance?", "read-only", []],
    ["Report my spending for the last 24 hours", "read-only", []],
    ["Settle job 12", "read-only", []],
    ["Count the words in 0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "read-only", []],
  ] as const)("%s → %s", (text, source, expected) => {
    const budget = readTaskBudget(text, POLICY);
    expect(budget.source).toBe(source);
    expect(
      [...budget.limits.values()].map((limit) => [
        limit.token.symbol,
        Number(limit.amount) / 10 ** limit.token.decimals,
      ]),
    ).toEqual(expected.map(([token, amount]) => [token.symbol, Number(amount)]));
  });

  it("trusts the addresses the task writes, the allowlist and the address book, and nothing else", () => {
    const named = privateKeyToAccount(generatePrivateKey()).address;
    const listed = privateKeyToAccount(generatePrivateKey()).address;
    const own = privateKeyToAccount(generatePrivateKey()).address;
    const stranger = privateKeyToAccount(generatePrivateKey()).address;
    const task = createTaskContext({
      text: `Pay 0.01 ETH to ${named.toLowerCase()}`,
      policy: { ...POLICY, allowlist: new Set([listed]) },
      approver: denyAll,
      addressBook: [own],
    });
    expect(task.trusted.get(named)).toBe("task");
    expect(task.trusted.get(listed)).toBe("allowlist");
    expect(task.trusted.get(own)).toBe("address-book");
    expect(task.trusted.has(stranger)).toBe(false);
    expect(createTaskContext({ text: "x", policy: POLICY, approver: denyAll }).id).not.toBe(task.id);
  });
});

describe("task budgets and open stakes through the tools, on anvil", () => {
  let h: Harness;
  let bob: TestAgent;
  let other: TestAgent;

  beforeAll(async () => {
    h = await startHarness("anvil");
    [bob, other] = await Promise.all([newAgent(h, { eth: "1", gusd: "0" }), newAgent(h, { eth: "5", gusd: "0" })]);
  });
  afterAll(async () => h?.stop());

  function run(context: ToolContext, name: string, args: unknown) {
    const tool = ALL_TOOLS.find((candidate) => candidate.name === name);
    if (!tool) throw new Error(`no tool ${name}`);
    return runTool(tool, args, context);
  }

  const deliveredJob = () => deliveredJobOf(other.client, bob.client, { budget: parseEther("0.02") });

  it("a stated budget is spent across calls, and the call that would pass it is refused", async () => {
    const agent = await newAgent(h, { eth: "2", gusd: "0" });
    const tools = await contextFor(h, agent.client, { task: `Pay ${bob.address} in parts. Budget 0.01 ETH` });
    expect((await run(tools, "pay", { to: bob.address, amount: "0.006" })).ok).toBe(true);
    const over = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "0.005" }),
    );
    expect(over.message).toBe(
      "Refused by the spending policy: this task may spend 0.01 ETH in all (its stated budget) and has spent 0.006 ETH; 0.005 ETH more would pass it. Nothing was sent.",
    );
    expect((await run(tools, "pay", { to: bob.address, amount: "0.004" })).ok).toBe(true);
    expect(tools.task.spent.get(zeroAddress)).toBe(parseEther("0.01"));
    // A new task starts again from its own budget; the period cap still counts both.
    const next = await contextFor(h, agent.client, { task: `Pay 0.001 ETH to ${bob.address}` });
    expect((await run(next, "pay", { to: bob.address, amount: "0.001" })).ok).toBe(true);
  });

  it("a token the budget does not name may not be spent by the task", async () => {
    const agent = await newAgent(h, { eth: "1", gusd: "100" });
    const tools = await contextFor(h, agent.client, { task: `Pay 0.001 ETH to ${bob.address}` });
    const result = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(tools, "pay", { to: bob.address, amount: "1", token: "gUSD" }),
    );
    expect(result.ok ? undefined : result.data?.refusedBy).toBe("task-budget");
  });

  it("stakes count toward the open-stakes limit until claimed", async () => {
    const agent = await newAgent(h, { eth: "2", gusd: "0" });
    const tools = await contextFor(h, agent.client, { policy: { maxOpenStakes: "0.01 ETH" } });
    const first = await deliveredJob();
    await stake(bob.client, first, true, parseEther("0.01")); // the provider's bond
    await run(tools, "verify_delivery", { jobId: first.toString() });
    expect((await run(tools, "stake_on_check", { jobId: first.toString(), pass: true, amount: "0.006" })).ok).toBe(
      true,
    );
    const second = await deliveredJob();
    await run(tools, "verify_delivery", { jobId: second.toString() });
    const [before] = await chainState(h, [agent.address]);
    const refused = await run(tools, "stake_on_check", { jobId: second.toString(), pass: true, amount: "0.005" });
    expect(refused.message).toBe(
      "Refused by the spending policy: 0.006 ETH is already staked on checks not yet claimed; 0.005 ETH more would pass the open-stakes limit of 0.01 ETH (GUILD_MAX_OPEN_STAKES). Nothing was sent.",
    );
    const [after] = await chainState(h, [agent.address]);
    expect(after).toEqual(before);
    expect((await tools.guard.openStakes()).get(zeroAddress)).toBe(parseEther("0.006"));
    expect((await run(tools, "stake_on_check", { jobId: second.toString(), pass: true, amount: "0.004" })).ok).toBe(
      true,
    );
  });
});
