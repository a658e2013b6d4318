import {
  decodeFunctionResult,
  encodeFunctionData,
  erc20Abi,
  getAddress,
  hexToBigInt,
  numberToHex,
  zeroAddress,
  type Address,
} from "viem";
import { emptyByCategory, type Reconciliation, type TokenSummary, type UnexplainedChange } from "./AuditReport.js";
import { mapLimit, type AuditRpc } from "./auditRpc.js";
import { bisectChanges } from "./bisectChanges.js";
import type { Ledger } from "./createLedger.js";
import { readFullBlock } from "./readFullBlock.js";

export type TokenMeta = { symbol: string; decimals: number };

export type ReconcileBalancesParameters = {
  rpc: AuditRpc;
  agent: Address;
  fromBlock: bigint;
  toBlock: bigint;
  ledger: Ledger;
  /** Tokens to check besides those with flows (e.g. Guild's test token). */
  extraTokens?: Address[];
  /** Native balances already asked (at `fromBlock - 1` and `toBlock`) and native changes already located. */
  native: { opening: bigint; closing: bigint; unexplained: UnexplainedChange[] };
  tokenMeta: (token: Address) => Promise<TokenMeta>;
  concurrency?: number;
};

/**
 * Checks, for the native currency and every ERC-20 token with flows, that
 * `opening + inflows - outflows - gas = closing` to the wei, with both balances asked of the node
 * (`eth_getBalance`, `balanceOf` at the block). For a token that does not reconcile, bisecting
 * `balanceOf` over blocks locates each block where the balance moved without a `Transfer` log (rebasing
 * or non-standard tokens); the native currency's blocks were located beforehand
 * ({@link findUnexplainedNativeTransfers}). Returns one summary per token, native first.
 *
 * @example
 * const tokens = await reconcileBalances({ rpc, agent, fromBlock, toBlock, ledger, native, tokenMeta });
 * const reconciled = tokens.every((token) => token.reconciliation.status === "reconciled");
 */
export async function reconcileBalances({
  rpc,
  agent,
  fromBlock,
  toBlock,
  ledger,
  extraTokens = [],
  native,
  tokenMeta,
  concurrency = 400,
}: ReconcileBalancesParameters): Promise<TokenSummary[]> {
  const tokens = new Set<Address>([zeroAddress, ...ledger.tokens.keys()]);
  for (const token of extraTokens) tokens.add(getAddress(token));
  const summaries: TokenSummary[] = [];
  for (const token of tokens) {
    const totals = ledger.tokens.get(token) ?? { inflow: 0n, outflow: 0n, gas: 0n, byCategory: emptyByCategory() };
    const meta = await tokenMeta(token).catch(() => ({ symbol: `${token.slice(0, 8)}…`, decimals: 0 }));
    const base = {
      token,
      symbol: meta.symbol,
      decimals: meta.decimals,
      inflow: totals.inflow,
      outflow: totals.outflow,
      gas: totals.gas,
      byCategory: totals.byCategory,
    };
    if (token === zeroAddress) {
      summaries.push({
        ...base,
        opening: native.opening,
        closing: native.closing,
        reconciliation: verdict(native.opening, native.closing, ledger.netThrough(token, toBlock), native.unexplained),
      });
      continue;
    }
    const balanceAt = async (block: bigint): Promise<bigint> => {
      const data = encodeFunctionData({ abi: erc20Abi, functionName: "balanceOf", args: [agent] });
      const result = await rpc.request({ method: "eth_call", params: [{ to: token, data }, numberToHex(block)] });
      // No code yet at that block (the token was deployed later): no balance either.
      if (
        result === "0x" &&
        (await rpc.request({ method: "eth_getCode", params: [token, numberToHex(block)] })) === "0x"
      )
        return 0n;
      return decodeFunctionResult({ abi: erc20Abi, functionName: "balanceOf", data: result });
    };
    let opening: bigint;
    let closing: bigint;
    try {
      [opening, closing] = await Promise.all([balanceAt(fromBlock - 1n), balanceAt(toBlock)]);
    } catch (error) {
      const note = `balanceOf could not be read: ${(error as Error).message.split("\n")[0]}`;
      if (totals.inflow === 0n && totals.outflow === 0n) continue;
      summaries.push({
        ...base,
        opening: 0n,
        closing: 0n,
        reconciliation: { status: "unverifiable", expectedClosing: 0n, difference: 0n, unexplained: [], note },
      });
      continue;
    }
    if (opening === 0n && closing === 0n && totals.inflow === 0n && totals.outflow === 0n) continue;
    const net = ledger.netThrough(token, toBlock);
    let unexplained: UnexplainedChange[] = [];
    if (closing !== opening + net) {
      const changes = await bisectChanges({
        fromBlock: fromBlock - 1n,
        toBlock,
        startValue: 0n,
        endValue: closing - opening - net,
        valuesAt: async (blocks) => {
          const balances = await mapLimit(blocks, concurrency, balanceAt);
          return balances.map(
            (balance, index) => balance - opening - ledger.netThrough(token, blocks[index] as bigint),
          );
        },
      });
      unexplained = await Promise.all(
        changes.map(async ({ block, delta }) => {
          // The block's transactions that touched the token (its own calls), then the others, for a person to look at.
          const full = await readFullBlock(rpc, block);
          const ordered = [...full.transactions].sort(
            (a, b) =>
              Number(b.to?.toLowerCase() === token.toLowerCase()) - Number(a.to?.toLowerCase() === token.toLowerCase()),
          );
          return {
            block,
            amount: delta,
            transactions: ordered.slice(0, 20).map((tx) => ({
              hash: tx.hash,
              from: getAddress(tx.from),
              to: tx.to ? getAddress(tx.to) : null,
              value: hexToBigInt(tx.value),
              block,
            })),
          };
        }),
      );
    }
    summaries.push({ ...base, opening, closing, reconciliation: verdict(opening, closing, net, unexplained) });
  }
  return summaries;
}

function verdict(opening: bigint, closing: bigint, net: bigint, unexplained: UnexplainedChange[]): Reconciliation {
  const expectedClosing = opening + net;
  const difference = closing - expectedClosing;
  return {
    status: difference === 0n && unexplained.length === 0 ? "reconciled" : "unexplained",
    expectedClosing,
    difference,
    unexplained,
  };
}
