import { getAddress, zeroAddress, type Address } from "viem";
import {
  emptyByCategory,
  NETWORK,
  type CounterpartySummary,
  type Flow,
  type FlowCategory,
  type InOut,
  type PeriodBucket,
} from "./AuditReport.js";

/** Running sums of one token. */
export type TokenTotals = { inflow: bigint; outflow: bigint; gas: bigint; byCategory: Record<FlowCategory, InOut> };

/**
 * Aggregates flows as they are found, in any order: per token and category, per counterparty, per block
 * (for the balance the flows predict at any block, and for grouping by period once block times are
 * known). Flows themselves are kept only when asked (`keepFlows`): the aggregates are what the report needs.
 */
export type Ledger = {
  add: (flow: Flow) => void;
  tokens: Map<Address, TokenTotals>;
  counterparties: Map<string, { flows: number; byToken: Map<Address, InOut> }>;
  /** Blocks holding at least one flow. */
  blocks: () => bigint[];
  /**
   * The net change of `token` the flows explain in blocks up to and including `block` (gas counted for
   * the native currency). Built on first use after the flows are in; adding flows resets it.
   */
  netThrough: (token: Address, block: bigint) => bigint;
  /** The net change the flows explain in one block. */
  netIn: (token: Address, block: bigint) => bigint;
  /** Sums by period, given each block's timestamp. */
  periods: (timestamps: Map<bigint, number>, seconds: number) => PeriodBucket[];
  flows: Flow[] | undefined;
  count: () => number;
};

/** Key of a per-block sum: token, category and direction. */
type BlockKey = string;

