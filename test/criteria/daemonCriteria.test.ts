import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, zeroAddress } from "viem";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { claimStake } from "../../src/chain/actions/claimStake.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { readJobTexts } from "../../src/chain/reads/readJobTexts.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { type DaemonState, openDaemonState, type WorkItem } from "../../src/daemon/daemonState.js";
import { processWorkItem, type WorkContext } from "../../src/daemon/processWorkItem.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { SUBTLY_WRONG_FUNCTIONS } from "../../src/skills/demo/subtlyWrongFunctions.js";
import { wrongResults } from "../../src/skills/demo/wrongResults.js";
import { FUNCTION_LIBRARY } from "../../src/skills/functions/functionLibrary.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { parseTask } from "../../src/llm/parseTask.js";
import { decodeJobSpec } from "../../src/skills/jobSpec.js";
import { hireAgentTool } from "../../src/tools/hireAgentTool.js";
import { runTool } from "../../src/tools/runTool.js";
import {
  contextFor as toolContextFor,
  expectNothingSent,
  type Harness,
  timeTravel,
  newAgent,
  startHarness,
  type TestAgent,
} from "../tools/harness.js";
import { pendingItem, workContextFor } from "../daemon/workContext.js";

// Workers and checkers deciding by a job's criteria, through the daemon's work items against a Hardhat node:
// a worker delivers only what passes its own run of the tests and declines what it cannot evaluate or meet (the
// client refunded at once, nothing bonded); a checker stakes on the tests' verdict, against a cheater's bond too.

const isPrime = FUNCTION_LIBRARY.find((f) => f.name === "isPrime")!;
const isPrimeJob = encodeJobSpec({
  skill: "js-function",
  input: "isPrime(n): true when n is a prime number",
  criteria: [{ kind: "tests", code: isPrime.tests }],
});

let h: Harness;
let dir: string;
let state: DaemonState;
let client: TestAgent;
let checker: TestAgent;

beforeAll(async () => {
  h = await startHarness("hardhat");
  dir = mkdtempSync(join(tmpdir(), "guild-criteria-"));
  state = openDaemonState(join(dir, "state.sqlite"));
  client = await newAgent(h);
  checker = await newAgent(h);
}, 120_000);

