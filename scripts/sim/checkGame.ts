import { decodeEventLog, encodeFunctionData, type Address, type Log } from "viem";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import type { Cell, ModelParameters } from "./model.js";
import type { SimTx, SimTxResult } from "./simChain.js";

/** The check as `getCheck` reports it, the fields the players read. */
export type CheckState = {
  closesAt: bigint;
  flips: number;
  maxFlips: number;
  passLeads: boolean;
  passTotal: bigint;
  failTotal: bigint;
  minStake: bigint;
  /** The provider's required bond. With the minimum stake it sets the flip floor: 2 * max(bond, minStake) * 2^flips. */
  bond: bigint;
  escalationThreshold: bigint;
  escalated: boolean;
  /** The close plus the arbitration period once escalated (0 before): the arbiter rules from the close until then. */
  rulingDeadline: bigint;
  verdict: number;
};

type Role = "honest" | "provider" | "attacker";

/** One staker on one job: its side, the most it will stake on this job, and what it staked. */
export type Position = {
  address: Address;
  role: Role;
  pass: boolean;
  ceiling: bigint;
  staked: bigint;
  /** Total ever staked (stays after the claim, for returns on capital). */
  committed: bigint;
};

export type GameAddresses = {
  escrow: Address;
  evaluator: Address;
  keeper: Address;
  client: Address;
  provider: Address;
  /** The attacker's own staking address (the client's or provider's second address, or a third party). */
  attacker?: Address;
  arbiter?: Address;
};

/** A checker that may join the job during a dispute: drawn up front so the run is reproducible. */
export type Reviewer = { address: Address; pass: boolean; ceiling: bigint };

export type GameResult = {
  cell: Cell;
  good: boolean;
  completed: boolean;
  voided: boolean;
  escalated: boolean;
  flips: number;
  /** The attacker's profit against the honest outcome (0 without an attacker), in wei. */
  attackerProfit: bigint;
  attackerWon: boolean;
  /** The attacker's capital over the summed ceilings of the honest checkers on the truthful side. */
  capitalRatio: number;
  /** The worker's (provider's) cash result, the budget included. */
  workerProfit: bigint;
  honestProfit: bigint;
  honestCommitted: bigint;
  honestCount: number;
  /** Cash moved per address on this job, for the end-of-run check against on-chain balances. */
  ledger: Map<Address, bigint>;
};

type Phase = "deliver" | "bond" | "opening" | "open" | "claim" | "done";

const GAS = {
  deliver: 200_000n,
  stake: 200_000n,
  escalate: 150_000n,
  rule: 300_000n,
  settle: 300_000n,
  claim: 150_000n,
};

/**
 * One checked job played on the real contracts: the worker delivers and bonds, honest checkers open, answer and
 * escalate by the rules in docs/simulation.md, the attacker of the job's cell plays its strategy (escalating
 * stops nothing: both keep playing until the close), an honest arbiter rules once staking is over, and everyone
 * claims. `actions(now)` gives the transactions due at chain time `now`; `observe` feeds the check back after
 * they are mined; `wakeAt(now)` is the next time anyone acts.
 */
export class CheckGame {
  readonly jobId: bigint;
  readonly cell: Cell;
  readonly good: boolean;
  phase: Phase = "deliver";
  private readonly model: ModelParameters;
  private readonly budget: bigint;
  private readonly addr: GameAddresses;
  private readonly positions = new Map<Address, Position>();
  /** Checkers who review at delivery, and those who look only once the lead changes. */
  private readonly openers: Reviewer[];
  private readonly disputeReviewers: Reviewer[];
  private disputeJoined = false;
  private readonly attackerCeiling: bigint;
  private attackerSide: boolean | undefined;
  private readonly ledger = new Map<Address, bigint>();
  private state: CheckState | undefined;
  private openedAt = 0n;
  private lastChange = 0n;
  private honestActedFor = -1n;
  private attackerActedFor = -1n;
  private escalateSent = false;
  private ruleSent = false;
  private settleSent = false;
  private completed: boolean | undefined;
  private voided = false;
  private everEscalated = false;