export function createLedger({ keepFlows = false }: { keepFlows?: boolean } = {}): Ledger {
  const tokens = new Map<Address, TokenTotals>();
  const counterparties = new Map<string, { flows: number; byToken: Map<Address, InOut> }>();
  const byBlock = new Map<bigint, Map<BlockKey, bigint>>();
  const flows: Flow[] | undefined = keepFlows ? [] : undefined;
  let count = 0;
  let prefix: Map<Address, { blocks: bigint[]; sums: bigint[] }> | undefined;

  const totalsOf = (token: Address): TokenTotals => {
    let totals = tokens.get(token);
    if (!totals) {
      totals = { inflow: 0n, outflow: 0n, gas: 0n, byCategory: emptyByCategory() };
      tokens.set(token, totals);
    }
    return totals;
  };

  const add = (flow: Flow) => {
    if (flow.amount === 0n) return;
    if (flow.amount < 0n) throw new RangeError(`A flow cannot be negative (${flow.amount} in ${flow.txHash}).`);
    count++;
    prefix = undefined;
    const totals = totalsOf(flow.token);
    const sums = totals.byCategory[flow.category];
    if (flow.direction === "in") sums.in += flow.amount;
    else sums.out += flow.amount;
    if (flow.category === "gas") totals.gas += flow.amount;
    else if (flow.direction === "in") totals.inflow += flow.amount;
    else totals.outflow += flow.amount;

    const key = flow.counterparty === NETWORK ? NETWORK : flow.counterparty.toLowerCase();
    let party = counterparties.get(key);
    if (!party) {
      party = { flows: 0, byToken: new Map() };
      counterparties.set(key, party);
    }
    party.flows++;
    let partyToken = party.byToken.get(flow.token);
    if (!partyToken) {
      partyToken = { in: 0n, out: 0n };
      party.byToken.set(flow.token, partyToken);
    }
    if (flow.direction === "in") partyToken.in += flow.amount;
    else partyToken.out += flow.amount;

    let block = byBlock.get(flow.block);
    if (!block) {
      block = new Map();
      byBlock.set(flow.block, block);
    }
    const blockKey = `${flow.token}|${flow.category}|${flow.direction}`;
    block.set(blockKey, (block.get(blockKey) ?? 0n) + flow.amount);
    flows?.push(flow);
  };

  const netOfBlock = (entries: Map<BlockKey, bigint>, token: Address): bigint => {
    let net = 0n;
    for (const [key, amount] of entries) {
      const [keyToken, , direction] = key.split("|");
      if (keyToken !== token) continue;
      net += direction === "in" ? amount : -amount;
    }
    return net;
  };

  const buildPrefix = () => {
    const built = new Map<Address, { blocks: bigint[]; sums: bigint[] }>();
    const sorted = [...byBlock.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const token of tokens.keys()) {
      const blocks: bigint[] = [];
      const sums: bigint[] = [];
      let running = 0n;
      for (const block of sorted) {
        const net = netOfBlock(byBlock.get(block) as Map<BlockKey, bigint>, token);
        if (net === 0n) continue;
        running += net;
        blocks.push(block);
        sums.push(running);
      }
      built.set(token, { blocks, sums });
    }
    return built;
  };

  return {
    add,
    tokens,
    counterparties,
    flows,
    count: () => count,
    blocks: () => [...byBlock.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    netThrough: (token, block) => {
      prefix ??= buildPrefix();
      const series = prefix.get(token);
      if (!series || series.blocks.length === 0) return 0n;
      // Last index whose block is <= `block`.
      let low = 0;
      let high = series.blocks.length - 1;
      let found = -1;
      while (low <= high) {
        const mid = (low + high) >> 1;
        if ((series.blocks[mid] as bigint) <= block) {
          found = mid;
          low = mid + 1;
        } else high = mid - 1;
      }
      return found < 0 ? 0n : (series.sums[found] as bigint);
    },
    netIn: (token, block) => {
      const entries = byBlock.get(block);
      return entries ? netOfBlock(entries, token) : 0n;
    },
    periods: (timestamps, seconds) => {
      const buckets = new Map<number, Map<Address, PeriodBucket["byToken"][number]>>();
      for (const [block, entries] of byBlock) {
        const timestamp = timestamps.get(block);
        if (timestamp === undefined) throw new Error(`No timestamp for block ${block}.`);
        const start = Math.floor(timestamp / seconds) * seconds;
        let bucket = buckets.get(start);
        if (!bucket) {
          bucket = new Map();
          buckets.set(start, bucket);
        }
        for (const [key, amount] of entries) {
          const [token, category, direction] = key.split("|") as [Address, FlowCategory, "in" | "out"];
          let row = bucket.get(token);
          if (!row) {
            row = { token, in: 0n, out: 0n, gas: 0n, byCategory: emptyByCategory() };
            bucket.set(token, row);
          }
          row.byCategory[category][direction] += amount;
          if (category === "gas") row.gas += amount;
          else row[direction] += amount;
        }
      }
      return [...buckets.entries()]
        .sort(([a], [b]) => a - b)
        .map(([start, rows]) => ({
          start,
          byToken: [...rows.values()].sort((a, b) =>
            a.token === zeroAddress ? -1 : b.token === zeroAddress ? 1 : a.token.localeCompare(b.token),
          ),
        }));
    },
  };
}

/** Counterparty rows, biggest outflow first, with labels. */
export function counterpartyRows(
  ledger: Ledger,
  label: (counterparty: string) => string | undefined,
): CounterpartySummary[] {
  const rows: CounterpartySummary[] = [];
  for (const [key, party] of ledger.counterparties) {
    rows.push({
      counterparty: key === NETWORK ? NETWORK : getAddress(key),
      label: label(key),
      flows: party.flows,
      byToken: [...party.byToken.entries()].map(([token, sums]) => ({ token, in: sums.in, out: sums.out })),
    });
  }
  const weight = (row: CounterpartySummary) => row.byToken.reduce((sum, entry) => sum + entry.out + entry.in, 0n);
  return rows.sort((a, b) => {
    const difference = weight(b) - weight(a);
    return difference > 0n ? 1 : difference < 0n ? -1 : 0;
  });
}
