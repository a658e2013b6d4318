/**
 * Property tests over random sequences of escrow and evaluator actions, several actors, three tokens (native,
 * gUSD and a token that can refuse a receiver) and time jumps. After every step:
 * - per token, the escrow holds exactly the budgets of Funded and Submitted jobs plus every unwithdrawn credit;
 * - per token, the evaluator holds exactly the stakes still owed (getCheck's passTotal + failTotal, summed);
 * - a job only moves along ERC-8183's edges, and a terminal state never changes; a verdict never changes;
 * - no job emits PaymentReleased or Refunded twice, and a settled funded job emitted exactly one of them;
 * - a stake emits LeadChanged exactly when it doubles the leader, the close it sets leaves the outbid side a
 *   full response period, and no flip goes beyond maxFlips.
 * Each action's outcome is also predicted from the contracts' rules and the chain's state; a call that
 * fails must fail with one of Guild's custom errors (never a panic). Every run ends by driving each job to a
 * terminal state and taking out every stake and credit: nothing stays locked.
 *
 * A second property plays the staked check's game on one job per run, adversarially (see below).
 */
import fc from "fast-check";
import {
  encodeFunctionData,
  maxUint256,
  parseEventLogs,
  zeroAddress,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { encodeCheckTerms } from "../../src/chain/checkTerms.js";
import { eventsOf } from "../support/contracts-helpers/events.js";
import { decodeRevert, revertDataOf } from "../support/contracts-helpers/expectRevert.js";
import { createGuildFixture, NATIVE, type GuildFixture } from "../support/contracts-helpers/fixture.js";
import { encodeCheckConfig, Status, statusOf, Verdict, type JobTerms } from "../support/contracts-helpers/jobs.js";
import { ReceiverMode, type ReceiverHandle } from "../support/contracts-helpers/receivers.js";
import type { TestWallet } from "../support/inProcessChain.js";

const NUM_RUNS = 40;
const MAX_STEPS = 25;

type Actor = { label: string; address: Address; wallet?: TestWallet; mock?: ReceiverHandle };

/** What the test remembers of a job between steps (the rest is read from the chain). */
type ModelJob = {
  id: bigint;
  token: Address;
  staked: boolean;
  client: Actor;
  provider: Actor;
  status: number;
  verdict: number;
  funded: boolean;
  payoutEvents: number;
  /** Who staked on the job, in order. */
  stakers: Actor[];
};

const TERMINAL = new Set<number>([Status.Completed, Status.Rejected, Status.Expired]);
const EDGES: Record<number, number[]> = {
  [Status.Open]: [Status.Funded, Status.Rejected],
  [Status.Funded]: [Status.Submitted, Status.Rejected, Status.Expired],
  [Status.Submitted]: [Status.Completed, Status.Rejected, Status.Expired],
};

/** Mostly aim an action at a job in a state where it can apply; sometimes at any job, to see it refused. */
const fit = fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) });

const createAction = fc.record({
  kind: fc.constant("create" as const),
  client: fc.nat(2),
  provider: fc.nat(2),
  token: fc.nat(2),
  staked: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  fundNow: fc.boolean(),
  budget: fc.integer({ min: 1, max: 5_000 }),
  expiresIn: fc.constantFrom(2_000n, 20_000n, 200_000n),
  evaluationPeriod: fc.constantFrom(0n, 1_000n, 5_000n),
  window: fc.constantFrom(0n, 400n),
  bondBps: fc.constantFrom(0n, 2_000n),
});

const refuseAction = fc.record({ kind: fc.constant("refuse" as const), which: fc.nat(2) });

const action = fc.oneof(
  { weight: 1, arbitrary: createAction },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("fund" as const), job: fc.nat(), fit, wrongBudget: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deliver" as const), job: fc.nat(), fit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("decline" as const), job: fc.nat(), fit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("complete" as const), job: fc.nat(), fit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("reject" as const), job: fc.nat(), fit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("claimRefund" as const), job: fc.nat(), fit }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("stake" as const),
      job: fc.nat(),
      fit,
      staker: fc.nat(4),
      pass: fc.boolean(),
      percent: fc.integer({ min: 0, max: 60 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("settle" as const), job: fc.nat(), fit }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("approve" as const), job: fc.nat(), fit }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("claim" as const), job: fc.nat(), fit, staker: fc.nat(4) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("jump" as const),
      job: fc.nat(),
      fit,
      to: fc.constantFrom("windowEnd" as const, "refundable" as const),
      // The next transaction lands a second before the moment, on it, or a second after.
      offset: fc.constantFrom(-1n, 0n, 1n),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("withdraw" as const),
      actor: fc.nat(5),
      token: fc.nat(2),
      elsewhere: fc.boolean(),
      fit,
    }),
  },
  { weight: 2, arbitrary: refuseAction },
  {
    weight: 30,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      job: fc.nat(),
      choice: fc.nat(),
      staker: fc.nat(3),
      pass: fc.boolean(),
      percent: fc.integer({ min: 1, max: 60 }),
      offset: fc.constantFrom(-1n, 0n, 1n),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      seconds: fc.constantFrom(100n, 700n, 3_000n, 25_000n, 250_000n),
    }),
  },
);
type Action = typeof action extends fc.Arbitrary<infer A> ? A : never;
type EscrowCall = Parameters<typeof encodeFunctionData<typeof jobEscrowAbi>>[0];
type EvaluatorCall = Parameters<typeof encodeFunctionData<typeof stakedEvaluatorAbi>>[0];
/** Actions aimed at one job. */
type JobAction = Extract<Action, { job: number; fit: boolean }>;

let f: GuildFixture;
let tokens: [Address, Address, Address];
let refusingToken: Awaited<ReturnType<GuildFixture["deployConfigurableToken"]>>;
let clients: Actor[];
let providers: Actor[];
let stakers: Actor[];
let payees: Actor[];
let mockClient: ReceiverHandle;
let mockProvider: ReceiverHandle;
let gameStakers: Actor[];
let arbiterActor: Actor;
let baseSnapshot: Hex;
const outcomes = new Map<string, number>();

const eoa = (label: string, wallet: TestWallet): Actor => ({ label, address: wallet.account.address, wallet });
const mockActor = (label: string, mock: ReceiverHandle): Actor => ({ label, address: mock.address, mock });

beforeAll(async () => {
  f = await createGuildFixture();
  refusingToken = await f.deployConfigurableToken();
  tokens = [NATIVE, f.addresses.token, refusingToken.address];
  mockClient = await f.deployReceiver();
  mockProvider = await f.deployReceiver();
  const w = f.wallets;
  clients = [eoa("client1", w[1]!), eoa("client2", w[10]!), mockActor("mockClient", mockClient)];
  providers = [eoa("provider1", w[2]!), eoa("provider2", w[11]!), mockActor("mockProvider", mockProvider)];
  stakers = [eoa("staker1", w[5]!), eoa("staker2", w[6]!), eoa("staker3", w[7]!)];
  payees = [...clients, ...providers];
  gameStakers = [...stakers, eoa("staker4", w[8]!)];
  arbiterActor = eoa("arbiter", w[12]!);
  const plenty = 10n ** 30n;
  for (const actor of [...clients, ...providers, ...stakers, gameStakers[3]!, arbiterActor]) {
    for (const token of tokens.slice(1)) {
      if (actor.wallet) await f.mintAndApprove(token, actor.wallet, plenty);
      else if (actor.mock) {
        await f.tx(f.tokenAs(f.deployer, token).write.mint([actor.address, plenty]));
        const approve = encodeFunctionData({
          abi: guildTestTokenAbi,
          functionName: "approve",
          args: [f.addresses.escrow, maxUint256],
        });
        await f.tx(actor.mock.write.execute([token, 0n, approve]));
      }
    }
  }
  baseSnapshot = await f.testClient.snapshot();
}, 120_000);
afterAll(async () => f.chain.stop());

/** Sends `data` to `to` as `actor` (an EOA, or a ReceiverMock through its `execute`). */
async function send(actor: Actor, to: Address, data: Hex, value = 0n): Promise<TransactionReceipt> {
  if (actor.mock) return f.tx(actor.mock.write.execute([to, value, data], { value }));
  const wallet = actor.wallet!;
  return f.tx(wallet.sendTransaction({ to, data, value, account: wallet.account, chain: wallet.chain }));
}

class Run {
  jobs: ModelJob[] = [];
  t = 0n;
  /** Accounts the refusing token currently blocks. */
  blocked = new Set<Address>();
  mockRefuses = false;
  stakeClaims = new Set<string>();

  constructor(readonly log: string[]) {}

