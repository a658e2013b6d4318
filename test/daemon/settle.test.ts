import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAddressEqual, parseEther, type Address, type Hash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimRefund } from "../../src/chain/actions/claimRefund.js";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { openDaemonState, type DaemonState } from "../../src/daemon/daemonState.js";
import { processWorkItem, type WorkContext } from "../../src/daemon/processWorkItem.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import {
  chainState,
  expectNothingSent,
  gasPaid,
  newAgent,
  stake,
  startHarness,
  timeTravel,
  type Harness,
  type TestAgent,
} from "../tools/harness.js";
import { pendingItem, workContextFor } from "./workContext.js";

// Whoever is owed money settles (issue 10, item 2), in process against a Hardhat node: each party's settle item
// settles only the outcome that pays it, so nothing waits on a counterparty, and nobody pays gas to settle an outcome
// that pays others. End to end with daemons as processes: test/daemon/acceptance.test.ts.

const BUDGET = parseEther("0.002");
const SPEC = encodeJobSpec({ skill: "word-count", input: "one two three" });
let h: Harness;
let dir: string;
const states: DaemonState[] = [];

beforeAll(async () => {
  h = await startHarness("hardhat");
  dir = mkdtempSync(join(tmpdir(), "guild-settle-"));
}, 120_000);

afterAll(async () => {
  for (const state of states) state.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The work context of `agent`'s daemon, with its own state. */
async function daemonOf(agent: TestAgent): Promise<WorkContext> {
  const state = openDaemonState(join(dir, `${agent.address}.sqlite`));
  states.push(state);
  return workContextFor(h, agent.client, state, { roles: new Set(["worker", "checker", "client"]) });
}

const item = pendingItem;

/** Gas `address` paid for its transactions in blocks `(afterBlock, latest]`. */
async function gasSince(address: Address, afterBlock: bigint): Promise<bigint> {
  const client = h.guild.reader.connection.publicClient;
  const hashes: Hash[] = [];
  for (let number = afterBlock + 1n; number <= (await client.getBlockNumber()); number++) {
    const block = await client.getBlock({ blockNumber: number, includeTransactions: true });
    for (const tx of block.transactions) if (isAddressEqual(tx.from, address)) hashes.push(tx.hash);
  }
  return gasPaid(h, hashes);
}

const blockNumber = () => h.guild.reader.connection.publicClient.getBlockNumber();

async function chainNow(): Promise<number> {
  return Number((await h.guild.reader.connection.publicClient.getBlock()).timestamp);
}

describe("who settles", () => {
  it("a pass: the client, whom it does not pay, sends nothing; the provider settles and is paid", async () => {
    const [client, provider] = [await newAgent(h), await newAgent(h)];
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget: BUDGET,
      description: SPEC,
      check: { windowSeconds: 10n, bondBps: 0n },
    });
    await deliverJob(provider.client, { jobId, content: "3" });
    const [clientDaemon, providerDaemon] = [await daemonOf(client), await daemonOf(provider)];

    // Before the close: nobody settles yet.
    expect(await processWorkItem(item("settle", jobId), providerDaemon, await chainNow())).toMatchObject({
      status: "retry",
      detail: "waiting for the check window to close",
    });
    await timeTravel(h, 11);
    const now = await chainNow();
    expect(
      await expectNothingSent(h, [client.address], () => processWorkItem(item("settle", jobId), clientDaemon, now)),
    ).toEqual({ status: "done", detail: "pass at the close: the parties it pays settle" });

    const [before] = await chainState(h, [provider.address]);
    const fromBlock = await blockNumber();
    expect(await processWorkItem(item("settle", jobId), providerDaemon, now)).toEqual({
      status: "done",
      detail: "settled a passing check: the provider is paid",
    });
    const [after] = await chainState(h, [provider.address]);
    expect((await readJob(h.guild.reader, { jobId })).status).toBe("Completed");
    expect(after!.eth - before!.eth).toBe(BUDGET - (await gasSince(provider.address, fromBlock)));
    // Run again (a restart, or someone else settled first): done, nothing sent.
    expect(
      await expectNothingSent(h, [provider.address], () => processWorkItem(item("settle", jobId), providerDaemon, now)),
    ).toEqual({ status: "done", detail: "settled: Pass" });
  });

  it("a fail: the provider, whose bond it takes, sends nothing; the fail staker settles without the client", async () => {
    const [client, provider, checker] = [await newAgent(h), await newAgent(h), await newAgent(h)];
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget: BUDGET,
      description: SPEC,
      check: { windowSeconds: 10n, bondBps: 5_000n },
    });
    await deliverJob(provider.client, { jobId, content: "4" });
    await stake(provider.client, jobId, true, BUDGET / 2n);
    // Twice the pass side takes the lead.
    await stake(checker.client, jobId, false, BUDGET);
    const [providerDaemon, checkerDaemon] = [await daemonOf(provider), await daemonOf(checker)];
    const job = await readJob(h.guild.reader, { jobId });
    expect(job.check?.leader).toBe("fail");
    await timeTravel(h, Number((job.check?.closesAt ?? 0n) - BigInt(await chainNow())) + 1);
    const now = await chainNow();

    expect(
      await expectNothingSent(h, [provider.address], () => processWorkItem(item("settle", jobId), providerDaemon, now)),
    ).toEqual({ status: "done", detail: "fail at the close: the parties it pays settle" });
    expect(await processWorkItem(item("settle", jobId), checkerDaemon, now)).toEqual({
      status: "done",
      detail: "settled a failing check: our fail stake won",
    });
    const settled = await readJob(h.guild.reader, { jobId });
    expect([settled.status, settled.check?.verdict]).toEqual(["Rejected", "Fail"]);
  });

  it("refunded before anyone settled: a winning staker voids the check and gets its whole stake back", async () => {
    const [client, provider, checker] = [await newAgent(h), await newAgent(h), await newAgent(h)];
    // Latest end 5 s + 2 flips x 1 s = 7 s; refundable 1 s later, or at the 20 s deadline.
    const { jobId } = await createAndFundJob(client.client, {
      provider: provider.address,
      budget: BUDGET,
      description: SPEC,
      deadlineSeconds: 20n,
      evaluationPeriod: 8n,
      check: { windowSeconds: 5n, responsePeriodSeconds: 1n, maxFlips: 2n, bondBps: 0n },
    });
    await deliverJob(provider.client, { jobId, content: "3" });
    const amount = BUDGET / 5n;
    const [before] = await chainState(h, [checker.address]);
    const fromBlock = await blockNumber();
    await stake(checker.client, jobId, true, amount);
    // Nobody settled (the winners' daemons were all down); the client takes its refund.
    await timeTravel(h, 21);
    await claimRefund(client.client, { jobId });
    expect((await readJob(h.guild.reader, { jobId })).status).toBe("Expired");

    const checkerDaemon = await daemonOf(checker);
    const now = await chainNow();
    expect(await processWorkItem(item("settle", jobId, `settle:${jobId}:expired`), checkerDaemon, now)).toEqual({
      status: "done",
      detail: "voided the check of an expired job to get the stake back",
    });
    expect((await readJob(h.guild.reader, { jobId })).check?.verdict).toBe("Void");
    expect(await processWorkItem(item("claim", jobId), checkerDaemon, now)).toEqual({
      status: "done",
      detail: `claimed ${amount}`,
    });
    const [after] = await chainState(h, [checker.address]);
    // Staked, voided, claimed: only gas spent.
    expect(after!.eth - before!.eth).toBe(-(await gasSince(checker.address, fromBlock)));
  });
});
