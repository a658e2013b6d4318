import { setTimeout as pause } from "node:timers/promises";
import { keccak256, type Address, type Hash, type Hex, type LocalAccount, type TransactionReceipt } from "viem";
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

/** A signed transaction the node accepted. */
export type SubmittedTx = { hash: Hash; nonce: number; label: string; raw: Hex };

/**
 * Sends an account's transactions: one nonce sequence per account however many callers send at once,
 * signed locally, with recovery from the failures nodes and networks produce:
 * - "nonce too low" (another process used the account): resynchronise from the node and re-sign;
 * - a dropped request: resend the same signed bytes (same hash), so a transaction is never sent twice;
 * - a transaction the node forgot (restart, mempool eviction): rebroadcast it while waiting;
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
  /** Called with every transaction the node accepted (for transcripts and metrics). */
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
    let delay = 100;
    for (let attempt = 0; ; attempt++) {
      try {
        await publicClient.sendRawTransaction({ serializedTransaction: raw });
        return;
      } catch (error) {
        if (classifyRpcError(error) !== "transient" || attempt >= MAX_TRANSIENT_RETRIES) throw error;
        log.warn(
          { label, attempt: attempt + 1, err: error },
          "node did not answer; resending the same signed transaction",
        );
        await pause(delay);
        delay = Math.min(delay * 2, 3_000);
      }
    }
  }

  async function submitNow(request: TxRequest): Promise<SubmittedTx> {
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
          if (await isKnown(hash)) {
            // Ours, mined or pending after a resend the node acknowledged late.
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
          // The node may or may not have it: ask again before the next send.
          nextNonce = undefined;
          throw new RpcUnavailableError(`sending "${request.label}"`, { cause: error });
        } else {
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

  async function isKnown(hash: Hash): Promise<boolean> {
    try {
      await publicClient.getTransaction({ hash });
      return true;
    } catch {
      return false;
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
      if (await isKnown(submitted.hash)) return;
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
