/**
 * Property tests over random sequences of escrow and evaluator actions, several actors, three tokens (native,
 * gUSD and a token that can refuse a receiver) and time jumps. After every step:
 * - per token, the escrow holds exactly the budgets of Funded and Submitted jobs plus every unwithdrawn credit;
 * - per token, the evaluator holds exactly the stakes still owed (getCheck's passTotal + failTotal, summed);
 * - a job only moves along ERC-8183's edges, and a terminal state never changes; a verdict never changes;
 * - no job emits PaymentReleased or Refunded twice, and a settled funded job emitted exactly one of them.
 * Each action's outcome is also predicted from the contracts' rules and the chain's state; a call that
 * fails must fail with one of Guild's custom errors (never a panic).
 */
import fc from "fast-check";
import { encodeFunctionData, maxUint256, parseEventLogs, type Address, type Hex, type TransactionReceipt } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { decodeRevert, revertDataOf } from "../support/contracts-helpers/expectRevert.js";
import { createGuildFixture, NATIVE, type GuildFixture } from "../support/contracts-helpers/fixture.js";
import { encodeCheckConfig, Status, Verdict, type JobTerms } from "../support/contracts-helpers/jobs.js";
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
  const plenty = 10n ** 30n;
  for (const actor of [...clients, ...providers, ...stakers]) {
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
afterAll(async () => f.chain.close());

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
    outcomes.set(`${label} refused`, (outcomes.get(`${label} refused`) ?? 0) + 1);
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
        const [sideTotal, otherTotal] = a.pass
          ? [check.passTotal + amount, check.failTotal]
          : [check.failTotal + amount, check.passTotal];
        const leads = a.pass === check.passLeads;
        const flips = !leads && sideTotal >= 2n * otherTotal;
        const ok =
          !(leads && next >= closesAt - check.responsePeriod) &&
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
        if (staked && !job.stakers.includes(staker)) job.stakers.push(staker);
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