  async start(): Promise<void> {
    this.t = await f.now();
  }

  /** The next transaction runs one second after the last one, on the run's own clock. */
  async tick(): Promise<void> {
    this.t += 1n;
    await f.setNextTimestamp(this.t);
  }

  /** Sends one transaction at the next second and checks that it did what the rules predict. */
  async attempt(label: string, expectSuccess: boolean, actor: Actor, to: Address, data: Hex, value = 0n) {
    await this.tick();
    let receipt: TransactionReceipt | undefined;
    let failure: unknown;
    try {
      receipt = await send(actor, to, data, value);
    } catch (error) {
      failure = error;
    }
    if (receipt) {
      this.log.push(`${label} ok`);
      if (!expectSuccess)
        throw new Error(`${label} succeeded but the rules say it must revert\n${this.log.join("\n")}`);
      this.record(receipt);
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
      return receipt;
    }
    const revertData = revertDataOf(failure);
    const errorName = revertData ? decodeRevert(revertData).errorName : `no revert data: ${String(failure)}`;
    this.log.push(`${label} reverted ${errorName}`);
    outcomes.set(
      `${label.split(" ")[0]} refused ${errorName}`,
      (outcomes.get(`${label.split(" ")[0]} refused ${errorName}`) ?? 0) + 1,
    );
    if (expectSuccess) {
      throw new Error(`${label} reverted with ${errorName} but the rules say it succeeds\n${this.log.join("\n")}`);
    }
    if (!revertData || errorName === "Panic" || errorName === "Error") {
      throw new Error(`${label} failed without a custom error (${errorName})\n${this.log.join("\n")}`);
    }
    return undefined;
  }

  /** {@link attempt} of a JobEscrow call. */
  escrow(label: string, ok: boolean, actor: Actor, call: EscrowCall, value = 0n) {
    return this.attempt(label, ok, actor, f.addresses.escrow, encodeFunctionData(call), value);
  }

  /** {@link attempt} of a StakedEvaluator call. */
  evaluator(label: string, ok: boolean, actor: Actor, call: EvaluatorCall, value = 0n) {
    return this.attempt(label, ok, actor, f.addresses.evaluator, encodeFunctionData(call), value);
  }

  /** Counts payout events per job and checks stake claims happen once per position. */
  record(receipt: TransactionReceipt): void {
    const escrowLogs = receipt.logs.filter((log) => log.address.toLowerCase() === f.addresses.escrow.toLowerCase());
    for (const log of parseEventLogs({ abi: jobEscrowAbi, logs: escrowLogs })) {
      if (log.eventName === "PaymentReleased" || log.eventName === "Refunded") {
        const job = this.jobs.find((j) => j.id === log.args.jobId);
        if (!job) throw new Error(`Payout event for unknown job ${log.args.jobId}`);
        job.payoutEvents += 1;
        expect(job.payoutEvents, `payout events of job ${job.id}`).toBe(1);
      }
      if (log.eventName === "PayoutCredited") outcomes.set("credited", (outcomes.get("credited") ?? 0) + 1);
    }
    const evaluatorLogs = receipt.logs.filter(
      (log) => log.address.toLowerCase() === f.addresses.evaluator.toLowerCase(),
    );
    for (const log of parseEventLogs({ abi: stakedEvaluatorAbi, logs: evaluatorLogs })) {
      if (log.eventName === "StakeClaimed") {
        const key = `${log.args.jobId}:${log.args.staker}`;
        expect(this.stakeClaims.has(key), `second claim of ${key}`).toBe(false);
        this.stakeClaims.add(key);
      }
      if (log.eventName === "CheckVoided") outcomes.set("voided", (outcomes.get("voided") ?? 0) + 1);
    }
  }

  /** A job for an action: among those where it can apply when `fit`, else among all. */
  pick(a: JobAction): ModelJob | undefined {
    const applies = (j: ModelJob): boolean => {
      const live = j.status === Status.Funded || j.status === Status.Submitted;
      switch (a.kind) {
        case "fund":
          return j.status === Status.Open;
        case "deliver":
        case "decline":
          return j.status === Status.Funded;
        case "complete":
          return !j.staked && j.status === Status.Submitted;
        case "reject":
          return j.status === Status.Open || (!j.staked && live);
        case "claimRefund":
          return live;
        case "stake":
        case "approve":
          return j.staked && j.status === Status.Submitted;
        case "settle":
          return (
            j.staked && j.verdict === Verdict.None && (j.status === Status.Submitted || j.status === Status.Expired)
          );
        case "claim":
          return j.staked && j.verdict !== Verdict.None;
        case "jump":
          return live;
      }
    };
    const candidates = a.fit ? this.jobs.filter(applies) : this.jobs;
    return candidates.length === 0 ? undefined : candidates[a.job % candidates.length];
  }

  refuses(actor: Actor, token: Address): boolean {
    if (token === NATIVE) return actor.mock !== undefined && this.mockRefuses;
    return token === refusingToken.address && this.blocked.has(actor.address);
  }

  async step(a: Action): Promise<void> {
    outcomes.set(`step ${a.kind}`, (outcomes.get(`step ${a.kind}`) ?? 0) + 1);
    switch (a.kind) {
      case "create":
        return this.create(a);
      case "wait":
        this.t += a.seconds;
        this.log.push(`wait ${a.seconds}s`);
        return;
      case "refuse":
        return this.toggleRefusal(a.which);
      case "withdraw":
        return this.withdraw(a);
      case "advance":
        return this.advance(a);
      default:
        break;
    }
    const job = this.pick(a);
    if (!job) return;
    return this.act(job, a);
  }

  /** Moves one job along a path its state allows (stakes, settlement and claims included). */
  async advance(a: Extract<Action, { kind: "advance" }>): Promise<void> {
    const options = (j: ModelJob): JobAction[] => {
      const base = { job: 0, fit: true } as const;
      const claims: JobAction[] = j.stakers.map((_, i) => ({ ...base, kind: "claim", staker: i }));
      switch (j.status) {
        case Status.Open:
          return [
            { ...base, kind: "fund", wrongBudget: false },
            { ...base, kind: "fund", wrongBudget: false },
            { ...base, kind: "reject" },
          ];
        case Status.Funded:
          return [
            { ...base, kind: "deliver" },
            { ...base, kind: "deliver" },
            { ...base, kind: "deliver" },
            { ...base, kind: "decline" },
            ...(j.staked ? [] : [{ ...base, kind: "reject" } as const]),
            { ...base, kind: "jump", to: "refundable", offset: a.offset },
            { ...base, kind: "claimRefund" },
          ];
        case Status.Submitted:
          return j.staked
            ? [
                { ...base, kind: "stake", staker: a.staker, pass: a.pass, percent: a.percent },
                { ...base, kind: "stake", staker: a.staker, pass: !a.pass, percent: a.percent },
                { ...base, kind: "stake", staker: 3, pass: true, percent: a.percent },
                { ...base, kind: "approve" },
                { ...base, kind: "jump", to: "windowEnd", offset: a.offset },
                { ...base, kind: "settle" },
                { ...base, kind: "jump", to: "refundable", offset: a.offset },
                { ...base, kind: "claimRefund" },
              ]
            : [
                { ...base, kind: "complete" },
                { ...base, kind: "reject" },
                { ...base, kind: "jump", to: "refundable", offset: a.offset },
                { ...base, kind: "claimRefund" },
              ];
        default:
          if (!j.staked) return [];
          if (j.verdict !== Verdict.None) return claims;
          // An expired job's check is voided by settle; a job that ended otherwise has nothing to settle.
          return j.status === Status.Expired ? [{ ...base, kind: "settle" }] : [];
      }
    };
    const movable = this.jobs.filter((j) => options(j).length > 0);
    const job = movable[a.job % Math.max(movable.length, 1)];
    if (!job) {
      // Every job is done: start another, so the run keeps exercising the contracts.
      return this.create({
        kind: "create",
        client: a.staker % 3,
        provider: a.choice % 3,
        token: a.job % 3,
        staked: a.choice % 3 !== 0,
        fundNow: a.pass,
        budget: a.percent * 50,
        expiresIn: 20_000n,
        evaluationPeriod: 5_000n,
        window: a.offset === 0n ? 0n : 400n,
        bondBps: a.offset === 1n ? 2_000n : 0n,
      });
    }
    const choices = options(job);
    const chosen = choices[a.choice % choices.length];
    if (chosen) await this.act(job, chosen);
  }

