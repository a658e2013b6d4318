import type { AuditReport, FlowCategory } from "../AuditReport.js";

/** Version tag of the JSON schema below; bumped on any incompatible change. */
export const AUDIT_JSON_SCHEMA = "guild.audit/v1" as const;

/** An amount in base units of its token, as a decimal string (JSON numbers cannot hold 256-bit values). */
export type JsonAmount = string;
/** A block number, or a job id, as a decimal string. */
export type JsonUint = string;
/** A checksummed 0x address. */
export type JsonAddress = string;
export type JsonInOut = { in: JsonAmount; out: JsonAmount };

/**
 * `guild audit --json`: the schema `guild.audit/v1`. Stable: fields are only added, never renamed or
 * retyped, within a version. Every amount is a decimal string in base units of its token (divide by
 * 10^`decimals` of the token in `tokens`); `0x0000000000000000000000000000000000000000` is the native
 * currency. Absent values are `null`. See docs/audit-json-schema.md for the meaning of each field.
 */
export type AuditJson = {
  schema: typeof AUDIT_JSON_SCHEMA;
  agent: { address: JsonAddress; name: string | null; kind: "eoa" | "contract" };
  chainId: number;
  contracts: { escrow: JsonAddress; evaluator: JsonAddress; registry: JsonAddress };
  /** Inclusive; opening balances are those at the end of the block before `fromBlock`. */
  range: { fromBlock: JsonUint; toBlock: JsonUint; fromTimestamp: number; toTimestamp: number };
  generatedAt: string;
  /** True when every token reconciled to the wei. */
  reconciled: boolean;
  tokens: {
    token: JsonAddress;
    symbol: string;
    decimals: number;
    opening: JsonAmount;
    closing: JsonAmount;
    inflow: JsonAmount;
    outflow: JsonAmount;
    gas: JsonAmount;
    byCategory: Record<FlowCategory, JsonInOut>;
    reconciliation: {
      status: "reconciled" | "unexplained" | "unverifiable";
      expectedClosing: JsonAmount;
      /** closing - expectedClosing. */
      difference: JsonAmount;
      unexplained: {
        block: JsonUint;
        /** Signed: positive when more arrived than the flows explain. */
        amount: JsonAmount;
        transactions: { hash: string; from: JsonAddress; to: JsonAddress | null; value: JsonAmount; block: JsonUint }[];
      }[];
      note: string | null;
    };
  }[];
  /** Biggest first. `counterparty` is an address, or "network" for gas. */
  counterparties: {
    counterparty: JsonAddress | "network";
    label: string | null;
    flows: number;
    byToken: { token: JsonAddress; in: JsonAmount; out: JsonAmount }[];
  }[];
  /** `start` in unix seconds (UTC), buckets with flows only. */
  periods: Record<
    "hour" | "day",
    {
      start: number;
      byToken: {
        token: JsonAddress;
        in: JsonAmount;
        out: JsonAmount;
        gas: JsonAmount;
        byCategory: Record<FlowCategory, JsonInOut>;
      }[];
    }[]
  >;
  jobs: {
    jobId: JsonUint;
    /** "0" for a job with no parent. */
    parentJobId: JsonUint;
    roles: ("client" | "provider" | "staker" | "evaluator")[];
    client: JsonAddress | null;
    provider: JsonAddress | null;
    evaluator: JsonAddress | null;
    token: JsonAddress | null;
    budget: JsonAmount | null;
    outcome: "open" | "funded" | "submitted" | "paid" | "refunded" | "unknown";
    createdBlock: JsonUint | null;
    settledBlock: JsonUint | null;
    description: string | null;
    funded: JsonAmount;
    received: JsonAmount;
    refunded: JsonAmount;
    credited: JsonAmount;
    staked: JsonAmount;
    stakeReturned: JsonAmount;
    reward: JsonAmount;
    lost: JsonAmount;
    /** Native currency. */
    gas: JsonAmount;
    children: JsonUint[];
  }[];
  jobRoots: JsonUint[];
  stakes: {
    jobId: JsonUint;
    token: JsonAddress;
    pass: boolean;
    bond: boolean;
    amount: JsonAmount;
    claimed: JsonAmount;
    reward: JsonAmount;
    lost: JsonAmount;
    outcome: "won" | "lost" | "returned" | "unclaimed-won" | "unclaimed-void" | "open";
  }[];
  credits: {
    token: JsonAddress;
    credited: JsonAmount;
    withdrawn: JsonAmount;
    withdrawnToSelf: JsonAmount;
    outstanding: JsonAmount;
  }[];
  transactions: {
    sent: number;
    failed: number;
    gas: JsonAmount;
    foundByEvents: number;
    foundByNonce: number;
    incomingFound: number;
  };
  transcripts: {
    files: number;
    attributed: {
      txHash: string;
      file: string;
      runId: string;
      task: string | null;
      step: number;
      tool: string;
      callId: string;
      modelTurn: string | null;
      claimedBy: number;
    }[];
    unattributed: string[];
    notFound: string[];
  } | null;
  /** Every flow in chain order, with `--csv` or when asked; else null. */
  flows:
    | {
        block: JsonUint;
        txHash: string;
        logIndex: number | null;
        token: JsonAddress;
        direction: "in" | "out";
        category: FlowCategory;
        amount: JsonAmount;
        counterparty: JsonAddress | "network";
        jobId: JsonUint | null;
        source: "event" | "transaction" | "block" | "trace";
        /** Unix seconds of the block. */
        timestamp: number | null;
      }[]
    | null;
  warnings: string[];
  /** Time per phase in ms (events, transactions, balances, reconcile, jobs, timestamps, transcripts). */
  stats: { durationMs: number; phasesMs: Record<string, number>; logs: number; requests: Record<string, number> };
};

/** bigint to decimal string and undefined to null, recursively: the report's JSON form. */
type JsonOf<T> = T extends bigint
  ? string
  : T extends undefined
    ? null
    : T extends readonly (infer item)[]
      ? JsonOf<item>[]
      : T extends object
        ? { [key in keyof T]-?: JsonOf<T[key]> }
        : T;

// The schema type above is the contract; this line fails to compile if the report drifts from it.
const _schemaMatches: (report: JsonOf<AuditReport> & { schema: typeof AUDIT_JSON_SCHEMA }) => AuditJson = (report) =>
  report;
void _schemaMatches;

/**
 * The report as `guild.audit/v1` JSON data.
 *
 * @example
 * const data = toAuditJson(report);
 * console.log(data.tokens[0]?.reconciliation.status);
 */
export function toAuditJson(report: AuditReport): AuditJson {
  return { schema: AUDIT_JSON_SCHEMA, ...(convert(report) as JsonOf<AuditReport>) };
}

/**
 * The report as JSON text (`guild audit --json`), indented when `pretty`.
 *
 * @example
 * process.stdout.write(renderJson(report, { pretty: true }));
 */
export function renderJson(report: AuditReport, { pretty = false }: { pretty?: boolean } = {}): string {
  return `${JSON.stringify(toAuditJson(report), null, pretty ? 2 : undefined)}\n`;
}

function convert(value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value === undefined) return null;
  if (Array.isArray(value)) return value.map(convert);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) out[key] = convert(entry);
    return out;
  }
  return value;
}
