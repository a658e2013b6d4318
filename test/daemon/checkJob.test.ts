import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEther, parseEventLogs, zeroAddress, type Address, type Hash } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimStake } from "../../src/chain/actions/claimStake.js";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob, type JobState } from "../../src/chain/actions/readJob.js";
import { stakeOnCheck } from "../../src/chain/actions/stakeOnCheck.js";
import { readStake } from "../../src/chain/reads/readStake.js";
import type { CheckSettings } from "../../src/chain/checkTerms.js";
import { writeContract } from "../../src/chain/tx/writeContract.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { DEV_ACCEPTANCE } from "../../src/daemon/acceptTerms.js";
import { planCheckerMove, stakeToLead } from "../../src/daemon/checkJob.js";
import { openDaemonState, type DaemonState, type WorkItem } from "../../src/daemon/daemonState.js";
import { processWorkItem, type WorkContext } from "../../src/daemon/processWorkItem.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import {
  newAgent,
  startHarness,
  timeTravel,
  type Harness,
  type PolicySettings,
  type TestAgent,
} from "../tools/harness.js";
import { pendingItem, workContextFor } from "./workContext.js";

// The checker's answer back, at the work-item level against a Hardhat node (the daemon process adds nothing to
// these): an outbid checker stakes in full or not at all, within its per-job and total ceilings; it escalates to
// the job's arbiter when it cannot answer; it never stakes on a verdict it is not sure of.

let h: Harness;
let dir: string;
let state: DaemonState;

beforeAll(async () => {
  h = await startHarness("hardhat");
  dir = mkdtempSync(join(tmpdir(), "guild-checkjob-"));
  state = openDaemonState(join(dir, "state.sqlite"));
}, 120_000);