  async act(job: ModelJob, a: JobAction): Promise<void> {
    const onChain = await f.escrow.read.getJob([job.id]);
    const next = this.t + 1n;
    const refundableAt =
      onChain.status === Status.Submitted
        ? maxOf(onChain.expiredAt, onChain.submittedAt + onChain.evaluationPeriod)
        : onChain.expiredAt;
    const evaluatorEoa = eoa("evaluator", f.evaluator);
    const anyone = eoa("anyone", f.stranger);

    switch (a.kind) {
      case "jump": {
        if (!live(onChain.status)) return;
        if (a.to === "windowEnd" && !(job.staked && onChain.status === Status.Submitted)) return;
        const moment = a.to === "refundable" ? refundableAt : (await f.staked.read.getCheck([job.id])).closesAt;
        // The next transaction runs at t + 1.
        const target = moment + a.offset - 1n;
        if (target > this.t) {
          this.t = target;
          this.log.push(`jump to ${a.to} of job ${job.id} ${a.offset >= 0n ? "+" : ""}${a.offset}s`);
        }
        return;
      }
      case "fund": {
        const expected = a.wrongBudget ? onChain.budget + 1n : onChain.budget;
        const clientBlocked = job.token === refusingToken.address && this.blocked.has(job.client.address);
        const ok = onChain.status === Status.Open && !a.wrongBudget && !clientBlocked;
        const value = job.token === NATIVE ? onChain.budget : 0n;
        const call = { abi: jobEscrowAbi, functionName: "fund", args: [job.id, expected] } as const;
        const receipt = await this.escrow("fund", ok, job.client, call, value);
        if (receipt) job.funded = true;
        return;
      }
      case "deliver": {
        const ok = onChain.status === Status.Funded && next < onChain.expiredAt;
        await this.escrow("deliver", ok, job.provider, {
          abi: jobEscrowAbi,
          functionName: "deliver",
          args: [job.id, `work on ${job.id}`],
        });
        return;
      }
      case "decline": {
        const ok = onChain.status === Status.Funded;
        await this.escrow("decline", ok, job.provider, { abi: jobEscrowAbi, functionName: "decline", args: [job.id] });
        return;
      }
      case "complete": {
        if (job.staked) return;
        const ok = onChain.status === Status.Submitted;
        await this.escrow("complete", ok, evaluatorEoa, {
          abi: jobEscrowAbi,
          functionName: "complete",
          args: [job.id, `0x${"11".repeat(32)}`],
        });
        return;
      }
      case "reject": {
        const byClient = onChain.status === Status.Open;
        if (!byClient && job.staked) return;
        const ok = byClient || onChain.status === Status.Funded || onChain.status === Status.Submitted;
        await this.escrow("reject", ok, byClient ? job.client : evaluatorEoa, {
          abi: jobEscrowAbi,
          functionName: "reject",
          args: [job.id, `0x${"22".repeat(32)}`],
        });
        return;
      }
      case "claimRefund": {
        const live = onChain.status === Status.Funded || onChain.status === Status.Submitted;
        const ok = live && next >= refundableAt;
        await this.escrow("claimRefund", ok, anyone, {
          abi: jobEscrowAbi,
          functionName: "claimRefund",
          args: [job.id],
        });
        return;
      }
      default:
        break;
    }

    if (!job.staked) return;
    const check = await f.staked.read.getCheck([job.id]);
    const closesAt = check.closesAt;
    switch (a.kind) {
      case "stake": {
        // Staker 3 is the job's provider (its bond), staker 4 the client (always refused).
        const staker = a.staker < 3 ? stakers[a.staker]! : a.staker === 3 ? job.provider : job.client;
        if (staker.mock) return;
        const amount = (onChain.budget * BigInt(a.percent)) / 100n;
        const [previous, previousPass] = await f.staked.read.stakeOf([job.id, staker.address]);
        const [bondPosted] = await f.staked.read.stakeOf([job.id, job.provider.address]);
        const { flips, frozen } = stakeRules(check, {
          pass: a.pass,
          amount,
          total: previous + amount,
          byProvider: staker.address === job.provider.address,
          bondPosted,
          next,
        });
        const ok =
          !frozen &&
          !(flips && check.flips >= check.maxFlips) &&
          onChain.status === Status.Submitted &&
          check.verdict === Verdict.None &&
          next < closesAt &&
          staker.address !== job.client.address &&
          !(staker.address === job.provider.address && !a.pass) &&
          !(previous !== 0n && previousPass !== a.pass) &&
          amount !== 0n &&
          previous + amount >= check.minStake &&
          !(job.token === refusingToken.address && this.blocked.has(staker.address));
        const call = { abi: stakedEvaluatorAbi, functionName: "stake", args: [job.id, a.pass, amount] } as const;
        const staked = await this.evaluator("stake", ok, staker, call, job.token === NATIVE ? amount : 0n);
        if (!staked) return;
        if (!job.stakers.includes(staker)) job.stakers.push(staker);
        const changes = eventsOf(staked, stakedEvaluatorAbi, "LeadChanged", f.addresses.evaluator);
        expect(changes.length, "LeadChanged iff the stake doubled the leader").toBe(flips ? 1 : 0);
        for (const changed of changes) {
          // The outbid side gets a full response period; no flip beyond maxFlips.
          expect(changed.closesAt).toBeGreaterThanOrEqual(next + check.responsePeriod);
          expect(changed.flips).toBe(check.flips + 1n);
          expect(changed.flips).toBeLessThanOrEqual(check.maxFlips);
        }
        return;
      }
      case "settle": {
        const ok =
          check.verdict === Verdict.None &&
          (onChain.status === Status.Expired || (onChain.status === Status.Submitted && next >= closesAt));
        await this.evaluator("settle", ok, anyone, { abi: stakedEvaluatorAbi, functionName: "settle", args: [job.id] });
        return;
      }
      case "approve": {
        const ok = onChain.status === Status.Submitted && check.verdict === Verdict.None && check.failTotal === 0n;
        await this.evaluator("approve", ok, job.client, {
          abi: stakedEvaluatorAbi,
          functionName: "approve",
          args: [job.id],
        });
        return;
      }
      case "claim": {
        const pool = a.fit && job.stakers.length > 0 ? job.stakers : [...stakers, job.provider];
        const staker = pool[a.staker % pool.length]!;
        if (staker.mock) return;
        const [amount] = await f.staked.read.stakeOf([job.id, staker.address]);
        const payout = await f.staked.read.claimable([job.id, staker.address]);
        const ok =
          check.verdict !== Verdict.None && amount !== 0n && !(payout !== 0n && this.refuses(staker, job.token));
        const receipt = await this.evaluator("claim", ok, staker, {
          abi: stakedEvaluatorAbi,
          functionName: "claim",
          args: [job.id],
        });
        if (receipt) {
          const [claimed] = parseEventLogs({ abi: stakedEvaluatorAbi, logs: receipt.logs, eventName: "StakeClaimed" });
          expect(claimed?.args.amount).toBe(payout);
          expect(claimed?.args.stake).toBe(amount);
          job.stakers = job.stakers.filter((s) => s !== staker);
        }
        return;
      }
      default:
        return;
    }
  }

  async create(a: Extract<Action, { kind: "create" }>): Promise<void> {
    const client = clients[a.client]!;
    // Staked jobs take EOA providers, so every staker in the pool can act.
    const provider = a.staked ? providers[a.provider % 2]! : providers[a.provider]!;
    const token = tokens[a.token]!;
    const budget = BigInt(a.budget) * 1_000n;
    const evaluationPeriod = a.staked && a.evaluationPeriod === 0n ? 5_000n : a.evaluationPeriod;
    // The check's latest end (window, every flip's response period, the settle margin) must come before the
    // refund: the default timing is 4 flips of 300 s and a margin of 1 s on the test deployment.
    const fits = !a.staked || (a.window === 0n ? 600n : a.window) + 4n * 300n + 1n <= evaluationPeriod;
    const terms: JobTerms = {
      provider: provider.address,
      evaluator: a.staked ? f.addresses.evaluator : f.evaluator.account.address,
      token,
      expiredAt: this.t + a.expiresIn,
      evaluationPeriod,
      parentJobId: 0n,
      description: "property job",
      evaluatorData: a.staked ? encodeCheckConfig(a.window, 100n, a.bondBps) : "0x",
    };
    const fundable = !(token === refusingToken.address && this.blocked.has(client.address));
    let jobId: bigint;
    if (a.fundNow) {
      const receipt = await this.attempt(
        "createAndFund",
        fundable && fits,
        client,
        f.addresses.escrow,
        encodeFunctionData({ abi: jobEscrowAbi, functionName: "createAndFund", args: [terms, budget] }),
        token === NATIVE ? budget : 0n,
      );
      if (!receipt) return;
      jobId = await f.escrow.read.jobCount();
      this.jobs.push(newJob(jobId, token, a.staked, client, provider, true));
    } else {
      const created = await this.escrow("create", fits, client, {
        abi: jobEscrowAbi,
        functionName: "createJobWithTerms",
        args: [terms],
      });
      if (!created) return;
      jobId = await f.escrow.read.jobCount();
      this.jobs.push(newJob(jobId, token, a.staked, client, provider, false));
      await this.escrow("setBudget", true, client, {
        abi: jobEscrowAbi,
        functionName: "setBudget",
        args: [jobId, budget],
      });
    }
  }

