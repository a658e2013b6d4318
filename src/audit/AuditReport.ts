import type { Address, Hash } from "viem";

/**
 * Why money moved, from the agent's point of view.
 * - `hire`: a job's budget escrowed by the agent as client (out), or paid to it as provider (in);
 * - `refund`: a job's budget returned to the agent as client;
 * - `stake`: a stake or provider bond put on a check (out), and its principal returned by a claim (in);
 * - `reward`: what a winning claim paid above the stake;
 * - `withdrawal`: payouts the escrow had credited (the receiver refused them) withdrawn to the agent;
 * - `transfer`: direct payments, native or ERC-20, that are not one of the above;
 * - `gas`: fees of the transactions the agent sent (gas used times effective gas price), failed ones included.
 */
export type FlowCategory = "hire" | "refund" | "stake" | "reward" | "withdrawal" | "transfer" | "gas";

export const FLOW_CATEGORIES: readonly FlowCategory[] = [
  "hire",
  "refund",
  "stake",
  "reward",
  "withdrawal",
  "transfer",
  "gas",
];

/** How a flow was found. */
export type FlowSource =
  /** A Guild event or an ERC-20 `Transfer` log. */
  | "event"
  /** A transaction the agent sent (its value or its gas). */
  | "transaction"
  /** A transaction to the agent, found where its balance changed without an event. */
  | "block"
  /** An internal call that moved value to the agent, found by tracing a transaction of such a block. */
  | "trace";

/** The counterparty of gas fees: the network, not an address. */
export const NETWORK = "network" as const;

/** One movement of value into or out of the agent's wallet. Amounts in base units of `token`. */
export type Flow = {
  block: bigint;
  txHash: Hash;
  /** The log it comes from; undefined for a transaction's value or gas. */
  logIndex: number | undefined;
  /** `address(0)` for the native currency. */
  token: Address;
  direction: "in" | "out";
  category: FlowCategory;
  amount: bigint;
  /** Who is on the other side: the hired or hiring agent, the contract, the payer or payee; "network" for gas. */
  counterparty: Address | typeof NETWORK;
  jobId: bigint | undefined;
  source: FlowSource;
  /** Unix seconds of the block, filled in once block times are read. */
  timestamp?: number;
};

/** Sums in and out, base units. */
export type InOut = { in: bigint; out: bigint };

/** A change of balance that no flow explains, located to its block. */
export type UnexplainedChange = {
  block: bigint;
  /** Actual minus explained change in that block (positive: more arrived than explained). */
  amount: bigint;
  /** Transactions of that block (at most 20), with the agent's own transactions of neighbouring blocks. */
  transactions: { hash: Hash; from: Address; to: Address | null; value: bigint; block: bigint }[];
};

export type Reconciliation = {
  status: "reconciled" | "unexplained" | "unverifiable";
  /** opening + in - out - gas. */
  expectedClosing: bigint;
  /** The node's balance at the end of the range minus `expectedClosing`. */
  difference: bigint;
  unexplained: UnexplainedChange[];
  /** Why the token could not be checked (e.g. `balanceOf` reverts). */
  note?: string;
};

export type TokenSummary = {
  token: Address;
  symbol: string;
  decimals: number;
  /** Balance at the end of the block before the range. */
  opening: bigint;
  /** The node's balance at the end of the range. */
  closing: bigint;
  /** Sums over every flow of this token, gas excluded. */
  inflow: bigint;
  outflow: bigint;
  /** Native currency only. */
  gas: bigint;
  byCategory: Record<FlowCategory, InOut>;
  reconciliation: Reconciliation;
};

export type CounterpartySummary = {
  counterparty: Address | typeof NETWORK;
  /** Wallet or registry name, or the contract's role ("JobEscrow", a token symbol). */
  label: string | undefined;
  flows: number;
  byToken: { token: Address; in: bigint; out: bigint }[];
};

export type PeriodBucket = {
  /** Unix seconds (UTC) of the bucket's start. */
  start: number;
  byToken: { token: Address; in: bigint; out: bigint; gas: bigint; byCategory: Record<FlowCategory, InOut> }[];
};

export type JobRole = "client" | "provider" | "staker" | "evaluator";

/** Final or current state of a job as far as the audited events tell. */
export type JobOutcome = "open" | "funded" | "submitted" | "paid" | "refunded" | "unknown";

export type JobRow = {
  jobId: bigint;
  parentJobId: bigint;
  /** The agent's roles in the job; empty for sub-jobs it did not take part in (found through the tree). */
  roles: JobRole[];
  client: Address | undefined;
  provider: Address | undefined;
  evaluator: Address | undefined;
  token: Address | undefined;
  /** Amount escrowed, when seen. */
  budget: bigint | undefined;
  outcome: JobOutcome;
  /** Block of creation, when seen. */
  createdBlock: bigint | undefined;
  /** Block of the payout or refund that closed the job, when seen. */
  settledBlock: bigint | undefined;
  /** The job's description, when its creation was read. */
  description: string | undefined;
  /** The agent's flows in this job, in the job's token (gas in native). */
  funded: bigint;
  received: bigint;
  refunded: bigint;
  /** Payouts to the agent the escrow credited instead of paying (withdrawn separately). */
  credited: bigint;
  staked: bigint;
  stakeReturned: bigint;
  reward: bigint;
  /** Stake lost: a losing stake, or a provider's bond on work that failed its check. */
  lost: bigint;
  gas: bigint;
  /** Sub-jobs whose parent is this job. */
  children: bigint[];
};