afterAll(async () => {
  state?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const BUDGET = parseEther("0.002");
const BOND = parseEther("0.001");
const client = () => h.guild.reader.connection.publicClient;
/** Chain time: the latest block's timestamp (the tests move it with timeTravel). */
const chainNow = async () => Number((await client().getBlock({ blockTag: "latest" })).timestamp);

async function checkerContext(
  checker: TestAgent,
  {
    maxStakeBps = 10_000n,
    policy = {},
    judge,
    arbiters = [],
  }: {
    maxStakeBps?: bigint;
    policy?: PolicySettings;
    judge?: WorkContext["judge"];
    /** Arbiters this checker accepts in a job's terms (none by default, like `guild start`). */
    arbiters?: Address[];
  } = {},
): Promise<WorkContext> {
  return workContextFor(h, checker.client, state, {
    policy,
    checker: { stakeBps: 2_000n, maxStakeBps, minConfidence: 0.8 },
    judge,
    acceptance: { ...DEV_ACCEPTANCE, arbiters },
  });
}

const checkItem = (jobId: bigint): WorkItem => pendingItem("check", jobId);

/** A job for `provider` whose delivery is wrong (four words counted in three), bonded at 50%. */
async function wrongBondedJob(provider: TestAgent, check: CheckSettings = {}): Promise<bigint> {
  const alice = await newAgent(h);
  const { jobId } = await createAndFundJob(alice.client, {
    provider: provider.address,
    budget: BUDGET,
    description: encodeJobSpec({ skill: "word-count", input: "one two three" }),
    check: { windowSeconds: 60n, responsePeriodSeconds: 10n, bondBps: 5_000n, ...check },
  });
  await deliverJob(provider.client, { jobId, content: "4" });
  await stakeOnCheck(provider.client, { jobId, pass: true, amount: BOND });
  return jobId;
}

/** The sniper (the provider's second address) stakes what takes the lead for pass. */
async function snipe(eve: TestAgent, jobId: bigint): Promise<bigint> {
  const check = (await readJob(h.guild.reader, { jobId })).check;
  if (!check) throw new Error("no check");
  const amount = stakeToLead(check, "pass", 0n);
  await stakeOnCheck(eve.client, { jobId, pass: true, amount });
  expect((await readJob(h.guild.reader, { jobId })).check?.leader).toBe("pass");
  return amount;
}

const balance = (address: Address) => client().getBalance({ address });
const nonce = (address: Address) => client().getTransactionCount({ address });

async function gasOf(hashes: Hash[]): Promise<bigint> {
  let total = 0n;
  for (const hash of hashes) {
    const receipt = await client().getTransactionReceipt({ hash });
    total += receipt.gasUsed * receipt.effectiveGasPrice;
  }
  return total;
}

describe("checkJob: a checker outbid on a verdict it is sure of", () => {
  it("outbid beyond its per-job ceiling, it does not throw good money after bad: no partial answer, nothing sent", async () => {
    const [mallory, eve, carol] = [await newAgent(h), await newAgent(h), await newAgent(h)];
    const jobId = await wrongBondedJob(mallory);
    // Ceiling 100% of the budget: enough to take the lead from the bond (0.002), not to answer a sniper.
    const ctx = await checkerContext(carol, { maxStakeBps: 10_000n });
    expect(await processWorkItem(checkItem(jobId), ctx, await chainNow())).toMatchObject({
      status: "retry",
      detail: `staked on fail (${parseEther("0.002")}); following the check until it closes`,
    });
    await snipe(eve, jobId);

    const [balanceBefore, nonceBefore] = [await balance(carol.address), await nonce(carol.address)];
    const outcome = await processWorkItem(checkItem(jobId), ctx, await chainNow());
    // Taking the lead back takes twice the pass side (0.008 ETH in all): 0.006 more, above the 0.002 ceiling.
    expect(outcome).toMatchObject({ status: "retry" });
    expect(outcome.detail).toMatch(
      /^pass leads; taking the lead back takes 0\.006 ETH more \(0\.008 ETH in all\), above its ceiling of 0\.002 ETH .*no partial stake/,
    );
    expect(await nonce(carol.address)).toBe(nonceBefore);
    expect(await balance(carol.address)).toBe(balanceBefore);
    expect(await readStake(h.guild.reader, { jobId, staker: carol.address })).toEqual({
      amount: parseEther("0.002"),
      pass: false,
    });
  });

  it("outbid beyond its total open-stakes ceiling (--max-open-stakes), it answers nothing either", async () => {
    const [mallory, eve, carol] = [await newAgent(h), await newAgent(h), await newAgent(h)];
    const jobId = await wrongBondedJob(mallory);
    // The per-job ceiling would allow the answer (1000%); the open-stakes ceiling (0.005 ETH) does not.
    const ctx = await checkerContext(carol, { maxStakeBps: 100_000n, policy: { maxOpenStakes: "0.005 ETH" } });
    await processWorkItem(checkItem(jobId), ctx, await chainNow());
    await snipe(eve, jobId);

    const [balanceBefore, nonceBefore] = [await balance(carol.address), await nonce(carol.address)];
    const outcome = await processWorkItem(checkItem(jobId), ctx, await chainNow());
    expect(outcome).toMatchObject({ status: "retry" });
    expect(outcome.detail).toMatch(/open-stakes limit of 0\.005 ETH/);
    expect(await nonce(carol.address)).toBe(nonceBefore);
    expect(await balance(carol.address)).toBe(balanceBefore);
  });

  it("when the terms name an arbiter, it escalates instead; the arbiter rules after the close and the sniper loses its stake", async () => {
    const [mallory, eve, carol, arbiter] = [await newAgent(h), await newAgent(h), await newAgent(h), await newAgent(h)];
    const jobId = await wrongBondedJob(mallory, {
      arbiter: arbiter.address,
      escalationBps: 10_000n,
      arbitrationPeriodSeconds: 60n,
    });
    const ctx = await checkerContext(carol, { maxStakeBps: 10_000n, arbiters: [arbiter.address] });
    await processWorkItem(checkItem(jobId), ctx, await chainNow());
    const eveBefore = await balance(eve.address);
    const sniped = await snipe(eve, jobId);

    const [carolBefore, nonceBefore] = [await balance(carol.address), await nonce(carol.address)];
    const outcome = await processWorkItem(checkItem(jobId), ctx, await chainNow());
    expect(outcome.detail).toMatch(/no partial stake.*; escalated: the other side leads against its verdict \(fail\)/);
    // One transaction (the escalation), no stake: carol's balance moved by its gas alone.
    expect(await nonce(carol.address)).toBe(nonceBefore + 1);
    expect(await readStake(h.guild.reader, { jobId, staker: carol.address })).toEqual({
      amount: parseEther("0.002"),
      pass: false,
    });
    const job: JobState = await readJob(h.guild.reader, { jobId });
    expect(job.check?.arbitration?.escalated).toBe(true);
    expect(carolBefore - (await balance(carol.address))).toBeGreaterThan(0n);
    expect(carolBefore - (await balance(carol.address))).toBeLessThan(parseEther("0.0001"));
    // Looking again escalates nothing more.
    await processWorkItem(checkItem(jobId), ctx, await chainNow());
    expect(await nonce(carol.address)).toBe(nonceBefore + 1);

    // After the close the arbiter rules fail: alice is refunded, eve's stake goes to carol.
    await timeTravel(h, Number((job.check?.closesAt ?? 0n) - BigInt(await chainNow())) + 1);
    const ruled = await writeContract(arbiter.client, {
      address: h.guild.reader.addresses.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "rule",
      args: [jobId, false],
      contract: "StakedEvaluator",
      label: "rule fail",
    });
    expect(
      parseEventLogs({ abi: stakedEvaluatorAbi, eventName: "CheckSettled", logs: ruled.logs })[0]?.args.passed,
    ).toBe(false);
    const eveClaim = await claimStake(eve.client, { jobId });
    expect(eveClaim.amount).toBe(0n);
    const eveGas = await gasOf([...(await stakeHashes(eve.address, jobId)), eveClaim.hash]);
    // The sniper's balance delta: its whole stake, plus its gas.
    expect((await balance(eve.address)) - eveBefore).toBe(-sniped - eveGas);
    const carolClaim = await claimStake(carol.client, { jobId });
    expect(carolClaim.amount).toBe(parseEther("0.002") + BOND + sniped);
  });
});

describe("checkJob: a checker that is not sure never stakes", () => {
  it("cannot judge (a skill it cannot re-compute, no model): no stake, not even when the check is contested", async () => {
    const [alice, bob, eve, carol] = [await newAgent(h), await newAgent(h), await newAgent(h), await newAgent(h)];
    const { jobId } = await createAndFundJob(alice.client, {
      provider: bob.address,
      budget: BUDGET,
      description: encodeJobSpec({ skill: "answer", input: "What is the capital of France?" }),
      check: { windowSeconds: 60n, responsePeriodSeconds: 10n, bondBps: 0n },
    });
    await deliverJob(bob.client, { jobId, content: "Lyon" });
    const ctx = await checkerContext(carol);
    expect(await processWorkItem(checkItem(jobId), ctx, await chainNow())).toEqual({
      status: "skipped",
      detail: "cannot judge: answer is not deterministic and no model is configured to judge it",
    });
    // Someone takes the lead for fail; a look on the LeadChanged event still stakes nothing.
    await stakeOnCheck(eve.client, { jobId, pass: false, amount: parseEther("0.001") });
    const item = { ...checkItem(jobId), key: `check:${jobId}:lead:1` };
    expect(await processWorkItem(item, ctx, await chainNow())).toMatchObject({ status: "skipped" });
    expect(await nonce(carol.address)).toBe(0);
  });

  it("a judge below the checker's confidence: no stake", async () => {
    const [alice, bob, carol] = [await newAgent(h), await newAgent(h), await newAgent(h)];
    const { jobId } = await createAndFundJob(alice.client, {
      provider: bob.address,
      budget: BUDGET,
      description: encodeJobSpec({ skill: "answer", input: "What is the capital of France?" }),
      check: { windowSeconds: 60n, responsePeriodSeconds: 10n, bondBps: 0n },
    });
    await deliverJob(bob.client, { jobId, content: "Lyon" });
    const ctx = await checkerContext(carol, {
      judge: async () => ({ verdict: "fail", confidence: 0.6, reason: "probably not the capital" }),
    });
    expect(await processWorkItem(checkItem(jobId), ctx, await chainNow())).toEqual({
      status: "skipped",
      detail: "not sure: its judge found fail with confidence 0.6, below 0.8",
    });
    expect(await nonce(carol.address)).toBe(0);
  });
});

describe("planCheckerMove", () => {
  const job = (check: Partial<NonNullable<JobState["check"]>>): JobState => ({
    jobId: 1n,
    client: zeroAddress,
    provider: zeroAddress,
    evaluator: zeroAddress,
    token: zeroAddress,
    budget: 1_000n,
    expiredAt: 0n,
    submittedAt: 100n,
    evaluationPeriod: 0n,
    parentJobId: 0n,
    status: "Submitted",
    refundableAt: 0n,
    check: {
      closeOffsetSeconds: 60n,
      responsePeriodSeconds: 10n,
      maxFlips: 4n,
      flips: 0n,
      leader: "pass",
      minStake: 10n,
      bond: 500n,
      passTotal: 500n,
      failTotal: 0n,
      verdict: "None",
      closesAt: 160n,
      latestClose: 200n,
      arbitration: undefined,
      ...check,
    },
  });
  const policy = { stakeBps: 2_000n, maxStakeBps: 10_000n, minConfidence: 0.8 };
  const token = { decimals: 0, symbol: "wei" };
  const plan = (j: JobState, side: "pass" | "fail", staked: bigint, nowSeconds = 120, bondMissing = 0n) =>
    planCheckerMove(j, { side, staked, bondMissing, nowSeconds, policy, token });

  it("takes the lead from a bond with twice it, counting a bond not yet posted", () => {
    expect(plan(job({}), "fail", 0n)).toMatchObject({ action: "stake", amount: 1_000n, takesLead: true });
    expect(plan(job({ passTotal: 0n }), "fail", 0n, 120, 500n)).toMatchObject({ action: "stake", amount: 1_000n });
  });

  it("answers with the flip floor when it is above twice the leader", () => {
    // Two flips made: the floor is 2 · 500 · 2² = 4000, above twice the pass side (2 · 1500).
    const check = { flips: 2n, passTotal: 1_500n, failTotal: 1_000n };
    expect(stakeToLead({ ...(job(check).check as NonNullable<JobState["check"]>) }, "fail", 0n)).toBe(3_000n);
    expect(plan(job(check), "fail", 1_000n, 120)).toMatchObject({ action: "none" });
    expect(
      planCheckerMove(job(check), {
        side: "fail",
        staked: 1_000n,
        bondMissing: 0n,
        nowSeconds: 120,
        policy: { ...policy, maxStakeBps: 40_000n },
        token,
      }),
    ).toMatchObject({ action: "stake", amount: 3_000n, takesLead: true });
  });

  it("adds nothing to a leading side in the last response period, and nothing once the lead is locked", () => {
    expect(plan(job({ leader: "fail", passTotal: 500n, failTotal: 1_000n }), "fail", 0n, 150)).toMatchObject({
      action: "none",
      reason: "fail leads, and the leading side may not add in the last response period",
    });
    expect(plan(job({ flips: 4n }), "fail", 1_000n)).toMatchObject({
      action: "none",
      reason: "pass leads and the lead is locked after 4 changes: a stake cannot take it back",
    });
  });
});

/** The hashes of `staker`'s Staked events on `jobId`. */
async function stakeHashes(staker: Address, jobId: bigint): Promise<Hash[]> {
  const logs = await client().getContractEvents({
    address: h.guild.reader.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    eventName: "Staked",
    args: { jobId, staker },
    fromBlock: 0n,
  });
  return logs.map((log) => log.transactionHash);
}