  constructor(args: {
    jobId: bigint;
    cell: Cell;
    good: boolean;
    model: ModelParameters;
    budget: bigint;
    addresses: GameAddresses;
    openers: Reviewer[];
    disputeReviewers: Reviewer[];
    attackerCeiling: bigint;
  }) {
    this.jobId = args.jobId;
    this.cell = args.cell;
    this.good = args.good;
    this.model = args.model;
    this.budget = args.budget;
    this.addr = args.addresses;
    this.openers = args.openers;
    this.disputeReviewers = args.disputeReviewers;
    this.attackerCeiling = args.attackerCeiling;
    if (this.cell.attack === "client-second-address") this.attackerSide = false;
    if (this.cell.attack === "provider-second-address") this.attackerSide = true;
    if (this.cell.attack === "rich-out-staker") this.attackerSide = !this.good;
    this.move(this.addr.client, -this.budget);
  }

  /** The transactions due at `now`. */
  actions(now: bigint): SimTx[] {
    switch (this.phase) {
      case "deliver":
        this.phase = "bond";
        return [
          this.tx(
            this.addr.provider,
            this.addr.escrow,
            "deliver",
            0n,
            GAS.deliver,
            (r) => {
              if (!r.ok) throw new Error(`job ${this.jobId}: deliver reverted`);
            },
            encodeFunctionData({
              abi: jobEscrowAbi,
              functionName: "deliver",
              args: [this.jobId, this.good ? "good work" : "wrong work"],
            }),
          ),
        ];
      case "bond": {
        this.phase = "opening";
        const bond = (this.budget * this.model.bondBps) / 10_000n;
        const provider = this.position(this.addr.provider, "provider", true, bond);
        return [this.stakeTx(provider, bond, "stake: bond")];
      }
      case "opening": {
        this.phase = "open";
        this.openedAt = now;
        this.lastChange = now;
        const txs: SimTx[] = [];
        const minStake = (this.budget * this.model.minStakeBps) / 10_000n;
        const opening = BigInt(Math.round(this.model.openingStake * 1e18));
        for (const reviewer of this.openers) {
          const position = this.position(reviewer.address, "honest", reviewer.pass, reviewer.ceiling);
          let amount = this.model.honestRule === "all-in" ? reviewer.ceiling : opening;
          if (amount < minStake) amount = minStake;
          if (amount > reviewer.ceiling) continue; // cannot afford the minimum stake: watches only
          txs.push(this.stakeTx(position, amount, "stake: honest opening"));
        }
        return txs;
      }
      case "open":
        return this.openActions(now);
      case "claim": {
        this.phase = "done";
        const txs: SimTx[] = [];
        for (const position of this.positions.values()) {
          if (position.staked === 0n) continue;
          txs.push(
            this.tx(
              position.address,
              this.addr.evaluator,
              "claim",
              0n,
              GAS.claim,
              (r) => {
                if (!r.ok) return;
                for (const log of this.evaluatorLogs(r.logs)) {
                  if (log.eventName === "StakeClaimed") this.move(position.address, log.args.amount);
                }
                position.staked = 0n;
              },
              encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "claim", args: [this.jobId] }),
            ),
          );
        }
        return txs;
      }
      case "done":
        return [];
    }
  }

  /** The check as read after this tick's block; `now` is that block's time. */
  observe(state: CheckState, now: bigint): void {
    const previous = this.state;
    this.state = state;
    if (previous && (state.flips !== previous.flips || state.passLeads !== previous.passLeads)) this.lastChange = now;
    if (state.escalated && !(previous?.escalated ?? false)) this.everEscalated = true;
    if (state.verdict !== 0 && this.phase === "open") this.phase = "claim";
  }

  /** The next time after `now` at which someone acts, or undefined when the job is done. */
  wakeAt(now: bigint): bigint | undefined {
    if (this.phase === "done") return undefined;
    if (this.phase !== "open") return now + 1n;
    const state = this.required();
    const times: bigint[] = [];
    if (now < state.closesAt) {
      // Staking goes on until the close, escalated or not.
      times.push(state.closesAt);
      if (this.honestActedFor !== this.lastChange) times.push(this.honestTime());
      const attackerTime = this.attackerTime(state);
      if (attackerTime !== undefined) times.push(attackerTime);
    }
    if (state.escalated) {
      // The arbiter may rule only from the close; a silent one leaves the leader at the close to settle after
      // the arbitration period.
      if (this.cell.arbiter === "honest" && !this.ruleSent) times.push(this.rulingTime(state));
      times.push(state.rulingDeadline);
    }
    // bigint: no Math.min
    let earliest: bigint | undefined;
    for (const t of times) if (t > now && (earliest === undefined || t < earliest)) earliest = t;
    return earliest ?? now + 1n;
  }

  result(): GameResult {
    if (this.completed === undefined) throw new Error(`job ${this.jobId} has no outcome yet`);
    let honestProfit = 0n;
    let honestCommitted = 0n;
    let honestCount = 0;
    let truthfulCapital = 0n;
    for (const position of this.positions.values()) {
      if (position.role !== "honest") continue;
      honestProfit += this.ledger.get(position.address) ?? 0n;
      honestCommitted += position.committed;
      honestCount++;
      if (position.pass === this.good) truthfulCapital += position.ceiling;
    }
    const cash = (address: Address | undefined) => (address ? (this.ledger.get(address) ?? 0n) : 0n);
    let attackerProfit = 0n;
    let attackerWon = false;
    switch (this.cell.attack) {
      case "client-second-address":
        // Against the honest outcome (the client pays for good work): the client's cash, plus the budget.
        attackerProfit = cash(this.addr.client) + this.budget + cash(this.addr.attacker);
        attackerWon = !this.completed;
        break;
      case "provider-second-address":
        // Wrong work costs nothing to make; the honest outcome pays nothing.
        attackerProfit = cash(this.addr.provider) + cash(this.addr.attacker);
        attackerWon = this.completed;
        break;
      case "sniper":
      case "rich-out-staker":
        attackerProfit = cash(this.addr.attacker);
        attackerWon = this.attackerSide !== undefined && this.completed === this.attackerSide && attackerProfit > 0n;
        break;
      case "none":
        break;
    }
    const capitalRatio =
      this.cell.attack === "none" || truthfulCapital === 0n
        ? Number.NaN
        : Number(this.attackerCeiling) / Number(truthfulCapital);
    return {
      cell: this.cell,
      good: this.good,
      completed: this.completed,
      voided: this.voided,
      escalated: this.everEscalated,
      flips: this.state?.flips ?? 0,
      attackerProfit,
      attackerWon,
      capitalRatio,
      workerProfit: cash(this.addr.provider),
      honestProfit,
      honestCommitted,
      honestCount,
      ledger: this.ledger,
    };
  }

  // ------------------------------------------------------------------------------------------------------------

  private openActions(now: bigint): SimTx[] {
    const state = this.required();
    if (now >= state.closesAt && state.escalated) {
      if (
        this.cell.arbiter === "honest" &&
        this.addr.arbiter &&
        !this.ruleSent &&
        now >= this.rulingTime(state) &&
        now < state.rulingDeadline
      ) {
        this.ruleSent = true;
        return [
          this.tx(
            this.addr.arbiter,
            this.addr.evaluator,
            "rule",
            0n,
            GAS.rule,
            (r) => this.settled(r),
            encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "rule", args: [this.jobId, this.good] }),
          ),
        ];
      }
      if (now >= state.rulingDeadline && !this.settleSent) return [this.settleTx()];
      return [];
    }
    if (now >= state.closesAt) return this.settleSent ? [] : [this.settleTx()];
    const txs: SimTx[] = [];
    if (now === this.honestTime() && this.honestActedFor !== this.lastChange) {
      this.honestActedFor = this.lastChange;
      txs.push(...this.honestActions(state));
    }
    if (now === this.attackerTime(state)) {
      this.attackerActedFor = this.cell.attack === "rich-out-staker" ? this.lastChange : state.closesAt;
      txs.push(...this.attackerActions(state));
    }
    return txs;
  }

  /** An honest arbiter rules one delay after the close, the first second it may (staking is over by then). */
  private rulingTime(state: CheckState): bigint {
    return state.closesAt + this.model.arbiterDelaySeconds;
  }

  /** The honest checkers answer one delay after each change of lead (one second after their opening stakes). */
  private honestTime(): bigint {
    return this.lastChange === this.openedAt ? this.openedAt + 1n : this.lastChange + this.model.honestDelaySeconds;
  }

  private attackerTime(state: CheckState): bigint | undefined {
    if (this.cell.attack === "none") return undefined;
    if (this.cell.attack === "rich-out-staker") {
      if (this.attackerActedFor === this.lastChange) return undefined;
      return this.lastChange + this.model.attackerDelaySeconds;
    }
    // The snipers: the last second before each close.
    if (this.attackerActedFor === state.closesAt) return undefined;
    return state.closesAt - 1n;
  }

  private honestActions(state: CheckState): SimTx[] {
    if (state.flips > 0 && !this.disputeJoined) {
      this.disputeJoined = true;
      for (const reviewer of this.disputeReviewers) {
        if (!this.positions.has(reviewer.address))
          this.position(reviewer.address, "honest", reviewer.pass, reviewer.ceiling);
      }
    }
    const txs: SimTx[] = [];
    // Only the outbid side answers: with stakes while its members can afford the flip, else (when the terms name
    // an arbiter and the stakes reached the threshold) by escalating, once; escalating stops nothing, so the
    // game goes on after it. The leading side has no reason to escalate.
    const pass = !state.passLeads;
    const camp = [...this.positions.values()].filter((p) => p.role === "honest" && p.pass === pass);
    if (camp.length === 0) return txs;
    const plan = this.flipPlan(state, camp, this.model.honestRule === "all-in");
    if (plan) {
      for (const [position, amount] of plan) txs.push(this.stakeTx(position, amount, "stake: honest answer"));
    } else if (this.canEscalate(state)) {
      const escalator = camp.find((p) => p.staked > 0n);
      if (escalator) txs.push(this.escalateTx(escalator.address));
    }
    return txs;
  }

  private attackerActions(state: CheckState): SimTx[] {
    const address = this.addr.attacker;
    if (!address) return [];
    if (this.attackerSide === undefined) this.attackerSide = !state.passLeads; // the sniper backs the trailer
    const position = this.position(address, "attacker", this.attackerSide, this.attackerCeiling);
    // The attacker never escalates (any staker may): an honest arbiter would rule against it, and a silent one
    // changes nothing, since the leader at the close wins either way. It keeps playing after an escalation.
    if (position.pass === state.passLeads) return [];
    const plan = this.flipPlan(state, [position], false);
    if (!plan) return [];
    return plan.map(([p, amount]) => this.stakeTx(p, amount, "stake: attacker"));
  }

  /**
   * The stakes with which `camp` takes the lead, or undefined when it cannot. The minimum flip brings the side to
   * exactly the bar (twice the leader, and at least the flip floor); a side goes all in (everything its members have left) on the last flip it will get
   * before the other side's final answer, or always under the all-in rule. Every stake but the last stays under
   * the bar, so that the flip is the last transaction: once a side leads in its last response period it cannot add.
   */
  private flipPlan(state: CheckState, camp: Position[], allInRule: boolean): [Position, bigint][] | undefined {
    if (state.flips >= state.maxFlips) return undefined;
    const pass = camp[0]?.pass;
    if (pass === undefined) return undefined;
    const [side, leader] = pass ? [state.passTotal, state.failTotal] : [state.failTotal, state.passTotal];
    // A flip brings the side to twice the leader and to the floor, 2 * max(bond, minimum stake) * 2^flips.
    const base = state.bond > state.minStake ? state.bond : state.minStake;
    const floor = (2n * base) << BigInt(state.flips);
    const bar = 2n * leader > floor ? 2n * leader : floor;
    const need = bar - side;
    if (need <= 0n) return undefined;
    const allIn = allInRule || state.maxFlips - state.flips - 1 === 1;
    const withRoom = camp
      .filter((p) => p.ceiling > p.staked)
      .sort((a, b) => (b.ceiling - b.staked > a.ceiling - a.staked ? 1 : -1));
    const closer = withRoom[0];
    if (!closer) return undefined;
    const closerRoom = closer.ceiling - closer.staked;
    const closerMin = closer.staked === 0n ? (state.minStake > 1n ? state.minStake : 1n) : 1n;
    if (closerRoom < closerMin) return undefined;
    const plan: [Position, bigint][] = [];
    let others = 0n;
    for (const position of withRoom.slice(1)) {
      const room = need - closerMin - others;
      if (room <= 0n) break;
      let amount = position.ceiling - position.staked;
      if (amount > room) amount = room;
      if (position.staked === 0n && amount < state.minStake) continue;
      plan.push([position, amount]);
      others += amount;
    }
    const closerAmount = allIn ? closerRoom : need - others;
    if (others + closerAmount < need || closerAmount > closerRoom) return undefined;
    plan.push([closer, closerAmount]);
    return plan;
  }

  private canEscalate(state: CheckState): boolean {
    return (
      this.cell.arbiter !== "none" &&
      !state.escalated &&
      !this.escalateSent &&
      state.passTotal + state.failTotal >= state.escalationThreshold
    );
  }

  private position(address: Address, role: Role, pass: boolean, ceiling: bigint): Position {
    let position = this.positions.get(address);
    if (!position) {
      position = { address, role, pass, ceiling, staked: 0n, committed: 0n };
      this.positions.set(address, position);
    }
    return position;
  }

  private stakeTx(position: Position, amount: bigint, label: string): SimTx {
    return this.tx(
      position.address,
      this.addr.evaluator,
      label,
      amount,
      GAS.stake,
      (r) => {
        if (!r.ok) return;
        position.staked += amount;
        position.committed += amount;
        this.move(position.address, -amount);
      },
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "stake", args: [this.jobId, position.pass, amount] }),
    );
  }

  private escalateTx(from: Address): SimTx {
    this.escalateSent = true;
    return this.tx(
      from,
      this.addr.evaluator,
      "escalate",
      0n,
      GAS.escalate,
      (r) => {
        if (!r.ok) this.escalateSent = false;
      },
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "escalate", args: [this.jobId] }),
    );
  }

  private settleTx(): SimTx {
    this.settleSent = true;
    return this.tx(
      this.addr.keeper,
      this.addr.evaluator,
      "settle",
      0n,
      GAS.settle,
      (r) => {
        if (!r.ok) this.settleSent = false;
        this.settled(r);
      },
      encodeFunctionData({ abi: stakedEvaluatorAbi, functionName: "settle", args: [this.jobId] }),
    );
  }

  /** Reads the escrow's verdict from a settling transaction's logs and moves the budget in the ledger. */
  private settled(r: SimTxResult): void {
    if (!r.ok) return;
    for (const log of r.logs) {
      if (log.address.toLowerCase() === this.addr.escrow.toLowerCase()) {
        try {
          const event = decodeEventLog({ abi: jobEscrowAbi, data: log.data, topics: log.topics });
          if (event.eventName === "PaymentReleased") {
            this.completed = true;
            this.move(event.args.provider, event.args.amount);
          } else if (event.eventName === "Refunded") {
            this.completed = false;
            this.move(event.args.client, event.args.amount);
          }
        } catch {
          // an event of another contract's ABI
        }
      }
    }
    for (const event of this.evaluatorLogs(r.logs)) if (event.eventName === "CheckVoided") this.voided = true;
  }

  private evaluatorLogs(logs: Log[]) {
    const events = [];
    for (const log of logs) {
      if (log.address.toLowerCase() !== this.addr.evaluator.toLowerCase()) continue;
      events.push(decodeEventLog({ abi: stakedEvaluatorAbi, data: log.data, topics: log.topics }));
    }
    return events;
  }

  private tx(
    from: Address,
    to: Address,
    label: string,
    value: bigint,
    gas: bigint,
    onMined: (r: SimTxResult) => void,
    data: `0x${string}`,
  ): SimTx {
    return { from, to, data, value, gas, label, onMined };
  }

  private move(address: Address, amount: bigint): void {
    this.ledger.set(address, (this.ledger.get(address) ?? 0n) + amount);
  }

  private required(): CheckState {
    if (!this.state) throw new Error(`job ${this.jobId}: the check was not read yet`);
    return this.state;
  }
}
