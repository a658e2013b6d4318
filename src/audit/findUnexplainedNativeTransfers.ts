import {
  decodeEventLog,
  getAddress,
  hexToBigInt,
  numberToHex,
  zeroAddress,
  type Address,
  type Hash,
  type Hex,
  type RpcBlock,
  type RpcTransaction,
  type RpcTransactionReceipt,
} from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import type { Flow, UnexplainedChange } from "./AuditReport.js";
import { mapLimit, type AuditRpc, type CallFrame } from "./auditRpc.js";
import { bisectChanges, type BlockChange } from "./bisectChanges.js";
import { ChainDataMissingError } from "./ChainDataMissingError.js";
import type { Ledger } from "./createLedger.js";
import { readFullBlock } from "./readFullBlock.js";
import { readReceipt } from "./readReceipt.js";
import { succeeded } from "./receiptOutcome.js";

export type FindUnexplainedNativeTransfersParameters = {
  rpc: AuditRpc;
  agent: Address;
  addresses: GuildAddresses;
  fromBlock: bigint;
  toBlock: bigint;
  /** Native balance at the end of `fromBlock - 1` and of `toBlock`. */
  opening: bigint;
  closing: bigint;
  ledger: Ledger;
  /** Hashes of the agent's own transactions, listed next to an unexplained change. */
  agentTransactions: { hash: Hash; block: bigint }[];
  /** Blocks already read in full, with their transactions that sent the agent value. */
  incomingByBlock?: Map<bigint, RpcTransaction[]>;
  concurrency?: number;
  /** Trace transactions of a block the other means do not explain (debug_traceTransaction). Default true. */
  trace?: boolean;
  onProgress?: (found: number, open: number) => void;
};

export type FindUnexplainedNativeTransfersReturnType = {
  /** Changes still unexplained after reading (and tracing) their blocks. */
  unexplained: UnexplainedChange[];
  /** Transfers to the agent found in blocks where its balance rose without an event. */
  found: number;
  /** Blocks the bisection located. */
  blocks: number;
  warnings: string[];
};

const MAX_LISTED = 20;
/** Located blocks whose transactions to the agent are known, explained at once (one HTTP batch of receipts). */
const KNOWN_BLOCK_CONCURRENCY = 50;
const MAX_TRACED = 50;

/**
 * Finds native value that reached (or left) the agent without a Guild event and outside its own
 * transactions: plain transfers to it, internal calls of other contracts, and anything else. The balance
 * the node reports is compared with the balance the flows found so far predict; bisecting over blocks
 * locates each block where they part (the difference only grows on a real chain: nothing takes ether from
 * an account without its transaction). Each such block is then read: transactions to the agent that
 * succeeded become `transfer` flows; a `StakeClaimed` paying the agent another staker's claim becomes a
 * stake flow; what still remains is looked for in call traces (internal transfers). Anything left is
 * returned as unexplained, with the block's transactions: it is never folded into a flow.
 *
 * @example
 * const { unexplained } = await findUnexplainedNativeTransfers({ rpc, agent, addresses, fromBlock, toBlock,
 *   opening, closing, ledger, agentTransactions });
 */
