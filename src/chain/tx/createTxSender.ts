import pRetry from "p-retry";
import {
  keccak256,
  TransactionNotFoundError,
  type Address,
  type Hash,
  type Hex,
  type LocalAccount,
  type TransactionReceipt,
} from "viem";
import { GuildError } from "../../errors/GuildError.js";
import {
  InsufficientFundsError,
  RpcUnavailableError,
  TransactionRevertedError,
  TransactionTimeoutError,
} from "../../errors/transaction.js";
import { silentLogger, type Logger } from "../../log/createLogger.js";
import type { ChainConnection } from "../createConnection.js";
import { classifyRpcError } from "./classifyRpcError.js";
import { receiptWatcher } from "./watchReceipts.js";

/** One transaction to send. `label` names it in logs and errors ("fund job", "stake on job 7"). */
export type TxRequest = {
  to: Address;
  data?: Hex;
  value?: bigint;
  /** Gas limit; estimated by the node when omitted. Actions pass the limit their simulation found. */
  gas?: bigint;
  label: string;
};

/**
 * A signed transaction the node accepted, or (`uncertain`) one that may have reached it: the send failed in a way
 * that leaves it unknown whether the node received it (an answer lost on the way back, then no clear answer).
 */
export type SubmittedTx = { hash: Hash; nonce: number; label: string; raw: Hex; uncertain?: true };

/**
 * Sends an account's transactions: one nonce sequence per account however many callers send at once,
 * signed locally, with recovery from the failures nodes and networks produce:
 * - "nonce too low" (another process used the account): resynchronise from the node and re-sign;
 * - a dropped request: resend the same signed bytes (same hash), so a transaction is never sent twice;
 * - a transaction the node forgot (restart, mempool eviction): rebroadcast it while waiting;
 * - a send whose fate is unknown (the node took it or not, and cannot be asked): nothing new is signed until the
 *   node says whether it has it; only the node's own "not found" counts as never received;
 * - receipts are awaited with a timeout.
 */
export type TxSender = {
  readonly address: Address;
  /** Signs and broadcasts; resolves once the node accepted the transaction. */
  submit: (request: TxRequest) => Promise<SubmittedTx>;
  /** Waits for the receipt of a submitted transaction; throws on timeout, returns reverted receipts. */
  waitForReceipt: (submitted: SubmittedTx) => Promise<TransactionReceipt>;
  /** {@link TxSender.submit} then {@link TxSender.waitForReceipt}; throws {@link TransactionRevertedError} on revert. */
  send: (request: TxRequest) => Promise<TransactionReceipt>;
};

export type CreateTxSenderParameters = {
  connection: ChainConnection;
  account: LocalAccount;
  logger?: Logger;
  /** Receipt timeout in milliseconds. Default 120 s. */
  timeoutMs?: number;
  /**
   * Called with every transaction the node accepted (for transcripts and metrics), and with every one that may have
   * reached it (`uncertain`), so a caller that keys transactions by action can ask the node about it before acting
   * again.
   */
  onSubmitted?: (submitted: SubmittedTx) => void;
};

const MAX_RESIGN_ATTEMPTS = 5;
const MAX_TRANSIENT_RETRIES = 6;

/**
 * Creates the transaction sender of one account.
 *
 * @example
 * const sender = createTxSender({ connection, account: privateKeyToAccount(key) });
 * const receipt = await sender.send({ to, value: parseEther("0.01"), label: "pay bob" });
 */
