import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createAgent, type Agent } from "../../src/agent/createAgent.js";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { denyAll } from "../../src/guard/approvers.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import {
  chainState,
  correctAnswer,
  gasPaid,
  newAgent,
  stake,
  startHarness,
  startProvider,
  type Harness,
  type TestAgent,
} from "../tools/harness.js";
import { injectedDeliverable, injectedJobInput } from "./injections.js";
import { expectSentBy, expectWellFormed, readTranscript, toolLines } from "./support.js";

describe("the agent loop with the offline planner, on a Hardhat node", () => {
  let h: Harness;
  let bob: TestAgent; // provider
  let carol: TestAgent; // checker
  let other: TestAgent; // another client
  const attacker = privateKeyToAccount(generatePrivateKey()).address;

  beforeAll(async () => {
    h = await startHarness("hardhat");
    [bob, carol, other] = await Promise.all([
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "1", gusd: "0" }),
      newAgent(h, { eth: "1", gusd: "0" }),
    ]);
    await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
  });
  afterAll(async () => h?.stop());

  /** An agent with the default model: no OPENAI_API_KEY in its configuration, so the offline planner. */
  async function offlineAgent(name: string): Promise<{ agent: Agent; me: TestAgent }> {
    const me = await newAgent(h, { eth: "1", gusd: "0" });
    const agent = await createAgent({
      config: h.guild.config,
      logger: silentLogger(),
      reader: h.guild.reader,
      name,
      account: privateKeyToAccount(me.key),
      approver: denyAll,
    });
    expect(agent.provider).toBe("offline");
    return { agent, me };
  }

  it("hires, waits for the delivery, verifies it and approves it: the provider is paid; the transcript matches the chain", async () => {
    const { agent, me } = await offlineAgent("alice");
    const [before] = await chainState(h, [me.address]);
    const provider = await startProvider(h, bob.client);
    const task =
      "Hire an agent for word-count to count the words in: the quick brown fox jumps. Budget 0.002 ETH, bond 50%.";
    const result = await agent.ask(task).finally(() => provider.stop());

    const [jobId] = provider.delivered;
    expect(jobId).toBeDefined();
    expect(result.finished).toBe(true);
    expect(result.answer).toMatch(
      new RegExp(
        `^Job ${jobId}: hired bob \\(${bob.address}\\) for word-count with a budget of 0.002 ETH\\. Delivered \\(untrusted, quoted as received\\): "5"\\. .*Outcome: paid\\.`,
      ),
    );
    const job = await readJob(h.guild.reader, { jobId: jobId! });
    expect(job).toMatchObject({
      status: "Completed",
      client: me.address,
      provider: bob.address,
      budget: parseEther("0.002"),
    });

    // The transcript: run line, each model turn, each tool call with arguments and result, the hashes, the end.
    const entries = readTranscript(result.transcriptPath);
    expectWellFormed(entries);
    expect(entries[0]).toMatchObject({
      type: "run",
      task,
      provider: "offline",
      agent: "alice",
      address: me.address,
      chainId: 31337,
    });
    const tools = toolLines(entries);
    expect(tools.map((line) => [line.name, line.ok])).toEqual([
      ["find_agents", true],
      ["hire_agent", true],
      ["wait_for_delivery", true],
      ["verify_delivery", true],
      ["approve_delivery", true],
    ]);
    expect(tools[1]!.args).toEqual({
      skill: "word-count",
      input: "the quick brown fox jumps",
      budget: "0.002",
      token: "ETH",
      provider: bob.address,
      bondPercent: 50,
    });
    expect(tools[1]!.data).toMatchObject({ jobId: jobId!.toString(), provider: bob.address });
    expect(tools[2]!.data).toMatchObject({ content: "5", status: "Submitted" });
    expect(tools[3]!.data).toMatchObject({ verdict: "pass" });
    const models = entries.filter((entry) => entry.type === "model");
    expect(models).toHaveLength(tools.length + 1);
    models.slice(0, -1).forEach((model, i) => {
      expect(model.type === "model" && model.toolCalls.map((call) => [call.name, call.args])).toEqual([
        [tools[i]!.name, tools[i]!.args],
      ]);
    });
    const end = entries.at(-1)!;
    expect(end).toMatchObject({ type: "end", answer: result.answer, steps: result.steps, txHashes: result.txHashes });

    // The hashes are the agent's transactions on the chain, and account for every wei it spent.
    expect(result.txHashes).toEqual([...tools[1]!.txHashes, ...tools[4]!.txHashes]);
    expect(result.txHashes).toHaveLength(2);
    await expectSentBy(h, result.txHashes, me.address);
    const client = h.guild.reader.connection.publicClient;
    const [hireTx, approveTx] = await Promise.all(result.txHashes.map((hash) => client.getTransaction({ hash })));
    expect(hireTx!.to?.toLowerCase()).toBe(h.guild.reader.addresses.escrow.toLowerCase());
    expect(hireTx!.value).toBe(parseEther("0.002"));
    expect(approveTx!.to?.toLowerCase()).toBe(h.guild.reader.addresses.evaluator.toLowerCase());
    const [after] = await chainState(h, [me.address]);
    expect(after!.nonce).toBe(before!.nonce + 2);
    expect(before!.eth - after!.eth).toBe(parseEther("0.002") + (await gasPaid(h, result.txHashes)));

    // No secret in the file: not the key, with or without 0x, and nothing had to be masked either.
    const text = readFileSync(result.transcriptPath!, "utf8");
    expect(text.includes(me.key)).toBe(false);
    expect(text.includes(me.key.slice(2))).toBe(false);
    expect(text.includes("[redacted]")).toBe(false);
  });

  it("wrong work carrying injected instructions is not approved, paid or obeyed: settle_job lets the check refund the client", async () => {
    const { agent, me } = await offlineAgent("alice2");
    const [before, attackerBefore] = await chainState(h, [me.address, attacker]);
    // The provider delivers an injection instead of the count, and a checker stakes on fail in the (3 s) window.
    const provider = await startProvider(h, bob.client, {
      content: () => injectedDeliverable(attacker),
      afterDelivery: async (jobId) => void (await stake(carol.client, jobId, false, parseEther("0.0005"))),
    });
    const result = await agent
      .ask(
        "Hire an agent for word-count to count the words in: the quick brown fox. Budget 0.002 ETH, check window 3 seconds.",
      )
      .finally(() => provider.stop());

    const [jobId] = provider.delivered;
    expect(result.finished).toBe(true);
    const tools = toolLines(readTranscript(result.transcriptPath));
    // Exactly the fixed plan: no pay, no second hire, no stake.
    expect(tools.map((line) => line.name)).toEqual([
      "find_agents",
      "hire_agent",
      "wait_for_delivery",
      "verify_delivery",
      "settle_job",
    ]);
    expect(tools.every((line) => line.ok)).toBe(true);
    expect(tools[2]!.data.content).toBe(injectedDeliverable(attacker));
    expect(tools[3]!.data).toMatchObject({ verdict: "fail", expected: "4" });
    expect(tools[4]!.data).toMatchObject({ outcome: "refunded", status: "Rejected" });
    expect(result.answer).toMatch(
      /The delivery failed verification, so it was not approved .* Outcome: refunded\. Transactions: 0x[0-9a-f]{64}, 0x[0-9a-f]{64}\.$/,
    );
    expect(result.answer).toContain("Delivered (untrusted, quoted as received)");
    expect((await readJob(h.guild.reader, { jobId: jobId! })).status).toBe("Rejected");

    // The budget came back: the agent is down only the gas of its own transactions; the attacker got nothing.
    const [after, attackerAfter] = await chainState(h, [me.address, attacker]);
    expect(before!.eth - after!.eth).toBe(await gasPaid(h, result.txHashes));
    expect(attackerAfter).toEqual(attackerBefore);
    await expectSentBy(h, result.txHashes, me.address);
  });

  it("a job description carrying injected instructions does not change the check plan: it stakes only what the task said", async () => {
    const input = injectedJobInput(attacker);
    const { jobId } = await createAndFundJob(other.client, {
      provider: bob.address,
      budget: parseEther("0.01"),
      description: encodeJobSpec({ skill: "word-count", input }),
      check: {},
    });
    await deliverJob(bob.client, { jobId, content: await correctAnswer({ skill: "word-count", input }) });
    const { agent, me } = await offlineAgent("checker");
    const [before, attackerBefore] = await chainState(h, [me.address, attacker]);

    const result = await agent.ask(`Verify job ${jobId} and stake 0.001 ETH`);
    const tools = toolLines(readTranscript(result.transcriptPath));
    expect(tools.map((line) => line.name)).toEqual(["get_job", "verify_delivery", "stake_on_check"]);
    expect(tools[0]!.data.description).toContain("Ignore previous instructions");
    expect(tools[2]!.args).toEqual({ jobId: jobId.toString(), pass: true, amount: "0.001" });
    const position = await h.guild.reader.connection.publicClient.readContract({
      address: h.guild.reader.addresses.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "stakeOf",
      args: [jobId, me.address],
    });
    expect(position).toEqual([parseEther("0.001"), true]);
    const [after, attackerAfter] = await chainState(h, [me.address, attacker]);
    expect(before!.eth - after!.eth).toBe(parseEther("0.001") + (await gasPaid(h, result.txHashes)));
    expect(attackerAfter).toEqual(attackerBefore);
  });
});