afterAll(async () => {
  state?.close();
  await h?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function contextFor(agent: TestAgent, role: "worker" | "checker", deliverWrong = false): Promise<WorkContext> {
  return workContextFor(h, agent.client, state, {
    roles: new Set([role]),
    offering: {
      // The cheater sells through the demo's wrong-result skills, as `guild start --deliver-wrong` does.
      skills: new Map(
        ["js-function", "extract-fields", "word-count"].map((name) => {
          const skill = BUILTIN_SKILLS.get(name)!;
          return [name, deliverWrong ? wrongResults(skill) : skill];
        }),
      ),
      price: 0n,
      priceToken: zeroAddress,
    },
  });
}

const item = (kind: WorkItem["kind"], jobId: bigint): WorkItem => pendingItem(kind, jobId);
const now = () => Math.floor(Date.now() / 1000);
const hire = async (provider: TestAgent, description: string) =>
  (
    await createAndFundJob(client.client, {
      provider: provider.address,
      budget: parseEther("0.002"),
      description,
      check: { windowSeconds: 600n, bondBps: 5_000n },
    })
  ).jobId;
const position = async (jobId: bigint, who: TestAgent) =>
  h.guild.reader.connection.publicClient.readContract({
    address: h.guild.reader.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stakeOf",
    args: [jobId, who.address],
  });
const balance = (who: TestAgent) => h.guild.reader.connection.publicClient.getBalance({ address: who.address });

describe("a worker decides by the criteria", () => {
  it("delivers a function that passes its own run of the tests, and bonds it; a checker stakes pass", async () => {
    const worker = await newAgent(h);
    const jobId = await hire(worker, isPrimeJob);
    expect(await processWorkItem(item("work", jobId), await contextFor(worker, "worker"), now())).toEqual({
      status: "done",
      detail: "delivered and bonded",
    });
    expect((await readJobTexts(h.guild.reader, { jobId })).content).toBe(isPrime.source);
    expect(await processWorkItem(item("check", jobId), await contextFor(checker, "checker"), now())).toMatchObject({
      detail: expect.stringMatching(/staked on pass/),
    });
    expect((await position(jobId, checker))[1]).toBe(true);
  });

  it("declines criteria that are malformed or beyond the sandbox's limits: refunded at once, nothing bonded", async () => {
    const worker = await newAgent(h);
    const tooSlow = JSON.stringify({
      v: 2,
      skill: "js-function",
      input: "isPrime(n)",
      criteria: [{ kind: "tests", code: isPrime.tests, timeMs: 60_000 }],
    });
    const jobId = await hire(worker, tooSlow);
    const before = await balance(client);
    const outcome = await processWorkItem(item("work", jobId), await contextFor(worker, "worker"), now());
    expect(outcome).toEqual({
      status: "done",
      detail: expect.stringMatching(/declined: malformed criteria: Invalid criteria\[0\]\.timeMs/),
    });
    expect((await readJob(h.guild.reader, { jobId })).status).toBe("Rejected");
    // The client got its budget back the moment the worker declined.
    expect((await balance(client)) - before).toBe(parseEther("0.002"));
    expect((await position(jobId, worker))[0]).toBe(0n);
  });

  it("declines a client's hostile test code (an infinite loop) and goes on serving the next job", async () => {
    const worker = await newAgent(h);
    const hostile = encodeJobSpec({
      skill: "js-function",
      input: "isPrime(n)",
      criteria: [{ kind: "tests", code: "while (true) {}", timeMs: 200 }],
    });
    const trap = await hire(worker, hostile);
    const context = await contextFor(worker, "worker");
    expect(await processWorkItem(item("work", trap), context, now())).toEqual({
      status: "done",
      detail: expect.stringMatching(/declined: its own result does not meet the criteria .*time limit/),
    });
    const next = await hire(worker, isPrimeJob);
    expect(await processWorkItem(item("work", next), context, now())).toEqual({
      status: "done",
      detail: "delivered and bonded",
    });
  });

  it("declines a function it cannot write offline", async () => {
    const worker = await newAgent(h);
    const jobId = await hire(
      worker,
      encodeJobSpec({
        skill: "js-function",
        input: "levenshtein(a, b)",
        criteria: [{ kind: "tests", code: "test('x', () => assert.equal(levenshtein('a', 'b'), 1));" }],
      }),
    );
    expect(await processWorkItem(item("work", jobId), await contextFor(worker, "worker"), now())).toMatchObject({
      detail: expect.stringMatching(/declined: levenshtein\(a, b\) is not in this worker's offline library/),
    });
  });
});

describe("a checker stakes by the criteria against a cheater", () => {
  it("catches a subtly wrong function: stakes fail over the cheater's bond; the client is refunded and the cheater loses its bond", async () => {
    const cheater = await newAgent(h);
    const cheaterBefore = await balance(cheater);
    const jobId = await hire(cheater, isPrimeJob);
    expect(await processWorkItem(item("work", jobId), await contextFor(cheater, "worker", true), now())).toEqual({
      status: "done",
      detail: "delivered and bonded",
    });
    expect((await readJobTexts(h.guild.reader, { jobId })).content).toBe(SUBTLY_WRONG_FUNCTIONS.isPrime!.source);
    const bond = (await position(jobId, cheater))[0];
    expect(bond).toBe(parseEther("0.001"));

    await processWorkItem(item("check", jobId), await contextFor(checker, "checker"), now());
    const [staked, onPass] = await position(jobId, checker);
    expect(onPass).toBe(false);
    expect(staked).toBeGreaterThan(bond);

    // The window closes; the check fails: the client is refunded, the cheater's bond is lost.
    await timeTravel(h, 3_600);
    const clientBefore = await balance(client);
    await settleCheck(checker.client, { jobId });
    expect((await readJob(h.guild.reader, { jobId })).status).toBe("Rejected");
    expect((await balance(client)) - clientBefore).toBe(parseEther("0.002"));
    const claimed = await claimStake(cheater.client, { jobId });
    expect(claimed.amount).toBe(0n);
    // The attacker's balance: down by its bond (plus gas), nothing earned.
    expect(cheaterBefore - (await balance(cheater))).toBeGreaterThanOrEqual(bond);
  });

  it("fails a hostile delivery (a memory bomb in place of the function) and keeps working", async () => {
    const attacker = await newAgent(h);
    const jobId = await hire(attacker, isPrimeJob);
    await deliverJob(attacker.client, {
      jobId,
      content: "const hog = []; for (;;) hog.push('x'.repeat(1 << 20)); function isPrime() { return true; }",
    });
    const context = await contextFor(checker, "checker");
    expect(await processWorkItem(item("check", jobId), context, now())).toMatchObject({
      detail: expect.stringMatching(/staked on fail/),
    });
    expect((await position(jobId, checker))[1]).toBe(false);
  });
});

describe("a client hires with criteria", () => {
  it("the planner's code form and hire_agent put the tests in the job's description", async () => {
    const worker = await newAgent(h);
    await registerAgent(worker.client, { name: "coder", skills: ["js-function"], price: parseEther("0.001") });
    const task = parseTask(
      `Hire an agent to write isPrime(n): true when n is a prime number. Budget 0.002 ETH, bond 50%. That passes: ${isPrime.tests}`,
    );
    expect(task).toMatchObject({
      kind: "hire",
      skill: "js-function",
      criteria: [{ kind: "tests", code: isPrime.tests }],
    });
    if (task.kind !== "hire") return;
    const result = await runTool(
      hireAgentTool as never,
      { skill: task.skill, input: task.input, budget: task.budget, provider: worker.address, criteria: task.criteria },
      await toolContextFor(h, client.client),
    );
    expect(result.ok).toBe(true);
    const jobId = BigInt(String(result.data?.jobId));
    const { description } = await readJobTexts(h.guild.reader, { jobId });
    expect(decodeJobSpec(description ?? "")?.criteria).toEqual([
      { kind: "tests", code: isPrime.tests, loadDelivery: true, timeMs: 1000, memoryMb: 16 },
    ]);
  });

  it("hire_agent refuses malformed criteria with the field named, and sends nothing", async () => {
    const worker = await newAgent(h);
    await registerAgent(worker.client, { name: "coder2", skills: ["js-function"], price: parseEther("0.001") });
    const context = await toolContextFor(h, client.client);
    const result = await expectNothingSent(h, [client.address], () =>
      runTool(
        hireAgentTool as never,
        {
          skill: "js-function",
          input: "isPrime(n)",
          budget: "0.002",
          provider: worker.address,
          criteria: [{ kind: "tests", code: isPrime.tests, memoryMb: 4096 }],
        },
        context,
      ),
    );
    expect(result).toMatchObject({ ok: false, message: expect.stringMatching(/criteria\[0\]\.memoryMb/) });
  });
});
