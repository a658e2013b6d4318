import { zeroAddress, type Address, type Hash } from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import { newJobRow, type Flow, type FlowCategory, type JobRole, type JobRow, type StakeRow } from "./AuditReport.js";
import { checksum, type AuditLog } from "./auditEvents.js";
import { classifyTransfer, type TransferExpectation } from "./collectErc20Flows.js";
import type { Ledger } from "./createLedger.js";

/** A transaction the agent probably sent (an event names it as the caller); its receipt tells for sure. */
export type CandidateTx = { block: bigint; jobId: bigint | undefined };

/** Credits of one token: payouts the escrow kept for the agent, and what it withdrew. */
export type CreditState = { credited: bigint; withdrawn: bigint; withdrawnToSelf: bigint };

/** What the agent's events told: jobs, stakes, credits, and the transactions it sent. */
export type EventFlowState = {
  jobs: Map<bigint, JobRow>;
  stakes: Map<bigint, StakeRow>;
  credits: Map<Address, CreditState>;
  candidates: Map<Hash, CandidateTx>;
  /** The agent's name in the registry, when it registered. */
  registeredName: string | undefined;
  logs: number;
  warnings: string[];
};

export type EventFlowCollector = EventFlowState & {
  /** Feeds one log; logs must come in chain order. */
  onLog: (log: AuditLog) => void;
  /** Ends the current transaction: payouts not credited become flows. Call after the last log. */
  finish: () => void;
};

/** A native payout announced by an event, final at the end of its transaction unless the escrow credits it. */
type PendingPayout = { flow: Flow; jobId: bigint; token: Address; amount: bigint };

/**
 * Turns the agent's Guild events and ERC-20 transfers, fed in chain order, into flows (in `ledger`), job
 * rows, stake positions, credits, and the transactions the agent sent.
 *
 * Native amounts come from the events themselves: `JobFunded`, `Staked` (out), `PaymentReleased`,
 * `Refunded`, `Withdrawn`, `StakeClaimed` (in). A `PaymentReleased` or `Refunded` followed in the same
 * transaction by `PayoutCredited` moved nothing: the amount stays in the escrow until `Withdrawn`. For
 * ERC-20 tokens the `Transfer` logs are the movements; a Guild event earlier in the same transaction
 * gives each its category and job.
 *
 * @example
 * const collector = createEventFlowCollector({ agent, addresses, ledger });
 * for await (const logs of mergeLogStreams(streams)) for (const log of logs) collector.onLog(log);
 * collector.finish();
 */
