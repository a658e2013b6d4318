import { EmbeddedChainError } from "../chain/embeddedChain.js";
import { SpendingRefusedError } from "../errors/guard.js";
import { InvalidInputError } from "../errors/input.js";
import { ContractsNotDeployedError, RpcUnavailableError } from "../errors/transaction.js";
import { WalletNotFoundError } from "../errors/wallet.js";

/**
 * The exit codes of every `guild` command, which scripts can rely on:
 * 0 done; 1 the operation failed (refused, reverted, timed out); 2 bad usage or input (a missing wallet
 * included); 3 the chain is unreachable or Guild is not deployed on it; 4 a negative outcome the command
 * reports in full (`hire`: the check rejected the work and the client was refunded; `audit`: a difference does
 * not reconcile); 130 interrupted.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, chain: 3, rejected: 4, interrupted: 130 } as const;

/** The exit code for an error a command threw: the one map every command shares. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof InvalidInputError || error instanceof WalletNotFoundError) return EXIT.usage;
  if (
    error instanceof RpcUnavailableError ||
    error instanceof ContractsNotDeployedError ||
    error instanceof EmbeddedChainError
  ) {
    return EXIT.chain;
  }
  if (error instanceof SpendingRefusedError) return EXIT.failed;
  return EXIT.failed;
}