  async toggleRefusal(which: number): Promise<void> {
    if (which === 0) {
      this.mockRefuses = !this.mockRefuses;
      const mode = this.mockRefuses ? ReceiverMode.Revert : ReceiverMode.Accept;
      for (const mock of [mockClient, mockProvider]) {
        await this.tick();
        await f.tx(mock.write.setMode([mode]));
      }
      this.log.push(`mocks ${this.mockRefuses ? "refuse" : "accept"} ETH`);
      return;
    }
    // The refusing token blocks provider2 (which == 1) or client2 (which == 2).
    const target = which === 1 ? providers[1]!.address : clients[1]!.address;
    const block = !this.blocked.has(target);
    await this.tick();
    await f.tx(refusingToken.write.setBlocked([target, block]));
    if (block) this.blocked.add(target);
    else this.blocked.delete(target);
    this.log.push(`${target} ${block ? "blocked" : "unblocked"} by the refusing token`);
  }

  /** Withdraws a credit: when `fit`, one that exists; otherwise any account and token. */
  async withdraw(a: Extract<Action, { kind: "withdraw" }>): Promise<void> {
    let [actor, token] = [payees[a.actor]!, tokens[a.token]!];
    if (a.fit) {
      const credited: [Actor, Address][] = [];
      for (const payee of payees) {
        for (const t of tokens)
          if ((await f.escrow.read.creditOf([payee.address, t])) !== 0n) credited.push([payee, t]);
      }
      const chosen = credited[(a.actor * 3 + a.token) % Math.max(credited.length, 1)];
      if (!chosen) return;
      [actor, token] = chosen;
    }
    const elsewhere = a.elsewhere;
    const credit = await f.escrow.read.creditOf([actor.address, token]);
    const to = elsewhere ? f.stranger.account.address : actor.address;
    const ok = credit !== 0n && (elsewhere || !this.refuses(actor, token));
    const data = elsewhere
      ? encodeFunctionData({ abi: jobEscrowAbi, functionName: "withdrawTo", args: [token, to] })
      : encodeFunctionData({ abi: jobEscrowAbi, functionName: "withdraw", args: [token] });
    const before = await f.balanceOf(token, to);
    const receipt = await this.attempt(elsewhere ? "withdrawTo" : "withdraw", ok, actor, f.addresses.escrow, data);
    if (receipt && (token !== NATIVE || actor.mock)) {
      // Exact for ERC-20 and for mocks (the deployer pays their gas).
      expect(await f.balanceOf(token, to)).toBe(before + credit);
    }
  }

  /**
   * Drives every job to a terminal state through the same predicted actions (the client rejects an Open job,
   * a Funded one is refunded at expiry, the EOA evaluator completes, a check settles after its close or voids
   * after the refund), so that no path of the run leaves money behind.
   */
  async finishAll(): Promise<void> {
    const base = { job: 0, fit: true } as const;
    for (const job of this.jobs) {
      for (let round = 0; round < 3; round++) {
        const onChain = await f.escrow.read.getJob([job.id]);
        const verdict = job.staked ? (await f.staked.read.getCheck([job.id])).verdict : Verdict.None;
        if (onChain.status === Status.Open) await this.act(job, { ...base, kind: "reject" });
        else if (onChain.status === Status.Funded) {
          await this.act(job, { ...base, kind: "jump", to: "refundable", offset: 0n });
          await this.act(job, { ...base, kind: "claimRefund" });
        } else if (onChain.status === Status.Submitted && !job.staked) {
          await this.act(job, { ...base, kind: "complete" });
        } else if (onChain.status === Status.Submitted) {
          await this.act(job, { ...base, kind: "jump", to: "windowEnd", offset: 0n });
          await this.act(job, { ...base, kind: "settle" });
        } else if (job.staked && onChain.status === Status.Expired && verdict === Verdict.None) {
          await this.act(job, { ...base, kind: "settle" });
        } else break;
        await this.checkInvariants();
      }
      expect(TERMINAL.has(await statusOf(f, job.id)), `job ${job.id} ends in a terminal state`).toBe(true);
    }
  }

  /**
   * Takes out everything owed: every credit (to another address when the account refuses) and every stake
   * of a decided check. Afterwards the escrow holds exactly the live budgets, and every decided check is
   * empty: winners took the whole losing side and no wei is left behind.
   */
  async drain(): Promise<void> {
    for (const payee of payees) {
      for (const token of tokens) {
        if ((await f.escrow.read.creditOf([payee.address, token])) === 0n) continue;
        const elsewhere = this.refuses(payee, token);
        const [actor, tokenIndex] = [payees.indexOf(payee), tokens.indexOf(token)];
        await this.withdraw({ kind: "withdraw", actor, token: tokenIndex, elsewhere, fit: false });
      }
    }
    for (const job of this.jobs.filter((j) => j.staked)) {
      const check = await f.staked.read.getCheck([job.id]);
      if (check.verdict === Verdict.None) continue;
      for (const staker of [...job.stakers]) {
        const payout = await f.staked.read.claimable([job.id, staker.address]);
        const to = this.refuses(staker, job.token) && payout !== 0n ? f.stranger.account.address : staker.address;
        const data = encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claimTo", args: [job.id, to] });
        await this.attempt("claim", true, staker, f.addresses.evaluator, data);
        job.stakers = job.stakers.filter((s) => s !== staker);
      }
      const left = await f.staked.read.getCheck([job.id]);
      expect([left.passTotal, left.failTotal], `stakes left in the decided check of job ${job.id}`).toEqual([0n, 0n]);
    }
    for (const payee of payees) {
      for (const token of tokens) expect(await f.escrow.read.creditOf([payee.address, token])).toBe(0n);
    }
    await this.checkInvariants();
  }

  /** Every invariant, read from the chain. */
  async checkInvariants(): Promise<void> {
    const liveBudgets = new Map<Address, bigint>(tokens.map((t) => [t, 0n]));
    const owedStakes = new Map<Address, bigint>(tokens.map((t) => [t, 0n]));
    for (const job of this.jobs) {
      const onChain = await f.escrow.read.getJob([job.id]);
      const status = onChain.status;
      if (status !== job.status) {
        expect(TERMINAL.has(job.status), `job ${job.id} left terminal state ${job.status} for ${status}`).toBe(false);
        expect(EDGES[job.status], `job ${job.id}: ${job.status} -> ${status}`).toContain(status);
        if (status === Status.Funded) job.funded = true;
        job.status = status;
      }
      if (status === Status.Funded || status === Status.Submitted) {
        liveBudgets.set(job.token, liveBudgets.get(job.token)! + onChain.budget);
      }
      // A settled job that held money emitted exactly one payout event; others none.
      const expectedPayouts = TERMINAL.has(status) && job.funded ? 1 : 0;
      expect(job.payoutEvents, `payout events of job ${job.id} in status ${status}`).toBe(expectedPayouts);
      if (job.staked) {
        const check = await f.staked.read.getCheck([job.id]);
        if (job.verdict !== Verdict.None) expect(check.verdict, `verdict of job ${job.id}`).toBe(job.verdict);
        job.verdict = check.verdict;
        owedStakes.set(job.token, owedStakes.get(job.token)! + check.passTotal + check.failTotal);
      }
    }
    for (const token of tokens) {
      let credits = 0n;
      for (const payee of payees) credits += await f.escrow.read.creditOf([payee.address, token]);
      expect(await f.balanceOf(token, f.addresses.escrow), `escrow balance of ${token}\n${this.log.join("\n")}`).toBe(
        liveBudgets.get(token)! + credits,
      );
      expect(
        await f.balanceOf(token, f.addresses.evaluator),
        `evaluator balance of ${token}\n${this.log.join("\n")}`,
      ).toBe(owedStakes.get(token)!);
    }
  }
}

