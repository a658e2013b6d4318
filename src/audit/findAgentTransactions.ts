import { decodeEventLog, getAddress, hexToBigInt, numberToHex, toEventSelector, type Address, type Hash, type Hex } from "viem";
import type { GuildAddresses } from "../chain/deployContracts.js";
import { jobEscrowAbi } from "../contracts/JobEscrow.js";
import { NETWORK, type JobRow } from "./AuditReport.js";
import { mapLimit, type AuditRpc } from "./auditRpc.js";
import { bisectChanges } from "./bisectChanges.js";
import type { CandidateTx } from "./collectEventFlows.js";
import type { Ledger } from "./createLedger.js";
import { feeOf, succeeded, type RpcBlock, type RpcReceipt, type RpcTransaction } from "./rpcTypes.js";

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
  /** Transactions events name the agent as the caller of. */
  candidates: Map<Hash, CandidateTx>;
  ledger: Ledger;
  jobs: Map<bigint, JobRow>;
  /** Requests in flight at once. Default 1,000. */
  concurrency?: number;
  onProgress?: (done: number, total: number, phase: "receipts" | "nonce") => void;
};

export type FindAgentTransactionsReturnType = {
  transactions: AgentTx[];
  /** Nonce increase over the range: every transaction the agent sent. */
  sent: number;
  warnings: string[];
};

const JOB_DETAILS = toEventSelector(jobEscrowAbi.find((item) => item.type === "event" && item.name === "JobDetails")!);

/**
 * Every transaction the agent sent in the range, with its gas fee (gas used times effective gas price,
 * failed transactions included) and, for calls outside Guild's contracts, the value it carried: both
 * go to `ledger` as flows. Transactions named by events are confirmed by their receipts; the agent's nonce
 * at the range's ends counts them all, and any it does not account for (plain transfers, failed calls,
 * approvals of tokens that emit nothing) are located by bisecting the nonce over blocks, then read from
 * those blocks. Receipts also give each job the agent created its parent and token (`JobDetails`).
 *
 * Values sent to the escrow and the evaluator need no reading: their payable functions require the value
 * to equal the amount their `JobFunded` or `Staked` event states, and the rest are not payable.
 *
 * @example
 * const { transactions, sent } = await findAgentTransactions({ rpc, agent, addresses, fromBlock, toBlock,
 *   candidates: collector.candidates, ledger, jobs: collector.jobs });
 */
export async function findAgentTransactions({
  rpc,
  agent,
  addresses,
  fromBlock,
  toBlock,
  candidates,
  ledger,
  jobs,
  concurrency = 1_000,
  onProgress,
}: FindAgentTransactionsParameters): Promise<FindAgentTransactionsReturnType> {
  const me = agent.toLowerCase();
  const guild = new Set([addresses.escrow, addresses.evaluator, addresses.registry].map((address) => address.toLowerCase()));
  const escrow = addresses.escrow.toLowerCase();
  const warnings: string[] = [];
  const found = new Map<Hash, AgentTx>();
  /** Values of transactions read from blocks, so they need not be asked again. */
  const knownValues = new Map<Hash, bigint>();

  const accept = (receipt: RpcReceipt, jobId: bigint | undefined, foundBy: AgentTx["foundBy"]) => {
    if (receipt.from.toLowerCase() !== me) return;
    const block = hexToBigInt(receipt.blockNumber);
    if (block < fromBlock || block > toBlock) return;
    const tx: AgentTx = {
      hash: receipt.transactionHash,
      block,
      to: receipt.to ? getAddress(receipt.to) : receipt.contractAddress ? getAddress(receipt.contractAddress) : null,
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
    if (jobId !== undefined) {
      const row = jobs.get(jobId);
      if (row) row.gas += tx.fee;
    }
    for (const log of receipt.logs) {
      if (log.address.toLowerCase() !== escrow || log.topics[0] !== JOB_DETAILS) continue;
      try {
        const decoded = decodeEventLog({ abi: jobEscrowAbi, eventName: "JobDetails", topics: log.topics as [Hex, ...Hex[]], data: log.data });
        const row = jobs.get(decoded.args.jobId);
        if (row) {
          row.parentJobId = decoded.args.parentJobId;
          row.token ??= decoded.args.token;
          row.description = decoded.args.description;
        }
      } catch {
        // not ours to explain
      }
    }
  };

  // 1. Receipts of the transactions events name.
  const hashes = [...candidates.keys()];
  let done = 0;
  await mapLimit(hashes, concurrency, async (hash) => {
    const receipt = await rpc.request<RpcReceipt | null>("eth_getTransactionReceipt", [hash]);
    if (receipt) accept(receipt, candidates.get(hash)?.jobId, "events");
    if (++done % 2_000 === 0) onProgress?.(done, hashes.length, "receipts");
  });
  onProgress?.(hashes.length, hashes.length, "receipts");

  // 2. The nonce counts every transaction sent; bisect for those no event named.
  const nonceAt = (block: bigint) =>
    rpc.request<string>("eth_getTransactionCount", [agent, numberToHex(block)]).then((value) => BigInt(value));
  const [startNonce, endNonce] = await Promise.all([nonceAt(fromBlock - 1n), nonceAt(toBlock)]);
  const sent = Number(endNonce - startNonce);
  const knownBlocks = () => [...found.values()].map((tx) => tx.block).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (found.size > sent) {
    warnings.push(`Receipts show ${found.size} transactions from the agent but its nonce rose by only ${sent}.`);
  } else if (found.size < sent) {
    const blocks = knownBlocks();
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
    const missingAt = async (targets: bigint[]) => {
      const nonces = await mapLimit(targets, concurrency, nonceAt);
      return nonces.map((nonce, index) => nonce - startNonce - knownThrough(targets[index] as bigint));
    };
    const changes = await bisectChanges({
      fromBlock: fromBlock - 1n,
      toBlock,
      startValue: 0n,
      endValue: BigInt(sent - found.size),
      valuesAt: missingAt,
      onRound: (open, leaves) => onProgress?.(leaves, open + leaves, "nonce"),
    });
    await mapLimit(changes, concurrency, async ({ block }) => {
      const full = await rpc.request<RpcBlock<true>>("eth_getBlockByNumber", [numberToHex(block), true]);
      const mine = full.transactions.filter((tx) => tx.from.toLowerCase() === me && !found.has(tx.hash));
      for (const tx of mine) knownValues.set(tx.hash, hexToBigInt(tx.value));
      const receipts = await Promise.all(mine.map((tx) => rpc.request<RpcReceipt>("eth_getTransactionReceipt", [tx.hash])));
      for (const receipt of receipts) accept(receipt, undefined, "nonce");
    });
    if (found.size !== sent) {
      warnings.push(`The agent's nonce rose by ${sent} in the range but ${found.size} of its transactions were found.`);
    }
  }

  // 3. Value carried by successful calls outside Guild's contracts (plain payments, token calls).
  const needValue = [...found.values()].filter((tx) => tx.ok && (tx.to === null || !guild.has(tx.to.toLowerCase())));
  await mapLimit(needValue, concurrency, async (tx) => {
    let value = knownValues.get(tx.hash);
    if (value === undefined) {
      const full = await rpc.request<RpcTransaction>("eth_getTransactionByHash", [tx.hash]);
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
  return { transactions, sent, warnings };
}
