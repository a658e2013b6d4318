import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, zeroAddress } from "viem";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { stakeOnCheck } from "../../src/chain/actions/stakeOnCheck.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { denyAll } from "../../src/guard/approvers.js";
import { createSpendingGuard } from "../../src/guard/createSpendingGuard.js";
import { fileNativePaymentLedger, memoryNativePaymentLedger } from "../../src/guard/nativePaymentLedger.js";
import { loadSpendingPolicy } from "../../src/guard/SpendingPolicy.js";
import { createTaskContext } from "../../src/guard/TaskContext.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import type { ToolContext, ToolResult } from "../../src/tools/GuildTool.js";
import { runTool } from "../../src/tools/runTool.js";
import { privateKeyToAccount } from "viem/accounts";
import { NODE_KINDS } from "../support/nodes.js";
import {
  contextFor,
  DEFAULT_TEST_POLICY,
  expectNothingSent,
  newAgent,
  startHarness,
  timeTravel,
  type Harness,
  type TestAgent,
} from "../tools/harness.js";

function run(context: ToolContext, name: string, args: unknown): Promise<ToolResult> {
  const tool = ALL_TOOLS.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`ALL_TOOLS has no ${name}`);
  return runTool(tool, args, context);
}

const POLICY = { maxPerTransaction: "0.05 ETH, 50 gUSD", maxPerPeriod: "0.1 ETH, 60 gUSD" };

describe.each(NODE_KINDS)("the per-period cap counts what the chain shows, on %s", (kind) => {
  let h: Harness;
  let bob: TestAgent;
  let other: TestAgent;

  beforeAll(async () => {
    h = await startHarness(kind);
    [bob, other] = await Promise.all([newAgent(h, { eth: "1", gusd: "0" }), newAgent(h, { eth: "5", gusd: "0" })]);
    await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
  });
  afterAll(async () => h?.stop());

  it("a fresh guard counts the hires, stakes and token payments of earlier runs, and native payments from the ledger file", async () => {
    const agent = await newAgent(h, { eth: "5", gusd: "500" });
    const ledgerFile = join(mkdtempSync(join(tmpdir(), "guild-ledger-")), "native-payments.jsonl");

    // An earlier run: a hire and a native payment through the tools, a token payment, and a stake sent with
    // the chain action directly (no guard saw it at all).
    const earlier = await contextFor(h, agent.client, { policy: POLICY, ledger: fileNativePaymentLedger(ledgerFile) });
    expect(
      (await run(earlier, "hire_agent", { skill: "word-count", input: "a b", budget: "0.04", provider: bob.address }))
        .ok,
    ).toBe(true);
    expect((await run(earlier, "pay", { to: bob.address, amount: "0.02" })).ok).toBe(true);
    expect((await run(earlier, "pay", { to: bob.address, amount: "35", token: "gUSD" })).ok).toBe(true);
    const { jobId } = await createAndFundJob(other.client, {
      provider: bob.address,
      budget: parseEther("0.01"),
      description: '{"v":1,"skill":"word-count","input":"a b"}',
      check: {},
    });
    await deliverJob(bob.client, { jobId, content: "2" });
    await stakeOnCheck(agent.client, { jobId, pass: true, amount: parseEther("0.03") });

    // A new process: a new client and guard, with no memory of the above.
    const client = h.guild.clientFor(agent.key);
    const forgetful = await contextFor(h, client, { policy: POLICY });
    expect(await forgetful.guard.spentInPeriod()).toEqual(
      new Map([
        [zeroAddress, parseEther("0.07")], // hire 0.04 + stake 0.03, from JobFunded and Staked events
        [h.token, 35_000_000n], // from Transfer events
      ]),
    );
    const refused = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(forgetful, "pay", { to: bob.address, amount: "0.04" }),
    );
    expect(refused.message).toBe(
      "Refused by the spending policy: 0.07 ETH was already spent in the last 24 hours; 0.04 ETH more would pass the limit of 0.1 ETH. Nothing was sent.",
    );
    expect(refused.data).toMatchObject({ refusedBy: "per-period" });
    const tokens = await expectNothingSent(h, [agent.address, bob.address], () =>
      run(forgetful, "pay", { to: bob.address, amount: "25.000001", token: "gUSD" }),
    );
    expect(tokens.data).toMatchObject({ refusedBy: "per-period" });

    // With the agent's ledger file, the direct native payment (which leaves no log) counts too; its value
    // and time come from the chain.
    const restarted = await contextFor(h, h.guild.clientFor(agent.key), {
      policy: POLICY,
      ledger: fileNativePaymentLedger(ledgerFile),
    });
    expect((await restarted.guard.spentInPeriod()).get(zeroAddress)).toBe(parseEther("0.09"));
    const stake = await expectNothingSent(h, [agent.address], () =>
      run(restarted, "stake_on_check", { jobId: jobId.toString(), pass: true, amount: "0.02" }),
    );
    expect(stake.message).toMatch(
      /0.09 ETH was already spent in the last 24 hours; 0.02 ETH more would pass the limit of 0.1 ETH/,
    );
    expect((await run(restarted, "pay", { to: bob.address, amount: "0.01" })).ok).toBe(true);
    const full = await expectNothingSent(h, [agent.address], () =>
      run(restarted, "pay", { to: bob.address, amount: "0.000000000000000001" }),
    );
    expect(full.data).toMatchObject({ refusedBy: "per-period" });

    // Once the period has passed, the same spending no longer counts.
    await timeTravel(h, 24 * 3_600 + 60);
    const nextDay = await contextFor(h, h.guild.clientFor(agent.key), {
      policy: POLICY,
      ledger: fileNativePaymentLedger(ledgerFile),
    });
    expect((await nextDay.guard.spentInPeriod()).get(zeroAddress) ?? 0n).toBe(0n);
    expect((await run(nextDay, "pay", { to: bob.address, amount: "0.05" })).ok).toBe(true);
  });

  it("counts a spend mined a moment before the check, even on a connection that caches block numbers", async () => {
    const agent = await newAgent(h, { eth: "5", gusd: "0" });
    // A slow-polling connection: viem caches the block number for a polling interval (10 s here).
    const connection = await createConnection({ url: h.node.url, pollingIntervalMs: 10_000 });
    const reader = { ...h.guild.reader, connection };
    const logger = silentLogger();
    const policy = await loadSpendingPolicy(reader, { ...DEFAULT_TEST_POLICY, ...POLICY }, logger);
    const guard = createSpendingGuard({
      reader,
      account: agent.address,
      policy,
      ledger: memoryNativePaymentLedger(),
      logger,
    });
    expect((await guard.spentInPeriod()).get(zeroAddress) ?? 0n).toBe(0n); // primes viem's cache

    // Another process of the same wallet funds a job; then this guard is asked for more.
    const elsewhere = createGuildClient(h.guild.reader, { account: privateKeyToAccount(agent.key) });
    await createAndFundJob(elsewhere, { provider: bob.address, budget: parseEther("0.05"), description: "x" });
    await createAndFundJob(elsewhere, { provider: bob.address, budget: parseEther("0.04"), description: "x" });
    const tools = {
      client: createGuildClient(reader, { account: privateKeyToAccount(agent.key) }),
      guard,
      task: createTaskContext({ text: `Pay 0.02 ETH to ${bob.address}`, policy, approver: denyAll }),
      skills: new Map(),
      logger,
    };
    const result = await expectNothingSent(h, [agent.address], () =>
      run(tools, "pay", { to: bob.address, amount: "0.02" }),
    );
    expect(result.message).toMatch(/0.09 ETH was already spent/);
  });
});