function newJob(
  id: bigint,
  token: Address,
  staked: boolean,
  client: Actor,
  provider: Actor,
  funded: boolean,
): ModelJob {
  const status = Status.Open;
  return { id, token, staked, client, provider, status, verdict: Verdict.None, funded, payoutEvents: 0, stakers: [] };
}

function live(status: number): boolean {
  return status === Status.Funded || status === Status.Submitted;
}

function maxOf(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/** The least total that takes the lead after `flips` flips: 2 · max(bond, minimum stake) · 2^flips. */
function flipFloor(check: { bond: bigint; minStake: bigint; flips: bigint }): bigint {
  return 2n * (maxOf(check.bond, check.minStake) << check.flips);
}

/**
 * What docs/staked-check.md says of a stake of `amount` on `pass` (bringing its staker to `total`), at `next`:
 * whether its side leads, whether it takes the lead (twice the leader, the floor, and against pass the
 * bond not yet posted counted), and whether the leader's last response period refuses it (the provider's
 * bond, up to the required amount, excepted).
 */
function stakeRules(
  check: CheckView,
  stake: { pass: boolean; amount: bigint; total: bigint; byProvider: boolean; bondPosted: bigint; next: bigint },
): { leads: boolean; flips: boolean; frozen: boolean; sideTotal: bigint } {
  const [sideTotal, otherTotal] = stake.pass
    ? [check.passTotal + stake.amount, check.failTotal]
    : [check.failTotal + stake.amount, check.passTotal];
  const leads = stake.pass === check.passLeads;
  const bondMissing = check.bond > stake.bondPosted ? check.bond - stake.bondPosted : 0n;
  const flips =
    !leads &&
    sideTotal >= 2n * otherTotal &&
    sideTotal >= flipFloor(check) &&
    (stake.pass || sideTotal >= 2n * (otherTotal + bondMissing));
  const frozen =
    leads && stake.next >= check.closesAt - check.responsePeriod && !(stake.byProvider && stake.total <= check.bond);
  return { leads, flips, frozen, sideTotal };
}

describe("escrow and evaluator invariants under random action sequences", () => {
  it("hold after every step (native, gUSD and a refusing token; reverting receivers; time jumps)", async () => {
    await fc.assert(
      fc.asyncProperty(
        // Runs start with the mocks refusing ETH and provider2 blocked by the refusing token; toggles may lift it.
        fc.constant([
          { kind: "refuse" as const, which: 0 },
          { kind: "refuse" as const, which: 1 },
        ]),
        fc.array(createAction, { minLength: 1, maxLength: 2 }),
        fc.array(action, { minLength: MAX_STEPS - 8, maxLength: MAX_STEPS - 1 }),
        async (refusals, creates, rest) => {
          const actions = [...refusals, ...creates, ...rest].slice(0, MAX_STEPS);
          await f.testClient.revert({ id: baseSnapshot });
          baseSnapshot = await f.testClient.snapshot();
          const run = new Run([]);
          await run.start();
          for (const a of actions) {
            await run.step(a);
            await run.checkInvariants();
          }
          await run.finishAll();
          await run.drain();
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The runs must have exercised the interesting paths, or the invariants above proved little.
    const covered = [
      ...["createAndFund", "fund", "deliver", "decline", "complete", "reject", "claimRefund"],
      ...["stake", "settle", "approve", "claim", "voided", "credited"],
    ];
    for (const label of covered) {
      expect(outcomes.get(label) ?? 0, `successful ${label} calls (${JSON.stringify([...outcomes])})`).toBeGreaterThan(
        0,
      );
    }
    const withdrawals = (outcomes.get("withdraw") ?? 0) + (outcomes.get("withdrawTo") ?? 0);
    expect(withdrawals, `successful withdrawals (${JSON.stringify([...outcomes])})`).toBeGreaterThan(0);
  }, 180_000);
});

// ------------------------------------------------------------------------------------------------------
// The staked check's game under adversarial sequences: one checked job per run with random terms (an
// arbiter or none, evaluation periods as tight as the contracts accept), stakers that snipe the last second
// of every extension with amounts at, under and over the doubling threshold, flips up to maxFlips,
// escalation, rulings (only from the close until close + arbitrationPeriod) and arbiter silence (settled
// at close + arbitrationPeriod). Every call's success is predicted from the rules in
// docs/staked-check.md and checked against the chain; every settlement's verdict and every claim's payout
// too. Invariants after every step: conservation per token, terminal states final, no double payout, the
// refund always after the check's latest end; on every LeadChanged, the side that was outbid gets a full
// response period to answer and the flip count stays within maxFlips; an escalated check's ruling deadline is
// its close plus the arbitration period, and no stake lands once a ruling is possible. Each run ends by
// driving the job to a terminal state and claiming every stake: nothing stays locked.
// ------------------------------------------------------------------------------------------------------

const GAME_RUNS = 60;
const GAME_STEPS = 28;
const MAX_STAKE = 2n ** 88n - 1n;

const gameTermsArbitrary = fc.record({
  token: fc.nat(1),
  budget: fc.integer({ min: 10, max: 1_000 }),
  window: fc.constantFrom(400n, 600n, 1_000n),
  responsePeriod: fc.constantFrom(0n, 100n, 200n),
  maxFlips: fc.constantFrom(0n, 2n, 3n, 5n),
  minStakeBps: fc.constantFrom(0n, 100n, 1_000n),
  bondBps: fc.constantFrom(0n, 2_000n, 5_000n),
  arbiter: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  escalationBps: fc.constantFrom(0n, 0n, 3_000n, 20_000n),
  arbitrationPeriod: fc.constantFrom(100n, 400n),
  /** The evaluation period exactly the check's latest end (and a short expiry), or the escrow's default. */
  tight: fc.boolean(),
});
type GameTerms = typeof gameTermsArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Stakers by index: four checkers, the provider (its bond), the arbiter, the client (always refused). */
const gameWho = fc.nat(6);
// Actions that end the game (settle, approve, a refund, waiting out the close) are rare: the run's finish
// ends every game anyway, and the interesting sequences are long ones.
const gameActionArbitrary = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({
      kind: fc.constant("stake" as const),
      who: gameWho,
      side: fc.constantFrom("challenge" as const, "lead" as const, "pass" as const, "fail" as const),
      size: fc.constantFrom(
        "flip" as const,
        "flipUnder" as const,
        "flipOver" as const,
        "min" as const,
        "belowMin" as const,
        "percent" as const,
      ),
      percent: fc.integer({ min: 1, max: 200 }),
      when: fc.constantFrom(
        "now" as const,
        "now" as const,
        "now" as const,
        "now" as const,
        "now" as const,
        "now" as const,
        "lastSecond" as const,
        "frozenStart" as const,
        "beforeFrozen" as const,
      ),
    }),
  },
  // A stake against the leader, in the last second of the current close, sized at the doubling threshold.
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("snipe" as const),
      who: fc.nat(5),
      delta: fc.constantFrom(-1n, 0n, 0n, 0n, 1n, 1n),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("escalate" as const),
      who: fc.nat(7),
      // Mostly an outbid staker, sometimes any staker or anyone.
      staker: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("rule" as const),
      byArbiter: fc.boolean(),
      pass: fc.boolean(),
      // Now, or at the edges of the arbiter's window: a second before the close, the close, the window's
      // last second, the deadline.
      when: fc.constantFrom(
        "now" as const,
        "now" as const,
        "beforeClose" as const,
        "close" as const,
        "lastSecond" as const,
        "deadline" as const,
      ),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("wait" as const),
      to: fc.constantFrom("close" as const, "deadline" as const, "refundable" as const, "frozenStart" as const),
      offset: fc.constantFrom(-1n, 0n, 1n),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "settle" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "approve" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "claimRefund" as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("claim" as const), who: gameWho }) },
);
type GameAction = typeof gameActionArbitrary extends fc.Arbitrary<infer T> ? T : never;

/** Two runs in three open with a dispute that reaches the arbiter: a pass stake, a fail stake just under the
 * flip, an escalation by the outbid fail staker or by the pass leader, and the arbiter trying to rule at once
 * (refused: staking is open). */
const escalationOpening = (byLeader: boolean): GameAction[] => [
  { kind: "stake", who: 0, side: "pass", size: "percent", percent: 100, when: "now" },
  { kind: "stake", who: 1, side: "fail", size: "flipUnder", percent: 1, when: "now" },
  byLeader ? { kind: "escalate", who: 0, staker: false } : { kind: "escalate", who: 1, staker: true },
  { kind: "rule", byArbiter: true, pass: false, when: "now" },
];
/** Then either the random actions play on from there, or the dispute does first: a snipe in the last second
 * that flips it (the close and the arbiter's window move), the arbiter trying a second before the new close
 * (refused), then ruling at the close, in its window's last second, or at the deadline (refused: the game's
 * result then stands). */