export function createEventFlowCollector({
  agent,
  addresses,
  ledger,
  jobs = new Map(),
  stakes = new Map(),
  onCandidate,
}: {
  agent: Address;
  addresses: GuildAddresses;
  ledger: Ledger;
  /** Where job rows and stake positions go (shared with the receipt reader). */
  jobs?: Map<bigint, JobRow>;
  stakes?: Map<bigint, StakeRow>;
  /** Called once per transaction the agent probably sent, as soon as a log names it (to fetch its receipt early). */
  onCandidate?: (hash: Hash, candidate: CandidateTx) => void;
}): EventFlowCollector {
  const me = agent.toLowerCase();
  const escrow = addresses.escrow.toLowerCase();
  const evaluator = addresses.evaluator.toLowerCase();
  const registry = addresses.registry.toLowerCase();
  const is = (a: string | undefined, lower: string) => a !== undefined && a.toLowerCase() === lower;

  const state: EventFlowState = {
    jobs,
    stakes,
    credits: new Map(),
    candidates: new Map(),
    registeredName: undefined,
    logs: 0,
    warnings: [],
  };
  let currentTx: Hash | undefined;
  let pending: PendingPayout[] = [];
  let expectations: TransferExpectation[] = [];

  const job = (jobId: bigint): JobRow => {
    let row = state.jobs.get(jobId);
    if (!row) {
      row = newJobRow(jobId);
      state.jobs.set(jobId, row);
    }
    return row;
  };
  const addRole = (row: JobRow, role: JobRole) => {
    if (!row.roles.includes(role)) row.roles.push(role);
  };
  const credit = (token: Address): CreditState => {
    let entry = state.credits.get(token);
    if (!entry) {
      entry = { credited: 0n, withdrawn: 0n, withdrawnToSelf: 0n };
      state.credits.set(token, entry);
    }
    return entry;
  };
  const candidate = (log: AuditLog, jobId: bigint | undefined) => {
    if (!log.transactionHash) return;
    const known = state.candidates.get(log.transactionHash);
    if (!known) {
      const entry = { block: log.blockNumber, jobId };
      state.candidates.set(log.transactionHash, entry);
      onCandidate?.(log.transactionHash, entry);
    } else if (known.jobId === undefined && jobId !== undefined) known.jobId = jobId;
  };
  const flowOf = (
    log: AuditLog,
    fields: {
      token: Address;
      direction: "in" | "out";
      category: FlowCategory;
      amount: bigint;
      counterparty: Address;
      jobId: bigint | undefined;
    },
  ): Flow => ({
    block: log.blockNumber,
    txHash: log.transactionHash as Hash,
    logIndex: log.logIndex,
    source: "event",
    ...fields,
  });
  /** A movement announced by a Guild event: a flow now (native) or the category of a Transfer to come (ERC-20). */
  const move = (log: AuditLog, contract: Address, flows: Flow[], payout?: { jobId: bigint }) => {
    const first = flows[0];
    if (!first) return;
    if (first.token === zeroAddress) {
      if (payout)
        for (const flow of flows) pending.push({ flow, jobId: payout.jobId, token: flow.token, amount: flow.amount });
      else for (const flow of flows) ledger.add(flow);
      return;
    }
    expectations.push({
      token: first.token.toLowerCase(),
      direction: first.direction,
      contract: contract.toLowerCase(),
      amount: flows.reduce((sum, flow) => sum + flow.amount, 0n),
      flows,
      event: log.eventName,
      payoutJobId: payout?.jobId,
    });
  };

  const endTx = () => {
    for (const entry of pending) ledger.add(entry.flow);
    pending = [];
    for (const left of expectations) {
      state.warnings.push(
        `${left.event} in transaction ${left.flows[0]?.txHash} announced ${left.amount} of token ${left.token} that no Transfer log shows.`,
      );
    }
    expectations = [];
  };

  const onLog = (log: AuditLog) => {
    state.logs++;
    if (log.transactionHash !== currentTx) {
      endTx();
      currentTx = log.transactionHash ?? undefined;
    }
    const address = log.address.toLowerCase();
    if (address === escrow) onEscrowLog(log);
    else if (address === evaluator) onEvaluatorLog(log);
    else if (address === registry) onRegistryLog(log);
    if (log.eventName === "Transfer" || log.eventName === "Approval") onTokenLog(log);
  };

  const onEscrowLog = (log: AuditLog) => {
    switch (log.eventName) {
      case "JobCreated": {
        const { jobId, client, provider, evaluator: jobEvaluator } = log.args;
        const row = job(jobId);
        Object.assign(row, { client, provider, evaluator: jobEvaluator, createdBlock: log.blockNumber });
        if (row.outcome === "unknown") row.outcome = "open";
        if (is(client, me)) {
          addRole(row, "client");
          candidate(log, jobId);
        }
        if (is(provider, me)) addRole(row, "provider");
        if (is(jobEvaluator, me)) addRole(row, "evaluator");
        break;
      }
      case "ProviderSet": {
        const row = job(log.args.jobId);
        row.provider = log.args.provider;
        if (is(log.args.provider, me)) addRole(row, "provider");
        break;
      }
      case "JobFunded": {
        const { jobId, client, token, amount } = log.args;
        if (!is(client, me)) break;
        const row = job(jobId);
        addRole(row, "client");
        Object.assign(row, { token, budget: amount, outcome: "funded" });
        row.funded += amount;
        candidate(log, jobId);
        const counterparty = row.provider ?? addresses.escrow;
        move(log, addresses.escrow, [
          flowOf(log, { token, direction: "out", category: "hire", amount, counterparty, jobId }),
        ]);
        break;
      }
      case "JobSubmitted": {
        const row = job(log.args.jobId);
        if (is(log.args.provider, me)) {
          addRole(row, "provider");
          candidate(log, log.args.jobId);
        }
        if (row.outcome === "unknown" || row.outcome === "open" || row.outcome === "funded") row.outcome = "submitted";
        break;
      }
      case "JobRejected":
      case "JobCompleted": {
        const actor = log.eventName === "JobRejected" ? log.args.rejector : log.args.evaluator;
        if (is(actor, me)) candidate(log, log.args.jobId);
        break;
      }
      case "PaymentReleased":
      case "Refunded": {
        const released = log.eventName === "PaymentReleased";
        const { jobId, token, amount } = log.args;
        const party = released ? log.args.provider : log.args.client;
        if (!is(party, me)) break;
        const row = job(jobId);
        addRole(row, released ? "provider" : "client");
        row.token = token;
        row.budget ??= amount;
        row.outcome = released ? "paid" : "refunded";
        row.settledBlock = log.blockNumber;
        if (released) row.received += amount;
        else row.refunded += amount;
        const counterparty = (released ? row.client : row.provider) ?? addresses.escrow;
        const category: FlowCategory = released ? "hire" : "refund";
        move(log, addresses.escrow, [flowOf(log, { token, direction: "in", category, amount, counterparty, jobId })], {
          jobId,
        });
        break;
      }
      case "PayoutCredited": {
        const { jobId, account, token, amount } = log.args;
        if (!is(account, me)) break;
        const row = job(jobId);
        row.credited += amount;
        if (row.outcome === "paid") row.received -= amount;
        if (row.outcome === "refunded") row.refunded -= amount;
        credit(token).credited += amount;
        cancelPayout(jobId, token, amount, log);
        break;
      }
      case "Withdrawn": {
        const { account, to, token, amount } = log.args;
        if (is(account, me)) {
          candidate(log, undefined);
          const entry = credit(token);
          entry.withdrawn += amount;
          if (is(to, me)) entry.withdrawnToSelf += amount;
        }
        if (is(to, me)) {
          const counterparty = is(account, me) ? addresses.escrow : account;
          move(log, addresses.escrow, [
            flowOf(log, { token, direction: "in", category: "withdrawal", amount, counterparty, jobId: undefined }),
          ]);
        }
        break;
      }
      default:
        break;
    }
  };

  const cancelPayout = (jobId: bigint, token: Address, amount: bigint, log: AuditLog) => {
    const native = pending.findIndex(
      (entry) => entry.jobId === jobId && entry.token === token && entry.amount === amount,
    );
    if (native >= 0) {
      pending.splice(native, 1);
      return;
    }
    const tokenLower = token.toLowerCase();
    const expected = expectations.findIndex(
      (entry) => entry.payoutJobId === jobId && entry.token === tokenLower && entry.amount === amount,
    );
    if (expected >= 0) {
      expectations.splice(expected, 1);
      return;
    }
    state.warnings.push(`PayoutCredited for job ${jobId} in ${log.transactionHash} follows no payout to the agent.`);
  };

  const onEvaluatorLog = (log: AuditLog) => {
    switch (log.eventName) {
      case "Staked": {
        const { jobId, staker, token, pass, amount } = log.args;
        if (!is(staker, me)) break;
        candidate(log, jobId);
        const row = job(jobId);
        addRole(row, "staker");
        row.staked += amount;
        row.token ??= token;
        const position = state.stakes.get(jobId);
        if (position) position.amount += amount;
        else {
          state.stakes.set(jobId, {
            jobId,
            token,
            pass,
            bond: is(row.provider, me),
            amount,
            claimed: 0n,
            reward: 0n,
            lost: 0n,
            outcome: "open",
          });
        }
        move(log, addresses.evaluator, [
          flowOf(log, { token, direction: "out", category: "stake", amount, counterparty: addresses.evaluator, jobId }),
        ]);
        break;
      }
      case "StakeClaimed": {
        const { jobId, staker, token, to, stake, amount } = log.args;
        if (!is(staker, me)) break;
        candidate(log, jobId);
        const row = job(jobId);
        addRole(row, "staker");
        const reward = amount > stake ? amount - stake : 0n;
        const returned = amount - reward;
        const lost = stake - returned;
        row.stakeReturned += returned;
        row.reward += reward;
        row.lost += lost;
        const position = state.stakes.get(jobId);
        if (position) {
          position.claimed += amount;
          position.reward += reward;
          position.lost += lost;
          position.outcome = amount === 0n ? "lost" : reward > 0n ? "won" : "returned";
        } else {
          // Staked before the range: the position shows with what the claim tells.
          state.stakes.set(jobId, {
            jobId,
            token,
            pass: true,
            bond: is(row.provider, me),
            amount: stake,
            claimed: amount,
            reward,
            lost,
            outcome: amount === 0n ? "lost" : reward > 0n ? "won" : "returned",
          });
        }
        if (is(to, me) && amount > 0n) {
          const flows = [
            flowOf(log, {
              token,
              direction: "in",
              category: "stake",
              amount: returned,
              counterparty: addresses.evaluator,
              jobId,
            }),
          ];
          if (reward > 0n) {
            flows.push(
              flowOf(log, {
                token,
                direction: "in",
                category: "reward",
                amount: reward,
                counterparty: addresses.evaluator,
                jobId,
              }),
            );
          }
          move(
            log,
            addresses.evaluator,
            flows.filter((flow) => flow.amount > 0n),
          );
        }
        break;
      }
      default:
        break;
    }
  };

  const onRegistryLog = (log: AuditLog) => {
    switch (log.eventName) {
      case "AgentRegistered":
      case "AgentUpdated":
        if (is(log.args.agent, me)) {
          state.registeredName = log.args.name;
          candidate(log, undefined);
        }
        break;
      case "AgentActiveSet":
        if (is(log.args.agent, me)) candidate(log, undefined);
        break;
      default:
        break;
    }
  };

  const onTokenLog = (log: AuditLog) => {
    if (log.eventName === "Approval") {
      if (is(log.args.owner, me)) candidate(log, undefined);
      return;
    }
    if (log.eventName !== "Transfer") return;
    const { from, to, value } = log.args;
    const token = checksum(log.address);
    const outgoing = is(from, me);
    const incoming = is(to, me);
    if (outgoing) candidate(log, undefined);
    const txHash = log.transactionHash as Hash;
    const base = { block: log.blockNumber, txHash, logIndex: log.logIndex, source: "event" as const };
    if (outgoing && incoming) {
      // A transfer to itself: in and out, so the totals show it and the balance does not move.
      ledger.add({
        ...base,
        token,
        direction: "out",
        category: "transfer",
        amount: value,
        counterparty: agent,
        jobId: undefined,
      });
      ledger.add({
        ...base,
        token,
        direction: "in",
        category: "transfer",
        amount: value,
        counterparty: agent,
        jobId: undefined,
      });
      return;
    }
    if (!outgoing && !incoming) return;
    const flows = classifyTransfer(expectations, {
      token,
      direction: outgoing ? "out" : "in",
      counterparty: outgoing ? to : from,
      amount: value,
    });
    if (flows) {
      for (const flow of flows) ledger.add({ ...flow, logIndex: log.logIndex });
      const jobId = flows[0]?.jobId;
      if (outgoing && jobId !== undefined) candidate(log, jobId);
      return;
    }
    ledger.add({
      ...base,
      token,
      direction: outgoing ? "out" : "in",
      category: "transfer",
      amount: value,
      counterparty: outgoing ? to : from,
      jobId: undefined,
    });
  };

  return Object.assign(state, { onLog, finish: endTx });
}