/** A job row with nothing seen yet: no parties, no amounts; `fields` fills in what is known. */
export function newJobRow(jobId: bigint, fields: Partial<JobRow> = {}): JobRow {
  return {
    jobId,
    parentJobId: 0n,
    roles: [],
    client: undefined,
    provider: undefined,
    evaluator: undefined,
    token: undefined,
    budget: undefined,
    outcome: "unknown",
    createdBlock: undefined,
    settledBlock: undefined,
    description: undefined,
    funded: 0n,
    received: 0n,
    refunded: 0n,
    credited: 0n,
    staked: 0n,
    stakeReturned: 0n,
    reward: 0n,
    lost: 0n,
    gas: 0n,
    children: [],
    ...fields,
  };
}

export type StakeOutcome = "won" | "lost" | "returned" | "unclaimed-won" | "unclaimed-void" | "open";

export type StakeRow = {
  jobId: bigint;
  token: Address;
  pass: boolean;
  /** The provider's own pass stake. */
  bond: boolean;
  amount: bigint;
  /** What claims paid (to the agent or elsewhere). */
  claimed: bigint;
  reward: bigint;
  lost: bigint;
  outcome: StakeOutcome;
};

export type CreditSummary = {
  token: Address;
  /** Payouts the escrow credited to the agent (the transfer to it failed). */
  credited: bigint;
  /** Credits the agent withdrew, to itself or elsewhere. */
  withdrawn: bigint;
  /** Withdrawn to the agent's own wallet (a `withdrawal` inflow). */
  withdrawnToSelf: bigint;
  /** Credited and not withdrawn within the range (still in the escrow). */
  outstanding: bigint;
};

/** A tool call in an agent's transcripts: the file, the run and its task, the model turn's step, the call. */
export type ToolCallRef = {
  file: string;
  runId: string;
  task: string | undefined;
  step: number;
  tool: string;
  callId: string;
};

/** Which run, model turn and tool call of an agent's transcripts sent a transaction. */
export type TransactionCause = ToolCallRef & {
  txHash: Hash;
  /** The model turn that asked for the tool call (its text, shortened). */
  modelTurn: string | undefined;
  /**
   * Tool calls whose transcript entry names this transaction. Above 1 the transcripts do not tell which
   * one sent it (runs sharing a wallet at the same time); the first in file order is shown.
   */
  claimedBy: number;
};

/** A tool call the spending guard refused, from a transcript: nothing was sent for it. */
export type GuardRefusalEntry = ToolCallRef & {
  /** The guard's rule (`untrusted-payee`, `task-budget`, ...) and its one-line answer to the model. */
  rule: string;
  message: string;
};

export type TranscriptJoin = {
  files: number;
  /** Tool calls the spending guard refused, in file order. */
  refusals: GuardRefusalEntry[];
  /** Transactions the transcripts name that were sent by the agent within the range. */
  attributed: TransactionCause[];
  /** Agent transactions in the range that no transcript names (sent outside the agent loop). */
  unattributed: Hash[];
  /** Hashes in transcripts that are not the agent's transactions in this range. */
  notFound: Hash[];
};

export type AuditTransactions = {
  /** Transactions the agent sent in the range (its nonce increase). */
  sent: number;
  failed: number;
  gas: bigint;
  /** Found through events, and through the nonce for the rest (plain transfers, failed calls, approvals). */
  foundByEvents: number;
  foundByNonce: number;
  /** Transfers to the agent found where its balance changed without an event. */
  incomingFound: number;
};

export type AuditReport = {
  agent: { address: Address; name: string | undefined; kind: "eoa" | "contract" };
  chainId: number;
  contracts: { escrow: Address; evaluator: Address; registry: Address };
  range: { fromBlock: bigint; toBlock: bigint; fromTimestamp: number; toTimestamp: number };
  generatedAt: string;
  /** True when every token reconciled to the wei. */
  reconciled: boolean;
  tokens: TokenSummary[];
  counterparties: CounterpartySummary[];
  periods: { hour: PeriodBucket[]; day: PeriodBucket[] };
  jobs: JobRow[];
  /** Jobs of the tree with no parent among `jobs`, in order. */
  jobRoots: bigint[];
  stakes: StakeRow[];
  credits: CreditSummary[];
  transactions: AuditTransactions;
  transcripts: TranscriptJoin | undefined;
  /** Every flow, in chain order, when asked for (`includeFlows`). */
  flows: Flow[] | undefined;
  warnings: string[];
  /** How the audit went: time per phase (ms), logs read, requests sent by method. */
  stats: { durationMs: number; phasesMs: Record<string, number>; logs: number; requests: Record<string, number> };
};

/** Zeroed sums for every category. */
export function emptyByCategory(): Record<FlowCategory, InOut> {
  return {
    hire: { in: 0n, out: 0n },
    refund: { in: 0n, out: 0n },
    stake: { in: 0n, out: 0n },
    reward: { in: 0n, out: 0n },
    withdrawal: { in: 0n, out: 0n },
    transfer: { in: 0n, out: 0n },
    gas: { in: 0n, out: 0n },
  };
}
