import {
  decodeEventLog,
  hexToBigInt,
  numberToHex,
  toEventSelector,
  type AbiEvent,
  type Address,
  type Hash,
  type Hex,
  type RpcTransaction,
  type RpcTransactionReceipt,
} from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import type { Logger } from "../log/createLogger.js";
import { NETWORK, type JobRow, type StakeRow } from "./AuditReport.js";
import { checksum, pickEvents, type AuditLog } from "./auditEvents.js";
import { mapLimit, type AuditRpc } from "./auditRpc.js";
import { bisectChanges } from "./bisectChanges.js";
import { ChainDataMissingError } from "./ChainDataMissingError.js";
import type { CandidateTx } from "./collectEventFlows.js";
import type { Ledger } from "./createLedger.js";
import { applyJobFact } from "./readJobFacts.js";
import { feeOf, succeeded } from "./receiptOutcome.js";
import { readFullBlock } from "./readFullBlock.js";
import { readReceipt } from "./readReceipt.js";

/** A transaction the agent sent. */
export type AgentTx = {
  hash: Hash;
  block: bigint;
  to: Address | null;
  ok: boolean;
  fee: bigint;
  jobId: bigint | undefined;
  foundBy: "events" | "nonce";
};

export type FindAgentTransactionsParameters = {
  rpc: AuditRpc;
  agent: Address;
  addresses: GuildAddresses;
  /** Opening state is at the end of `fromBlock - 1`. */
  fromBlock: bigint;
  toBlock: bigint;
  ledger: Ledger;
  jobs: Map<bigint, JobRow>;
  stakes: Map<bigint, StakeRow>;
  /** Requests in flight at once (receipts of event-named transactions: at most {@link RECEIPTS_IN_FLIGHT}). Default 400. */
  concurrency?: number;
  onProgress?: (done: number, total: number, phase: "receipts" | "nonce") => void;
  logger?: Logger;
};

export type FindAgentTransactionsReturnType = {
  transactions: AgentTx[];
  /**
   * Blocks read in full while looking for the agent's transactions, with the transactions in them that
   * sent the agent value: where its balance rose in such a block, they need not be read again.
   */
  incomingByBlock: Map<bigint, RpcTransaction[]>;
  /** Nonce increase over the range: every transaction the agent sent. */
  sent: number;
  warnings: string[];
};

/** Fed transactions as events name them (receipts are fetched at once), then finished. */
export type TransactionFinder = {
  add: (hash: Hash, candidate: CandidateTx) => void;
  finish: () => Promise<FindAgentTransactionsReturnType>;
};

/** Guild events in the agent's own receipts that tell about its jobs (the outcome of a job it accepted, its terms). */
const FACT_EVENTS = pickEvents([
  "JobDetails",
  "JobFunded",
  "PaymentReleased",
  "Refunded",
  "CheckSettled",
  "CheckVoided",
]);
/**
 * Each fact event by selector: a log is decoded with its own event only (viem's `decodeEventLog` over a whole
 * ABI hashes every event's signature to find it, which cost a second per 30,000 receipts).
 */
const FACT_BY_SELECTOR = new Map<Hex, AbiEvent>(FACT_EVENTS.map((event) => [toEventSelector(event), event]));
/**
 * Receipts of event-named transactions in flight at once: two HTTP batches of 50. The node answers one
 * request at a time, so more only wait in its queue, ahead of the log pages that name the next
 * transactions (measured on the benchmark's history: 32,827 receipts took as long with 100 in flight as with
 * 400, and the audit's event reads finished sooner).
 */
export const RECEIPTS_IN_FLIGHT = 100;

/**
 * Full blocks asked at once while looking for transactions the nonce says exist (one HTTP batch; a block
 * of a busy chain is a few hundred kilobytes). Their receipts are asked without waiting for the next blocks.
 */
export const BLOCK_CONCURRENCY = 32;

/**
 * Every transaction the agent sent in the range, with its gas fee (gas used times effective gas price,
 * failed transactions included) and, for calls outside Guild's contracts, the value it carried: both
 * go to `ledger` as flows. Transactions named by events are confirmed by their receipts, fetched as soon
 * as they are named; the agent's nonce at the range's ends counts them all, and any it does not account for
 * (plain transfers, failed calls, approvals of tokens, accepting a delivery) are located by bisecting the
 * nonce over blocks, then read from those blocks. Receipts also tell about the agent's jobs: the terms of
 * those it created (`JobDetails`) and the outcome of those it settled.
 *
 * Values sent to the escrow and the evaluator need no reading: their payable functions require the value
 * to equal the amount their `JobFunded` or `Staked` event states, and the rest are not payable.
 *
 * @example
 * const finder = createTransactionFinder({ rpc, agent, addresses, fromBlock, toBlock, ledger, jobs, stakes });
 * for (const [hash, candidate] of collector.candidates) finder.add(hash, candidate);
 * const { transactions, sent } = await finder.finish();
 */