const disputeOpeningArbitrary = fc
  .record({
    byLeader: fc.boolean(),
    ruling: fc.constantFrom("random" as const, "close" as const, "lastSecond" as const, "deadline" as const),
  })
  .map(({ byLeader, ruling }): GameAction[] =>
    ruling === "random"
      ? escalationOpening(byLeader)
      : [
          ...escalationOpening(byLeader),
          { kind: "snipe", who: 2, delta: 0n },
          { kind: "rule", byArbiter: true, pass: true, when: "beforeClose" },
          { kind: "rule", byArbiter: true, pass: true, when: ruling },
        ],
  );
const gameOpeningArbitrary = fc.oneof(
  { weight: 1, arbitrary: fc.constant<GameAction[]>([]) },
  { weight: 2, arbitrary: disputeOpeningArbitrary },
);
type CheckView = Awaited<ReturnType<GuildFixture["staked"]["read"]["getCheck"]>>;
type Position = { actor: Actor; amount: bigint; pass: boolean };

/** One checked job played by adversaries; reuses {@link Run}'s sending, payout-event and invariant checks. */
class GameRun extends Run {
  job!: ModelJob;
  budget = 0n;
  latestAtDelivery = 0n;
  positions = new Map<Address, Position>();
  stakedTotal = 0n;
  paidTotal = 0n;
  /** The decided check as the claims see it: the winners' stake and the reward not yet paid. */
  decided: { verdict: number; winnersLeft: bigint; rewardLeft: bigint } | undefined;
  flipsSeen = 0n;
  /** When the last stake was mined: a ruling must come after it. */
  lastStakeAt = 0n;

  client(): Actor {
    return clients[0]!;
  }

  provider(): Actor {
    return providers[0]!;
  }

  actor(who: number): Actor {
    const pool = [...gameStakers, this.provider(), arbiterActor, this.client(), eoa("stranger", f.stranger)];
    return pool[who % pool.length]!;
  }

  /** The next transaction lands at `target` (or at the next second if that is already past). */
  jumpTo(target: bigint): void {
    if (target - 1n > this.t) {
      this.t = target - 1n;
      this.log.push(`jump to ${target}`);
    }
  }

  async open(terms: GameTerms): Promise<void> {
    const token = tokens[terms.token]!;
    const budget = BigInt(terms.budget) * 1_000n;
    this.budget = budget;
    const responsePeriod = terms.responsePeriod === 0n ? 300n : terms.responsePeriod;
    const maxFlips = terms.maxFlips === 0n ? 4n : terms.maxFlips;
    const arbitration = terms.arbiter ? terms.arbitrationPeriod : 0n;
    const latestEnd = terms.window + maxFlips * responsePeriod + arbitration + 1n;
    const evaluatorData = encodeCheckTerms({
      windowSeconds: terms.window,
      responsePeriodSeconds: terms.responsePeriod,
      maxFlips: terms.maxFlips,
      minStakeBps: terms.minStakeBps,
      bondBps: terms.bondBps,
      ...(terms.arbiter
        ? {
            arbiter: arbiterActor.address,
            escalationBps: terms.escalationBps,
            arbitrationPeriodSeconds: terms.arbitrationPeriod,
          }
        : {}),
    });
    const jobTerms: JobTerms = {
      provider: this.provider().address,
      evaluator: f.addresses.evaluator,
      token,
      expiredAt: this.t + (terms.tight ? 50n : 100_000n),
      evaluationPeriod: terms.tight ? latestEnd : 0n,
      parentJobId: 0n,
      description: "game",
      evaluatorData,
    };
    this.log.push(`terms ${JSON.stringify(terms, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`);
    const data = encodeFunctionData({ abi: jobEscrowAbi, functionName: "createAndFund", args: [jobTerms, budget] });
    await this.attempt("createAndFund", true, this.client(), f.addresses.escrow, data, token === NATIVE ? budget : 0n);
    this.job = newJob(await f.escrow.read.jobCount(), token, true, this.client(), this.provider(), true);
    this.jobs.push(this.job);
    await this.checkInvariants();
    await this.escrow("deliver", true, this.provider(), {
      abi: jobEscrowAbi,
      functionName: "deliver",
      args: [this.job.id, "game work"],
    });
    await this.checkInvariants();
    const check = await this.check();
    this.latestAtDelivery = check.latestClose;
    expect(check.latestClose).toBe(check.closesAt + maxFlips * responsePeriod);
  }

  check(): Promise<CheckView> {
    return f.staked.read.getCheck([this.job.id]);
  }

  async play(a: GameAction): Promise<void> {
    outcomes.set(`game ${a.kind}`, (outcomes.get(`game ${a.kind}`) ?? 0) + 1);
    const check = await this.check();
    switch (a.kind) {
      case "stake": {
        const actor = this.actor(a.who);
        const pass =
          a.side === "challenge" ? !check.passLeads : a.side === "lead" ? check.passLeads : a.side === "pass";
        const target = {
          now: this.t + 1n,
          lastSecond: check.closesAt - 1n,
          frozenStart: check.closesAt - check.responsePeriod,
          beforeFrozen: check.closesAt - check.responsePeriod - 1n,
        }[a.when];
        this.jumpTo(target);
        const amount = this.sized(check, actor, pass, a.size, a.percent);
        return this.stake(actor, pass, amount);
      }
      case "snipe": {
        // The sniper is someone who may stake on the challenging side (a fresh address, or one already on it).
        const pass = !check.passLeads;
        const able = [...gameStakers, arbiterActor, ...(pass ? [this.provider()] : [])].filter(
          (candidate) => this.positions.get(candidate.address)?.pass !== !pass,
        );
        const actor = able.length > 0 ? able[a.who % able.length]! : this.actor(a.who);
        this.jumpTo(check.closesAt - 1n);
        const [side, other] = pass ? [check.passTotal, check.failTotal] : [check.failTotal, check.passTotal];
        const previous = this.positions.get(actor.address)?.amount ?? 0n;
        // Against pass, the bond not yet posted counts as staked.
        const posted = this.positions.get(this.provider().address)?.amount ?? 0n;
        const bondMissing = !pass && check.bond > posted ? check.bond - posted : 0n;
        const toFlip = maxOf(2n * (other + bondMissing), flipFloor(check)) - side;
        return this.stake(actor, pass, maxOf(toFlip + a.delta, maxOf(check.minStake - previous, 1n)));
      }
      case "escalate": {
        // Mostly a staker on the side that does not lead, sometimes any staker (the leader's side may escalate
        // too) or anyone (who may not).
        const staking = [...this.positions.values()];
        const outbid = staking.filter((position) => position.pass !== check.passLeads);
        const pool = a.staker && outbid.length > 0 ? outbid : staking;
        const actor = pool.length > 0 && a.who % 4 !== 3 ? pool[a.who % pool.length]!.actor : this.actor(a.who);
        return this.escalate(actor);
      }
      case "rule": {
        // The window the arbiter would have if the check were escalated now (getCheck shows it only once it is).
        const deadline = check.closesAt + check.arbitrationPeriod;
        const target = {
          now: this.t + 1n,
          beforeClose: check.closesAt - 1n,
          close: check.closesAt,
          lastSecond: deadline - 1n,
          deadline,
        }[a.when];
        this.jumpTo(target);
        return this.rule(a.byArbiter ? arbiterActor : this.actor(a.pass ? 0 : 4), a.pass);
      }
      case "wait": {
        const onChain = await f.escrow.read.getJob([this.job.id]);
        const moment = {
          close: check.closesAt,
          deadline: check.rulingDeadline,
          refundable: maxOf(onChain.expiredAt, onChain.submittedAt + onChain.evaluationPeriod),
          frozenStart: check.closesAt - check.responsePeriod,
        }[a.to];
        if (moment !== 0n) this.jumpTo(moment + a.offset);
        return;
      }
      case "settle":
        return this.settle();
      case "approve":
        return this.approve();
      case "claimRefund":
        return this.claimRefund();
      case "claim":
        return this.claim(this.actor(a.who));
    }
  }