export async function findUnexplainedNativeTransfers({
  rpc,
  agent,
  addresses,
  fromBlock,
  toBlock,
  opening,
  closing,
  ledger,
  agentTransactions,
  incomingByBlock = new Map(),
  concurrency = 400,
  trace = true,
  onProgress,
}: FindUnexplainedNativeTransfersParameters): Promise<FindUnexplainedNativeTransfersReturnType> {
  const me = agent.toLowerCase();
  const guild = new Set([addresses.escrow, addresses.evaluator].map((address) => address.toLowerCase()));
  const warnings: string[] = [];
  const predicted = (block: bigint) => opening + ledger.netThrough(zeroAddress, block);
  const balanceAt = (block: bigint) =>
    rpc.request({ method: "eth_getBalance", params: [agent, numberToHex(block)] }).then((value) => BigInt(value));

  const changes = await bisectChanges({
    fromBlock: fromBlock - 1n,
    toBlock,
    startValue: 0n,
    endValue: closing - predicted(toBlock),
    valuesAt: async (blocks) => {
      const balances = await mapLimit(blocks, concurrency, balanceAt);
      return balances.map((balance, index) => balance - predicted(blocks[index] as bigint));
    },
    onRound: (open, leaves) => onProgress?.(leaves, open),
  });

  let found = 0;
  let traceRefused = false;
  const unexplained: UnexplainedChange[] = [];
  const explain = async ({ block, delta }: BlockChange) => {
    let full: RpcBlock<"latest", true> | undefined;
    const readBlock = async () => (full ??= await readFullBlock(rpc, block));
    let remaining = delta;
    const add = (flow: Flow) => {
      ledger.add(flow);
      remaining -= flow.direction === "in" ? flow.amount : -flow.amount;
    };

    // Plain transfers to the agent (its own transfers to itself included: their outflow is already counted).
    const toMe =
      incomingByBlock.get(block) ??
      (await readBlock()).transactions.filter((tx) => tx.to?.toLowerCase() === me && hexToBigInt(tx.value) > 0n);
    const receipts = new Map<Hash, RpcTransactionReceipt>();
    const receiptOf = async (hash: Hash) => {
      const known = receipts.get(hash);
      if (known) return known;
      const receipt = await readReceipt(rpc, hash);
      receipts.set(hash, receipt);
      return receipt;
    };
    // Asked together: one round trip for the block, not one per transaction.
    const toMeReceipts = await Promise.all(toMe.map((tx) => receiptOf(tx.hash)));
    for (const [index, tx] of toMe.entries()) {
      if (!succeeded(toMeReceipts[index] as RpcTransactionReceipt)) continue;
      found++;
      add({
        block,
        txHash: tx.hash,
        logIndex: undefined,
        token: zeroAddress,
        direction: "in",
        category: "transfer",
        amount: hexToBigInt(tx.value),
        counterparty: getAddress(tx.from),
        jobId: undefined,
        source: "block",
      });
    }

    // A stake claim someone else made to the agent: `to` is not indexed, so no filter found it.
    if (remaining !== 0n) {
      const evaluator = addresses.evaluator.toLowerCase();
      const calls = (await readBlock()).transactions
        .slice(0, MAX_TRACED)
        .filter((tx) => tx.to?.toLowerCase() === evaluator);
      const callReceipts = await Promise.all(calls.map((tx) => receiptOf(tx.hash)));
      for (const [index, tx] of calls.entries()) {
        for (const log of (callReceipts[index] as RpcTransactionReceipt).logs) {
          if (log.address.toLowerCase() !== evaluator) continue;
          try {
            const decoded = decodeEventLog({
              abi: stakedEvaluatorAbi,
              topics: log.topics as [Hex, ...Hex[]],
              data: log.data,
            });
            if (decoded.eventName !== "StakeClaimed") continue;
            const { jobId, staker, token, to, stake, amount } = decoded.args;
            if (token !== zeroAddress || to.toLowerCase() !== me || staker.toLowerCase() === me || amount === 0n)
              continue;
            const reward = amount > stake ? amount - stake : 0n;
            const base = {
              block,
              txHash: tx.hash,
              logIndex: Number(hexToBigInt(log.logIndex)),
              token: zeroAddress,
              direction: "in" as const,
              counterparty: getAddress(staker),
              jobId,
              source: "event" as const,
            };
            add({ ...base, category: "stake", amount: amount - reward });
            if (reward > 0n) add({ ...base, category: "reward", amount: reward });
          } catch {
            // another event
          }
        }
      }
    }

    // Internal calls: value moved by contracts without an event.
    if (remaining !== 0n && trace && !traceRefused) {
      for (const tx of (await readBlock()).transactions.slice(0, MAX_TRACED)) {
        if (remaining === 0n) break;
        let root: CallFrame;
        try {
          root = await rpc.request({ method: "debug_traceTransaction", params: [tx.hash, { tracer: "callTracer" }] });
        } catch (error) {
          traceRefused = true;
          warnings.push(
            `The node does not trace transactions (${(error as Error).message.split("\n")[0]}); internal transfers stay unexplained.`,
          );
          break;
        }
        for (const frame of internalTransfers(root, me, guild)) {
          const incoming = frame.to?.toLowerCase() === me;
          add({
            block,
            txHash: tx.hash,
            logIndex: undefined,
            token: zeroAddress,
            direction: incoming ? "in" : "out",
            category: "transfer",
            amount: BigInt(frame.value ?? "0x0"),
            counterparty: getAddress(incoming ? frame.from : (frame.to as Address)),
            jobId: undefined,
            source: "trace",
          });
        }
      }
    }

    if (remaining !== 0n) {
      const neighbours = agentTransactions.filter(
        (tx) => tx.block >= block - 1n && tx.block <= block + 1n && tx.block !== block,
      );
      unexplained.push({
        block,
        amount: remaining,
        transactions: [
          ...(await readBlock()).transactions.slice(0, MAX_LISTED).map((tx) => ({
            hash: tx.hash,
            from: getAddress(tx.from),
            to: tx.to ? getAddress(tx.to) : null,
            value: hexToBigInt(tx.value),
            block,
          })),
          ...(await Promise.all(
            neighbours.slice(0, MAX_LISTED).map(async (neighbour) => {
              const tx = await rpc.request({ method: "eth_getTransactionByHash", params: [neighbour.hash] });
              if (!tx) throw new ChainDataMissingError(`transaction ${neighbour.hash}`);
              return {
                hash: neighbour.hash,
                from: getAddress(tx.from),
                to: tx.to ? getAddress(tx.to) : null,
                value: hexToBigInt(tx.value),
                block: neighbour.block,
              };
            }),
          )),
        ],
      });
    }
  };
  // Blocks the transaction finder read already need no block read (unless something stays unexplained):
  // they go a batch at a time. The others are read in full, a few at a time.
  const known = changes.filter((change) => incomingByBlock.has(change.block));
  const unread = changes.filter((change) => !incomingByBlock.has(change.block));
  await Promise.all([
    mapLimit(known, Math.min(concurrency, KNOWN_BLOCK_CONCURRENCY), explain),
    mapLimit(unread, Math.max(1, Math.floor(concurrency / 50)), explain),
  ]);
  unexplained.sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
  return { unexplained, found, blocks: changes.length, warnings };
}

/**
 * Value-carrying calls to or from the agent below the top level of a trace, in frames that did not
 * revert, except those with Guild's escrow and evaluator (their events already account for them).
 */
function internalTransfers(root: CallFrame, me: string, guild: Set<string>): CallFrame[] {
  const out: CallFrame[] = [];
  const walk = (frame: CallFrame, depth: number) => {
    if (frame.error) return;
    const value = BigInt(frame.value ?? "0x0");
    const from = frame.from.toLowerCase();
    const to = frame.to?.toLowerCase();
    const type = frame.type.toUpperCase();
    const moves = value > 0n && type !== "DELEGATECALL" && type !== "STATICCALL";
    if (depth > 0 && moves && (to === me || from === me) && !(guild.has(from) || (to !== undefined && guild.has(to))))
      out.push(frame);
    for (const child of frame.calls ?? []) walk(child, depth + 1);
  };
  walk(root, 0);
  return out;
}
