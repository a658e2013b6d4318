import { EmbeddedChainError } from "../chain/embeddedChain.js";
import { SpendingRefusedError } from "../errors/guard.js";
import { InvalidInputError } from "../errors/input.js";
import { ContractsNotDeployedError, RpcUnavailableError } from "../errors/transaction.js";

/**
 * Exit codes scripts can rely on:
 * 0 done; 1 the operation failed (refused, reverted, timed out); 2 bad usage or input;
 * 3 the chain is unreachable or Guild is not deployed on it; 4 a hired job's check rejected the work
 * (the client was refunded); 130 interrupted.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, chain: 3, rejected: 4, interrupted: 130 } as const;

export function exitCodeOf(error: unknown): number {
  if (error instanceof InvalidInputError) return EXIT.usage;
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