  /** An amount for `size`: at, one under or one over the doubling threshold, the minimum, or a share. */
  sized(check: CheckView, actor: Actor, pass: boolean, size: string, percent: number): bigint {
    const [side, other] = pass ? [check.passTotal, check.failTotal] : [check.failTotal, check.passTotal];
    const previous = this.positions.get(actor.address)?.amount ?? 0n;
    const toFlip = maxOf(2n * other, flipFloor(check)) - side;
    const amount = {
      flip: toFlip,
      flipUnder: toFlip - 1n,
      flipOver: toFlip + 1n,
      min: check.minStake - previous,
      belowMin: check.minStake - previous - 1n,
      percent: (this.budget * BigInt(percent)) / 100n,
    }[size]!;
    // Below the minimum only when asked to be; a flip sized under the minimum is raised to it.
    if (size === "belowMin") return amount > 0n ? amount : 0n;
    return maxOf(amount, maxOf(check.minStake - previous, 1n));
  }

  async stake(actor: Actor, pass: boolean, amount: bigint): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const next = this.t + 1n;
    const previous = this.positions.get(actor.address);
    const total = (previous?.amount ?? 0n) + amount;
    const { leads, flips, frozen, sideTotal } = stakeRules(check, {
      pass,
      amount,
      total,
      byProvider: actor.address === this.provider().address,
      bondPosted: this.positions.get(this.provider().address)?.amount ?? 0n,
      next,
    });
    const ok =
      onChain.status === Status.Submitted &&
      check.verdict === Verdict.None &&
      next < check.closesAt &&
      actor.address !== this.client().address &&
      // The job's arbiter may not stake: it would back the side it is about to rule for.
      !(check.arbiter !== zeroAddress && actor.address === check.arbiter) &&
      !(actor.address === this.provider().address && !pass) &&
      !(previous !== undefined && previous.pass !== pass) &&
      amount !== 0n &&
      total >= check.minStake &&
      total <= MAX_STAKE &&
      !frozen &&
      !(flips && check.flips >= check.maxFlips);
    const label = `stake ${pass ? "pass" : "fail"} ${amount} by ${actor.label} (${leads ? "leader" : "challenger"}${flips ? ", flips" : ""})`;
    const call = { abi: stakedEvaluatorAbi, functionName: "stake", args: [this.job.id, pass, amount] } as const;
    const receipt = await this.evaluator(label, ok, actor, call, this.job.token === NATIVE ? amount : 0n);
    if (!receipt) return;
    outcomes.set(flips ? "game flip" : "game stake", (outcomes.get(flips ? "game flip" : "game stake") ?? 0) + 1);
    if (check.escalated) {
      const label = flips ? "game flip after escalation" : "game stake after escalation";
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    }
    if (next === check.closesAt - 1n)
      outcomes.set("game last-second stake", (outcomes.get("game last-second stake") ?? 0) + 1);
    const changes = eventsOf(receipt, stakedEvaluatorAbi, "LeadChanged", f.addresses.evaluator);
    expect(changes.length, `LeadChanged emitted iff the stake doubled the leader\n${this.log.join("\n")}`).toBe(
      flips ? 1 : 0,
    );
    const [changed] = changes;
    if (changed) {
      const blockTime = (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
      // A side that was outbid always has a response period to answer, before a close that never moves back
      // and never passes the latest close known at delivery; and no flip beyond maxFlips.
      expect(blockTime).toBeLessThan(check.closesAt);
      expect(changed.closesAt).toBeGreaterThanOrEqual(blockTime + check.responsePeriod);
      expect(changed.closesAt).toBeGreaterThanOrEqual(check.closesAt);
      expect(changed.closesAt).toBeLessThanOrEqual(this.latestAtDelivery);
      expect(changed.flips).toBe(check.flips + 1n);
      expect(changed.flips).toBeLessThanOrEqual(check.maxFlips);
      expect([changed.pass, changed.total]).toEqual([pass, sideTotal]);
      this.flipsSeen = changed.flips;
      if (changed.flips === check.maxFlips) outcomes.set("game maxFlips", (outcomes.get("game maxFlips") ?? 0) + 1);
    }
    this.positions.set(actor.address, { actor, amount: total, pass });
    this.stakedTotal += amount;
    this.lastStakeAt = (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
  }

  async escalate(actor: Actor): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const next = this.t + 1n;
    const ok =
      check.arbiter !== zeroAddress &&
      onChain.status === Status.Submitted &&
      check.verdict === Verdict.None &&
      !check.escalated &&
      next < check.closesAt &&
      (this.positions.get(actor.address)?.amount ?? 0n) > 0n &&
      check.passTotal + check.failTotal >= check.escalationThreshold;
    const call = { abi: stakedEvaluatorAbi, functionName: "escalate", args: [this.job.id] } as const;
    const receipt = await this.evaluator(`escalate by ${actor.label}`, ok, actor, call);
    if (!receipt) return;
    outcomes.set("game escalated", (outcomes.get("game escalated") ?? 0) + 1);
    if (this.positions.get(actor.address)?.pass === check.passLeads) {
      outcomes.set("game escalated by the leader", (outcomes.get("game escalated by the leader") ?? 0) + 1);
    }
    expect(eventsOf(receipt, stakedEvaluatorAbi, "CheckEscalated", f.addresses.evaluator)).toEqual([
      { jobId: this.job.id, by: actor.address },
    ]);
    // Escalating stops nothing: the close, the lead, the flips and the terms stay as they were; the arbiter's
    // window is the arbitration period after the close, whenever the escalation came.
    const after = await this.check();
    expect(check.rulingDeadline).toBe(0n);
    expect({ ...after, escalated: false, rulingDeadline: 0n }).toEqual(check);
    expect([after.escalated, after.rulingDeadline]).toEqual([true, check.closesAt + check.arbitrationPeriod]);
  }

  async rule(actor: Actor, pass: boolean): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const next = this.t + 1n;
    // Only once staking is over (from the close) and for the arbitration period after it.
    const ok =
      check.escalated &&
      actor.address === check.arbiter &&
      check.verdict === Verdict.None &&
      onChain.status === Status.Submitted &&
      next >= check.closesAt &&
      next < check.closesAt + check.arbitrationPeriod;
    const call = { abi: stakedEvaluatorAbi, functionName: "rule", args: [this.job.id, pass] } as const;
    const receipt = await this.evaluator(`rule ${pass} by ${actor.label}`, ok, actor, call);
    if (!receipt) return;
    outcomes.set("game ruled", (outcomes.get("game ruled") ?? 0) + 1);
    if (next === check.closesAt)
      outcomes.set("game ruled at the close", (outcomes.get("game ruled at the close") ?? 0) + 1);
    if (next === check.rulingDeadline - 1n) {
      outcomes.set("game ruled in the last second", (outcomes.get("game ruled in the last second") ?? 0) + 1);
    }
    // Nobody staked behind the ruling: every stake was mined before the close, so before the ruling.
    const ruledAt = (await f.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp;
    expect(this.lastStakeAt).toBeLessThan(check.closesAt);
    expect(this.lastStakeAt).toBeLessThan(ruledAt);
    await this.expectDecided(check, pass);
  }