export function createTxSender({
  connection,
  account,
  logger = silentLogger(),
  timeoutMs = 120_000,
  onSubmitted,
}: CreateTxSenderParameters): TxSender {
  const { publicClient, chainId, isDevChain } = connection;
  const log = logger.child({ module: "chain/tx", account: account.address });
  const watcher = receiptWatcher(connection, log);

  let nextNonce: number | undefined;
  /**
   * Transactions that may or may not have reached the node. Until the node says, for each, whether it has it, no
   * new transaction is signed: a new one could do the same thing twice (a payment resent under a fresh nonce).
   */
  const unresolved = new Map<Hash, SubmittedTx>();
  let queue: Promise<unknown> = Promise.resolve();
  let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint; at: number } | undefined;
  const feeTtlMs = isDevChain ? 1_000 : 4_000;

  /** Runs `task` after every earlier one: nonces are assigned and sent strictly in order. */
  function serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function currentFees() {
    if (fees && Date.now() - fees.at < feeTtlMs) return fees;
    const block = await publicClient.getBlock({ blockTag: "latest" });
    const baseFee = block.baseFeePerGas ?? 0n;
    let priority: bigint;
    try {
      priority = await publicClient.estimateMaxPriorityFeePerGas();
    } catch {
      priority = 1_000_000_000n;
    }
    // Twice the base fee survives six full blocks of base-fee increases.
    fees = { maxFeePerGas: baseFee * 2n + priority, maxPriorityFeePerGas: priority, at: Date.now() };
    return fees;
  }

  async function pendingNonce(): Promise<number> {
    return publicClient.getTransactionCount({ address: account.address, blockTag: "pending" });
  }

  async function sendRaw(raw: Hex, label: string): Promise<void> {
    // Resending the same signed bytes is safe: the node takes them once. Waits of 100 ms doubling up to 3 s.
    await pRetry(() => publicClient.sendRawTransaction({ serializedTransaction: raw }), {
      retries: MAX_TRANSIENT_RETRIES,
      minTimeout: 100,
      factor: 2,
      maxTimeout: 3_000,
      shouldRetry: ({ error, attemptNumber }) => {
        if (classifyRpcError(error) !== "transient") return false;
        log.warn(
          { label, attempt: attemptNumber, err: error },
          "node did not answer; resending the same signed transaction",
        );
        return true;
      },
    });
  }

  /** Marks `submitted` as possibly received, and fails the send: the caller retries once the node answers. */
  function uncertain(submitted: SubmittedTx, what: string, cause: unknown): never {
    nextNonce = undefined;
    const tx: SubmittedTx = { ...submitted, uncertain: true };
    unresolved.set(tx.hash, tx);
    log.warn(
      { label: tx.label, txHash: tx.hash, nonce: tx.nonce },
      "cannot tell whether the node received the transaction",
    );
    onSubmitted?.(tx);
    throw new RpcUnavailableError(what, {
      cause,
      metaMessages: [
        `Transaction ${tx.hash} ("${tx.label}") may have reached the node; nothing new is signed until the node says.`,
      ],
    });
  }

  /** Settles every transaction whose fate was unknown; throws while the node still cannot say. */
  async function resolveUnresolved(): Promise<void> {
    for (const [hash, tx] of unresolved) {
      let seen: "known" | "not-found";
      try {
        seen = await lookup(hash);
      } catch (error) {
        throw new RpcUnavailableError(`asking whether transaction ${hash} ("${tx.label}") arrived`, { cause: error });
      }
      unresolved.delete(hash);
      nextNonce = undefined;
      log.info({ txHash: hash, label: tx.label, seen }, "the node answered about an earlier transaction");
    }
  }

  async function submitNow(request: TxRequest): Promise<SubmittedTx> {
    await resolveUnresolved();
    let gas = request.gas;
    if (gas === undefined) {
      gas = await publicClient.estimateGas({
        account: account.address,
        to: request.to,
        ...(request.data ? { data: request.data } : {}),
        ...(request.value ? { value: request.value } : {}),
      });
    }
    for (let attempt = 0; attempt < MAX_RESIGN_ATTEMPTS; attempt++) {
      nextNonce ??= await pendingNonce();
      const nonce = nextNonce;
      const { maxFeePerGas, maxPriorityFeePerGas } = await currentFees();
      const raw = await account.signTransaction({
        type: "eip1559",
        chainId,
        nonce,
        to: request.to,
        gas,
        maxFeePerGas,
        maxPriorityFeePerGas,
        ...(request.data ? { data: request.data } : {}),
        ...(request.value ? { value: request.value } : {}),
      });
      const hash = keccak256(raw);
      try {
        await sendRaw(raw, request.label);
      } catch (error) {
        const kind = classifyRpcError(error);
        if (kind === "already-known") {
          // An earlier resend of these exact bytes got through.
        } else if (kind === "nonce-too-low") {
          // Ours (mined or pending after a resend the node acknowledged late), or another transaction took the
          // nonce. Only the node's own "not found" says it is not ours: any other answer leaves it open, and then
          // signing again could send the same thing twice.
          const seen = await lookup(hash).catch((lookupError: unknown) =>
            uncertain(
              { hash, nonce, label: request.label, raw },
              `asking whether "${request.label}" arrived`,
              lookupError,
            ),
          );
          if (seen === "known") {
            // Ours.
          } else {
            log.info({ label: request.label, nonce }, "nonce already used elsewhere; resynchronising");
            nextNonce = undefined;
            continue;
          }
        } else if (kind === "underpriced") {
          log.info({ label: request.label, nonce }, "fee too low for the node; refreshing fees");
          fees = undefined;
          nextNonce = undefined;
          continue;
        } else if (kind === "insufficient-funds") {
          throw new InsufficientFundsError(account.address, request.label, { cause: error });
        } else if (kind === "transient") {
          // The node may or may not have it: ask before the next send.
          uncertain({ hash, nonce, label: request.label, raw }, `sending "${request.label}"`, error);
        } else {
          // Whether the refusal used the nonce depends on the node: a Hardhat node that automines executes the
          // transaction, mines it reverted and still answers with the revert. The next send asks the node.
          nextNonce = undefined;
          throw new GuildError(`The node refused the transaction "${request.label}".`, { cause: error });
        }
      }
      nextNonce = nonce + 1;
      const submitted: SubmittedTx = { hash, nonce, label: request.label, raw };
      log.debug({ label: request.label, txHash: hash, nonce }, "transaction sent");
      onSubmitted?.(submitted);
      return submitted;
    }
    throw new GuildError(`Could not find a free nonce for "${request.label}" after ${MAX_RESIGN_ATTEMPTS} attempts.`, {
      metaMessages: ["Another program is sending from the same account very fast; try again."],
    });
  }

  /** Whether the node has the transaction; throws when it does not say (only its "not found" means no). */
  async function lookup(hash: Hash): Promise<"known" | "not-found"> {
    try {
      await publicClient.getTransaction({ hash });
      return "known";
    } catch (error) {
      if (error instanceof TransactionNotFoundError) return "not-found";
      throw error;
    }
  }

  async function waitForReceipt(submitted: SubmittedTx): Promise<TransactionReceipt> {
    const rebroadcastEveryMs = isDevChain ? 2_000 : 30_000;
    // While waiting, make sure the node still has the transaction (a restarted node or an evicting
    // mempool forgets it); the shared watcher does the polling for receipts.
    const keepAlive = setInterval(() => void rebroadcastIfForgotten(submitted), rebroadcastEveryMs);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TransactionTimeoutError(submitted.hash, timeoutMs)), timeoutMs);
    });
    try {
      return await Promise.race([watcher.wait(submitted.hash), timeout]);
    } finally {
      clearInterval(keepAlive);
      clearTimeout(timer);
    }
  }

  async function rebroadcastIfForgotten(submitted: SubmittedTx): Promise<void> {
    try {
      if ((await lookup(submitted.hash)) === "known") return;
      log.warn({ txHash: submitted.hash, label: submitted.label }, "node forgot the transaction; rebroadcasting it");
      await publicClient.sendRawTransaction({ serializedTransaction: submitted.raw });
    } catch (error) {
      log.debug({ txHash: submitted.hash, err: error }, "rebroadcast failed; will retry");
    }
  }

  return {
    address: account.address,
    submit: (request) => serialized(() => submitNow(request)),
    waitForReceipt,
    async send(request) {
      const submitted = await serialized(() => submitNow(request));
      const receipt = await waitForReceipt(submitted);
      if (receipt.status !== "success") throw new TransactionRevertedError(submitted.hash, request.label);
      return receipt;
    },
  };
}