export function createTransactionFinder({
  rpc,
  agent,
  addresses,
  fromBlock,
  toBlock,
  ledger,
  jobs,
  stakes,
  concurrency = 400,
  onProgress,
  logger,
}: FindAgentTransactionsParameters): TransactionFinder {
  const log = logger?.child({ module: "audit/findAgentTransactions" });
  const me = agent.toLowerCase();
  const guild = new Set(
    [addresses.escrow, addresses.evaluator, addresses.registry].map((address) => address.toLowerCase()),
  );
  const factSources = new Set([addresses.escrow, addresses.evaluator].map((address) => address.toLowerCase()));
  const warnings: string[] = [];
  const found = new Map<Hash, AgentTx>();
  /** Values of transactions read from blocks, so they need not be asked again. */
  const knownValues = new Map<Hash, bigint>();
  const incomingByBlock = new Map<bigint, RpcTransaction[]>();

  const accept = (receipt: RpcTransactionReceipt, jobId: bigint | undefined, foundBy: AgentTx["foundBy"]) => {
    if (receipt.from.toLowerCase() !== me) return;
    const block = hexToBigInt(receipt.blockNumber);
    if (block < fromBlock || block > toBlock || found.has(receipt.transactionHash)) return;
    const tx: AgentTx = {
      hash: receipt.transactionHash,
      block,
      to: receipt.to ? checksum(receipt.to) : receipt.contractAddress ? checksum(receipt.contractAddress) : null,
      ok: succeeded(receipt),
      fee: feeOf(receipt),
      jobId,
      foundBy,
    };
    found.set(tx.hash, tx);
    ledger.add({
      block,
      txHash: tx.hash,
      logIndex: undefined,
      token: "0x0000000000000000000000000000000000000000",
      direction: "out",
      category: "gas",
      amount: tx.fee,
      counterparty: NETWORK,
      jobId,
      source: "transaction",
    });
    for (const log of receipt.logs) {
      const selector = log.topics[0];
      const event = selector === undefined ? undefined : FACT_BY_SELECTOR.get(selector);
      if (!event || !factSources.has(log.address.toLowerCase())) continue;
      try {
        const decoded = decodeEventLog({ abi: [event], topics: log.topics as [Hex, ...Hex[]], data: log.data });
        applyJobFact({ ...decoded, blockNumber: block } as unknown as AuditLog, jobs, stakes, me);
        if (tx.jobId === undefined && "jobId" in decoded.args) tx.jobId = decoded.args.jobId as bigint;
      } catch {
        // not an event of ours
      }
    }
    if (tx.jobId !== undefined) {
      const row = jobs.get(tx.jobId);
      if (row) row.gas += tx.fee;
    }
  };

  // Receipts of the transactions events name, fetched while the events are still being read.
  const queue: { hash: Hash; candidate: CandidateTx }[] = [];
  let head = 0;
  let fetched = 0;
  let closed = false;
  const waiting: (() => void)[] = [];
  const workers = Array.from({ length: Math.min(concurrency, RECEIPTS_IN_FLIGHT) }, async () => {
    for (;;) {
      const next = queue[head];
      if (next) {
        queue[head++] = undefined as never;
        const receipt = await rpc.request({ method: "eth_getTransactionReceipt", params: [next.hash] });
        if (receipt) accept(receipt, next.candidate.jobId, "events");
        if (++fetched % 2_000 === 0) onProgress?.(fetched, queue.length, "receipts");
        continue;
      }
      if (closed) return;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  });

  return {
    add: (hash, candidate) => {
      queue.push({ hash, candidate });
      waiting.pop()?.();
    },
    finish: async () => {
      closed = true;
      for (const wake of waiting.splice(0)) wake();
      const waited = performance.now();
      await Promise.all(workers);
      onProgress?.(fetched, fetched, "receipts");
      log?.debug(
        { receipts: fetched, waitedMs: Math.round(performance.now() - waited) },
        "receipts of the transactions events named",
      );
      const nonceStarted = performance.now();

      // The nonce counts every transaction sent; bisect for those no event named.
      const nonceAt = (block: bigint) =>
        rpc
          .request({ method: "eth_getTransactionCount", params: [agent, numberToHex(block)] })
          .then((value) => BigInt(value));
      const [startNonce, endNonce] = await Promise.all([nonceAt(fromBlock - 1n), nonceAt(toBlock)]);
      const sent = Number(endNonce - startNonce);
      if (found.size > sent) {
        warnings.push(`Receipts show ${found.size} transactions from the agent but its nonce rose by only ${sent}.`);
      } else if (found.size < sent) {
        const blocks = [...found.values()].map((tx) => tx.block).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const knownThrough = (block: bigint) => {
          let low = 0;
          let high = blocks.length;
          while (low < high) {
            const mid = (low + high) >> 1;
            if ((blocks[mid] as bigint) <= block) low = mid + 1;
            else high = mid;
          }
          return BigInt(low);
        };
        const changes = await bisectChanges({
          fromBlock: fromBlock - 1n,
          toBlock,
          startValue: 0n,
          endValue: BigInt(sent - found.size),
          valuesAt: async (targets) => {
            const nonces = await mapLimit(targets, concurrency, nonceAt);
            return nonces.map((nonce, index) => nonce - startNonce - knownThrough(targets[index] as bigint));
          },
          onRound: (open, leaves) => onProgress?.(leaves, open + leaves, "nonce"),
        });
        log?.debug(
          { blocks: changes.length, ms: Math.round(performance.now() - nonceStarted) },
          "blocks located through the nonce",
        );
        // Blocks are read a batch at a time; the receipts of the agent's transactions in them travel with the
        // next blocks' requests instead of holding the block reader up for a round trip each.
        const accepted: Promise<void>[] = [];
        await mapLimit(changes, BLOCK_CONCURRENCY, async ({ block }) => {
          const full = await readFullBlock(rpc, block);
          incomingByBlock.set(
            block,
            full.transactions.filter((tx) => tx.to?.toLowerCase() === me && hexToBigInt(tx.value) > 0n),
          );
          const mine = full.transactions.filter((tx) => tx.from.toLowerCase() === me && !found.has(tx.hash));
          for (const tx of mine) {
            knownValues.set(tx.hash, hexToBigInt(tx.value));
            accepted.push(readReceipt(rpc, tx.hash).then((receipt) => accept(receipt, undefined, "nonce")));
          }
        });
        await Promise.all(accepted);
        if (found.size !== sent) {
          warnings.push(
            `The agent's nonce rose by ${sent} in the range but ${found.size} of its transactions were found.`,
          );
        }
      }

      log?.debug(
        { found: found.size, sent, ms: Math.round(performance.now() - nonceStarted) },
        "transactions found through the nonce",
      );

      // Value carried by successful calls outside Guild's contracts (plain payments, token calls).
      const needValue = [...found.values()].filter(
        (tx) => tx.ok && (tx.to === null || !guild.has(tx.to.toLowerCase())),
      );
      await mapLimit(needValue, concurrency, async (tx) => {
        let value = knownValues.get(tx.hash);
        if (value === undefined) {
          const full = await rpc.request({ method: "eth_getTransactionByHash", params: [tx.hash] });
          if (!full) throw new ChainDataMissingError(`transaction ${tx.hash}`);
          value = hexToBigInt(full.value);
        }
        if (value === 0n) return;
        ledger.add({
          block: tx.block,
          txHash: tx.hash,
          logIndex: undefined,
          token: "0x0000000000000000000000000000000000000000",
          direction: "out",
          category: "transfer",
          amount: value,
          counterparty: tx.to ?? NETWORK,
          jobId: undefined,
          source: "transaction",
        });
      });

      const transactions = [...found.values()].sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
      return { transactions, incomingByBlock, sent, warnings };
    },
  };
}

/**
 * {@link createTransactionFinder} for a known set of candidates: fetches their receipts, then the rest.
 *
 * @example
 * const { transactions } = await findAgentTransactions({ ...params, candidates: collector.candidates });
 */
export async function findAgentTransactions(
  params: FindAgentTransactionsParameters & { candidates: Map<Hash, CandidateTx> },
): Promise<FindAgentTransactionsReturnType> {
  const finder = createTransactionFinder(params);
  for (const [hash, candidate] of params.candidates) finder.add(hash, candidate);
  return finder.finish();
}