  async settle(): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const next = this.t + 1n;
    const expired = onChain.status === Status.Expired;
    const ok =
      check.verdict === Verdict.None &&
      (expired ||
        (onChain.status === Status.Submitted &&
          next >= check.closesAt &&
          (!check.escalated || next >= check.rulingDeadline)));
    const call = { abi: stakedEvaluatorAbi, functionName: "settle", args: [this.job.id] } as const;
    const receipt = await this.evaluator("settle", ok, eoa("anyone", f.stranger), call);
    if (!receipt) return;
    if (expired) {
      outcomes.set("game voided by expiry", (outcomes.get("game voided by expiry") ?? 0) + 1);
      expect((await this.check()).verdict).toBe(Verdict.Void);
      this.decided = { verdict: Verdict.Void, winnersLeft: 0n, rewardLeft: 0n };
      return;
    }
    if (check.escalated) outcomes.set("game arbiter silent", (outcomes.get("game arbiter silent") ?? 0) + 1);
    await this.expectDecided(check, check.passLeads);
  }

  async approve(): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const ok = onChain.status === Status.Submitted && check.verdict === Verdict.None && check.failTotal === 0n;
    const call = { abi: stakedEvaluatorAbi, functionName: "approve", args: [this.job.id] } as const;
    const receipt = await this.evaluator("approve", ok, this.client(), call);
    if (!receipt) return;
    expect(await statusOf(f, this.job.id)).toBe(Status.Completed);
    expect((await this.check()).verdict).toBe(Verdict.Pass);
    this.decided = { verdict: Verdict.Pass, winnersLeft: check.passTotal, rewardLeft: 0n };
  }

  async claimRefund(): Promise<void> {
    const onChain = await f.escrow.read.getJob([this.job.id]);
    const refundableAt = maxOf(onChain.expiredAt, onChain.submittedAt + onChain.evaluationPeriod);
    const ok = onChain.status === Status.Submitted && this.t + 1n >= refundableAt;
    const call = { abi: jobEscrowAbi, functionName: "claimRefund", args: [this.job.id] } as const;
    await this.escrow("claimRefund", ok, eoa("anyone", f.stranger), call);
  }

  /** The verdict and the job's outcome after a settlement or a ruling for `passed`, from the check before it. */
  async expectDecided(before: CheckView, passed: boolean): Promise<void> {
    const bondPosted = this.positions.get(this.provider().address)?.amount ?? 0n;
    const bondMissing = passed && bondPosted < before.bond;
    const [winners, losers] = passed ? [before.passTotal, before.failTotal] : [before.failTotal, before.passTotal];
    const verdict =
      bondMissing || (winners === 0n && losers !== 0n) ? Verdict.Void : passed ? Verdict.Pass : Verdict.Fail;
    const completed = passed && !bondMissing;
    expect((await this.check()).verdict, `verdict\n${this.log.join("\n")}`).toBe(verdict);
    expect(await statusOf(f, this.job.id)).toBe(completed ? Status.Completed : Status.Rejected);
    this.decided = { verdict, winnersLeft: winners, rewardLeft: losers };
    outcomes.set(`game verdict ${verdict}`, (outcomes.get(`game verdict ${verdict}`) ?? 0) + 1);
  }

  async claim(actor: Actor): Promise<void> {
    const position = this.positions.get(actor.address);
    const decided = this.decided;
    const ok =
      decided !== undefined &&
      position !== undefined &&
      (await f.staked.read.getCheck([this.job.id])).verdict !== Verdict.None;
    let expected = 0n;
    if (ok && position && decided) {
      if (decided.verdict === Verdict.Void) expected = position.amount;
      else if (position.pass === (decided.verdict === Verdict.Pass)) {
        const share =
          position.amount === decided.winnersLeft
            ? decided.rewardLeft
            : (position.amount * decided.rewardLeft) / decided.winnersLeft;
        expected = position.amount + share;
      }
      expect(await f.staked.read.claimable([this.job.id, actor.address])).toBe(expected);
    }
    const call = { abi: stakedEvaluatorAbi, functionName: "claim", args: [this.job.id] } as const;
    const receipt = await this.evaluator(`claim by ${actor.label}`, ok, actor, call);
    if (!receipt || !position || !decided) return;
    const [claimed] = eventsOf(receipt, stakedEvaluatorAbi, "StakeClaimed", f.addresses.evaluator);
    expect([claimed?.stake, claimed?.amount]).toEqual([position.amount, expected]);
    if (decided.verdict !== Verdict.Void && expected !== 0n) {
      decided.winnersLeft -= position.amount;
      decided.rewardLeft -= expected - position.amount;
    }
    this.paidTotal += expected;
    this.positions.delete(actor.address);
  }

  /** The game's own invariants, on top of {@link Run.checkInvariants}. */
  async checkGame(): Promise<void> {
    const check = await this.check();
    const onChain = await f.escrow.read.getJob([this.job.id]);
    if (check.verdict === Verdict.None && onChain.status === Status.Submitted) {
      // The totals are the positions, and the refund comes after the latest end of the check.
      let [pass, fail] = [0n, 0n];
      for (const position of this.positions.values()) {
        if (position.pass) pass += position.amount;
        else fail += position.amount;
      }
      expect([check.passTotal, check.failTotal]).toEqual([pass, fail]);
      const refundableAt = maxOf(onChain.expiredAt, onChain.submittedAt + onChain.evaluationPeriod);
      expect(check.closesAt).toBeLessThanOrEqual(this.latestAtDelivery);
      // The latest close plus the arbiter's whole period (0 without one) still ends before the refund.
      expect(refundableAt).toBeGreaterThan(check.latestClose + check.arbitrationPeriod);
      // The ruling deadline follows the close (a flip after the escalation moves both); 0 until escalated.
      expect(check.rulingDeadline).toBe(check.escalated ? check.closesAt + check.arbitrationPeriod : 0n);
      if (check.escalated) expect(refundableAt).toBeGreaterThan(check.rulingDeadline);
      expect(check.flips).toBe(this.flipsSeen);
    }
  }

  /**
   * Drives the job to a terminal state and claims every stake: first escalating when the terms and the stakes
   * allow it, then a ruling or the arbiter's silence; or, for a check nobody escalated, a settlement after the
   * close or (`refundFirst`) nobody settling until the client's refund, which voids the check.
   */
  async finish(ending: { refundFirst: boolean; rule: boolean; pass: boolean }): Promise<void> {
    const open = await this.check();
    // Any staker may escalate: the first outbid one, or else the leader's side.
    const byOutbidFirst = [...this.positions.values()].sort(
      (x, y) => Number(x.pass === open.passLeads) - Number(y.pass === open.passLeads),
    );
    if (
      open.arbiter !== zeroAddress &&
      !open.escalated &&
      open.verdict === Verdict.None &&
      this.t + 1n < open.closesAt &&
      byOutbidFirst.length > 0 &&
      open.passTotal + open.failTotal >= open.escalationThreshold
    ) {
      await this.escalate(byOutbidFirst[0]!.actor);
    }
    for (let round = 0; round < 3; round++) {
      const check = await this.check();
      const onChain = await f.escrow.read.getJob([this.job.id]);
      if (onChain.status === Status.Submitted) {
        if (check.escalated && ending.rule && this.t + 1n < check.rulingDeadline) {
          // The arbiter rules once staking is over.
          this.jumpTo(check.closesAt);
          await this.rule(arbiterActor, ending.pass);
          continue;
        }
        if (!check.escalated && ending.refundFirst) {
          this.jumpTo(maxOf(onChain.expiredAt, onChain.submittedAt + onChain.evaluationPeriod));
          await this.claimRefund();
          continue;
        }
        // A silent arbiter leaves the game's result at the close plus the arbitration period.
        this.jumpTo(check.escalated ? check.rulingDeadline : check.closesAt);
        await this.settle();
      } else if (onChain.status === Status.Expired && check.verdict === Verdict.None) {
        await this.settle();
      } else break;
    }
    for (const position of [...this.positions.values()]) await this.claim(position.actor);
    expect(TERMINAL.has(await statusOf(f, this.job.id)), `job ${this.job.id} not terminal`).toBe(true);
    expect(this.positions.size).toBe(0);
    expect(this.paidTotal, "paid out = staked").toBe(this.stakedTotal);
    const left = await this.check();
    expect([left.passTotal, left.failTotal]).toEqual([0n, 0n]);
    expect(await f.balanceOf(this.job.token, f.addresses.evaluator)).toBe(0n);
    expect(await f.balanceOf(this.job.token, f.addresses.escrow)).toBe(0n);
  }
}

describe("the staked check under adversarial sequences", () => {
  it("conservation, no locked funds, final states, single payouts, and every outbid side gets a response period", async () => {
    await fc.assert(
      fc.asyncProperty(
        gameTermsArbitrary,
        gameOpeningArbitrary,
        fc.array(gameActionArbitrary, { minLength: GAME_STEPS - 8, maxLength: GAME_STEPS }),
        fc.record({ refundFirst: fc.boolean(), rule: fc.boolean(), pass: fc.boolean() }),
        async (terms, opening, rest, ending) => {
          const actions = [...opening, ...rest];
          await f.testClient.revert({ id: baseSnapshot });
          baseSnapshot = await f.testClient.snapshot();
          const run = new GameRun([]);
          await run.start();
          await run.open(terms);
          for (const a of actions) {
            await run.play(a);
            await run.checkInvariants();
            await run.checkGame();
          }
          await run.finish(ending);
          await run.checkInvariants();
        },
      ),
      { numRuns: GAME_RUNS },
    );
    const covered = [
      "game flip",
      "game maxFlips",
      "game last-second stake",
      "game escalated",
      "game escalated by the leader",
      "game stake after escalation",
      "game flip after escalation",
      "game ruled",
      "game ruled at the close",
      "game ruled in the last second",
      "rule refused EvaluatorRulingNotOpen",
      "rule refused EvaluatorRulingClosed",
      "game arbiter silent",
      "game voided by expiry",
      `game verdict ${Verdict.Pass}`,
      `game verdict ${Verdict.Fail}`,
      `game verdict ${Verdict.Void}`,
    ];
    for (const label of covered) {
      expect(outcomes.get(label) ?? 0, `${label} (${JSON.stringify([...outcomes])})`).toBeGreaterThan(0);
    }
  }, 180_000);
});
