import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keccak256, parseEther, toHex, zeroAddress } from "viem";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { stakeOnCheck as stakeOnCheckAction } from "../../src/chain/actions/stakeOnCheck.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { openDaemonState, type DaemonState } from "../../src/daemon/daemonState.js";
import { currentAction, processWorkItem } from "../../src/daemon/processWorkItem.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { readJobTexts } from "../../src/chain/reads/readJobTexts.js";
import { startRpcProxy, type RpcProxy } from "../support/rpcProxy.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { newAgent, startHarness, type Harness } from "../tools/harness.js";
import { pendingItem, workContextFor } from "./workContext.js";

// The daemon's `once` rule, in process against a Hardhat node: an action whose recorded transaction the node says
// it does not know is sent again; while the node cannot say (it does not answer), nothing is sent and the record
// stays, so a transaction that may have been mined is never doubled.

let h: Harness;
let proxy: RpcProxy;
let dir: string;
let state: DaemonState;

beforeAll(async () => {
  h = await startHarness("hardhat");
  proxy = await startRpcProxy(h.node.url);
  dir = mkdtempSync(join(tmpdir(), "guild-once-"));
  state = openDaemonState(join(dir, "state.sqlite"));
}, 120_000);

afterAll(async () => {
  state?.close();
  await proxy?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("processWorkItem: actions with a recorded transaction", () => {
  it("waits while the node cannot say what became of it, and sends again once the node says it never saw it", async () => {
    const client = await newAgent(h);
    const provider = await newAgent(h);
    const checker = await newAgent(h);
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget: parseEther("0.002"),
      description: encodeJobSpec({ skill: "word-count", input: "one two three" }),
      check: { windowSeconds: 600n, bondBps: 0n },
    });
    await deliverJob(provider.client, { jobId, content: "3" });

    // The checker acts as its daemon does: through its own connection, recording each transaction's hash
    // under the action that sent it.
    const connection = await createConnection({ url: proxy.url });
    const checkerClient = createGuildClient(
      { ...h.guild.reader, connection },
      {
        account: checker.client.account,
        onSubmitted: (submitted) => {
          const key = currentAction.getStore();
          if (key) state.recordAction(key, submitted.hash);
        },
      },
    );
    const context = await workContextFor(h, checkerClient, state);
    const item = pendingItem("check", jobId);
    const stakeOf = async () =>
      (
        await h.guild.reader.connection.publicClient.readContract({
          address: h.guild.reader.addresses.evaluator,
          abi: stakedEvaluatorAbi,
          functionName: "stakeOf",
          args: [jobId, checker.address],
        })
      )[0];
    const nonce = () => h.guild.reader.connection.publicClient.getTransactionCount({ address: checker.address });

    // A stake the daemon sent before it crashed, which no node ever received.
    const lost = keccak256(toHex("a stake transaction that never reached the node"));
    state.recordAction(`stake:${jobId}`, lost);

    // The node answers everything but questions about transactions: the item fails (to be retried) and nothing
    // is sent, because the lost stake might as well have been mined.
    proxy.fail("eth_getTransactionReceipt");
    proxy.fail("eth_getTransactionByHash");
    await expect(processWorkItem(item, context, Math.floor(Date.now() / 1000))).rejects.toThrow();
    expect(await nonce()).toBe(0);
    expect(await stakeOf()).toBe(0n);
    expect(state.actionTx(`stake:${jobId}`)).toBe(lost);

    // The node answers again and does not know the transaction: the stake is sent, once.
    proxy.heal();
    const outcome = await processWorkItem(item, context, Math.floor(Date.now() / 1000));
    // Staked, and due again within half a response period: it follows the check until it closes.
    expect(outcome).toMatchObject({
      status: "retry",
      detail: `staked on pass (${parseEther("0.0004")}); following the check until it closes`,
    });
    expect(await nonce()).toBe(1);
    expect(await stakeOf()).toBe(parseEther("0.0004"));
    expect(state.actionTx(`stake:${jobId}`)).not.toBe(lost);

    // Run again (a redelivered event, a restart): the chain shows the stake, nothing more is sent.
    expect(await processWorkItem(item, context, Math.floor(Date.now() / 1000))).toMatchObject({
      status: "retry",
      detail: "pass leads; its stake of 0.0004 ETH stands; following the check until it closes",
    });
    expect(await nonce()).toBe(1);
  });

  it("takes the lead back when the provider doubled it, within the checker's ceiling", async () => {
    const client = await newAgent(h);
    const provider = await newAgent(h);
    const checker = await newAgent(h);
    const budget = parseEther("0.002");
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget,
      description: encodeJobSpec({ skill: "word-count", input: "one two three" }),
      check: { windowSeconds: 600n, minStakeBps: 100n, bondBps: 5_000n },
    });
    await deliverJob(provider.client, { jobId, content: "4" }); // wrong: three words
    const stake = (who: typeof provider, pass: boolean, amount: bigint) =>
      stakeOnCheckAction(who.client, { jobId, pass, amount });
    await stake(provider, true, parseEther("0.001")); // the bond

    const context = await workContextFor(h, checker.client, state, {
      checker: { stakeBps: 2_000n, maxStakeBps: 50_000n, minConfidence: 0.8 },
    });
    const item = pendingItem("check", jobId);
    const position = async () =>
      h.guild.reader.connection.publicClient.readContract({
        address: h.guild.reader.addresses.evaluator,
        abi: stakedEvaluatorAbi,
        functionName: "stakeOf",
        args: [jobId, checker.address],
      });
    const now = () => Math.floor(Date.now() / 1000);

    // The checker re-computes (3, not 4) and takes the lead from the bond: twice 0.001 = 0.002.
    expect(await processWorkItem(item, context, now())).toMatchObject({ status: "retry" });
    expect(await position()).toEqual([parseEther("0.002"), false]);

    // The provider doubles the fail side (0.004 on pass) and takes the lead back; the checker answers with twice
    // that (0.008 on fail, 0.006 more, also the floor after two flips: 2 · 0.001 · 2²), which its ceiling of 500%
    // of the budget (0.01) allows.
    await stake(provider, true, parseEther("0.003"));
    expect(await processWorkItem(item, context, now())).toMatchObject({
      status: "retry",
      detail: `answered: raised the fail stake by ${parseEther("0.006")} to take the lead back; following the check until it closes`,
    });
    expect(await position()).toEqual([parseEther("0.008"), false]);

    // Run again: ahead now (0.008 against 0.004), nothing more is sent.
    const nonceBefore = await h.guild.reader.connection.publicClient.getTransactionCount({ address: checker.address });
    expect(await processWorkItem(item, context, now())).toMatchObject({
      status: "retry",
      detail: "fail leads; its stake of 0.008 ETH stands; following the check until it closes",
    });
    expect(await h.guild.reader.connection.publicClient.getTransactionCount({ address: checker.address })).toBe(
      nonceBefore,
    );
  });

  it("a worker's item uses the job texts the daemon ingested: no log read, one delivery", async () => {
    const client = await newAgent(h);
    const provider = await newAgent(h);
    const description = encodeJobSpec({ skill: "word-count", input: "one two three four" });
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget: parseEther("0.002"),
      description,
      check: { windowSeconds: 600n, bondBps: 0n },
    });
    // As ingestEvents stores it from the JobDetails event.
    state.setJobDescription(jobId, description);
    const counting = await startRpcProxy(h.node.url);
    try {
      const connection = await createConnection({ url: counting.url });
      const providerClient = createGuildClient({ ...h.guild.reader, connection }, { account: provider.client.account });
      const wordCount = BUILTIN_SKILLS.get("word-count")!;
      const context = await workContextFor(h, providerClient, state, {
        roles: new Set(["worker"]),
        offering: { skills: new Map([["word-count", wordCount]]), price: 0n, priceToken: zeroAddress },
      });
      const item = pendingItem("work", jobId);
      counting.seen.length = 0;
      expect(await processWorkItem(item, context, Math.floor(Date.now() / 1000))).toEqual({
        status: "done",
        detail: "delivered (no bond required)",
      });
      expect(counting.seen.filter((method) => method === "eth_getLogs")).toEqual([]);
      expect(counting.seen.filter((method) => method === "eth_sendRawTransaction")).toHaveLength(1);
      expect((await readJobTexts(h.guild.reader, { jobId })).content).toBe("4");
    } finally {
      await counting.close();
    }
  });
});
