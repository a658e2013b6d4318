import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, type Address } from "viem";
import { approveDelivery } from "../../../src/chain/actions/approveDelivery.js";
import { createAndFundJob } from "../../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../../src/chain/actions/deliverJob.js";
import { registerAgent } from "../../../src/chain/actions/registerAgent.js";
import type { GuildClient } from "../../../src/chain/GuildClient.js";
import { agentReputation } from "../../../src/chain/reads/agentReputation.js";
import { writeContract } from "../../../src/chain/tx/writeContract.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { encodeJobSpec } from "../../../src/skills/jobSpec.js";
import { ALL_TOOLS } from "../../../src/tools/allTools.js";
import { runTool } from "../../../src/tools/runTool.js";
import { contextFor, newAgent, startHarness, type Harness, type TestAgent } from "../../tools/harness.js";

// The two attacks on reputation, on a real node: a farmer that hires itself five times for 1 wei with its
// own evaluator, and a client that names itself evaluator to reject an honest agent twice. Neither may move the
// ranking that find_agents and hire_agent use.

const SPEC = encodeJobSpec({ skill: "word-count", input: "one two three" });
const ZERO_REASON = `0x${"0".repeat(64)}` as const;

let h: Harness;
let bob: TestAgent; // honest
let farmer: TestAgent;
let farmerWallet: TestAgent; // the farmer's second wallet, its "client"
let alice: TestAgent;
let carol: TestAgent;
let tanker: TestAgent;

beforeAll(async () => {
  h = await startHarness("anvil");
  [bob, farmer, farmerWallet, alice, carol, tanker] = (await Promise.all(
    Array.from({ length: 6 }, () => newAgent(h, { gusd: "0" })),
  )) as [TestAgent, TestAgent, TestAgent, TestAgent, TestAgent, TestAgent];
  await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
  await registerAgent(farmer.client, { name: "farmer", skills: ["word-count"], price: 1n });
}, 120_000);

afterAll(async () => h?.stop());

/** A job the client hires `provider` for, judged by `evaluator` (default: the staked evaluator), then delivered. */
async function deliveredJob(client: GuildClient, provider: TestAgent, budget: bigint, evaluator?: Address) {
  const { jobId } = await createAndFundJob(client, {
    provider: provider.address,
    budget,
    description: SPEC,
    ...(evaluator ? { evaluator } : { check: { bondBps: 0n } }),
  });
  await deliverJob(provider.client, { jobId, content: "3" });
  return jobId;
}

/** `who`, the job's evaluator, completes or rejects it on the escrow. */
async function judge(who: GuildClient, jobId: bigint, verdict: "complete" | "reject") {
  await writeContract(who, {
    address: h.guild.reader.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: verdict,
    args: [jobId, ZERO_REASON],
    contract: "JobEscrow",
    label: `${verdict} job ${jobId}`,
  });
}

async function ranking() {
  const rated = await agentReputation(h.guild.reader, {
    agents: [{ address: bob.address }, { address: farmer.address }],
  });
  const reputations = rated.map((entry) => entry.reputation);
  const context = await contextFor(h, alice.client);
  const found = await runTool(
    ALL_TOOLS.find((tool) => tool.name === "find_agents")!,
    { skill: "word-count", maxPrice: "0.01" },
    context,
  );
  const agents = (found.data?.agents ?? []) as { name: string; address: Address }[];
  return { bob: reputations[0]!, farmer: reputations[1]!, order: agents.map((agent) => agent.name) };
}

describe("reputation against farming and tanking", () => {
  it("neither the farmer's self-hires nor the tanking client's self-judged rejections move the ranking", async () => {
    // bob's honest record: two clients, the staked evaluator, each approved and paid.
    for (const client of [alice, carol]) {
      const jobId = await deliveredJob(client.client, bob, parseEther("0.002"));
      await approveDelivery(client.client, { jobId });
    }
    const before = await ranking();
    expect(before.order).toEqual(["bob", "farmer"]);

    // The farmer hires itself five times for 1 wei, judged by itself.
    for (let i = 0; i < 5; i++) {
      const jobId = await deliveredJob(farmerWallet.client, farmer, 1n, farmer.address);
      await judge(farmer.client, jobId, "complete");
    }
    // The tanking client names itself evaluator and rejects bob's correct work, twice.
    for (let i = 0; i < 2; i++) {
      const jobId = await deliveredJob(tanker.client, bob, parseEther("0.002"), tanker.address);
      await judge(tanker.client, jobId, "reject");
    }

    const after = await ranking();
    expect(after.order).toEqual(["bob", "farmer"]);
    expect(after.bob.score).toBe(before.bob.score);
    expect(before.bob).toMatchObject({ completed: 2, clients: 2, sampleSize: 2 });
    expect(after.bob).toMatchObject({ completed: 2, rejected: 0, ignored: 2, sampleSize: 2 });
    expect(after.farmer).toMatchObject({ score: 0, completed: 0, ignored: 5 });
    expect(after.bob.score).toBeGreaterThan(after.farmer.score);

    // hire_agent, left to choose, hires bob.
    const hired = await runTool(
      ALL_TOOLS.find((tool) => tool.name === "hire_agent")!,
      { skill: "word-count", input: "four five", budget: "0.002" },
      await contextFor(h, alice.client),
    );
    expect(hired.ok).toBe(true);
    expect(hired.data).toMatchObject({ provider: bob.address, providerName: "bob" });
  });
});
