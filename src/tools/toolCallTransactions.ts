import { AsyncLocalStorage } from "node:async_hooks";
import type { Hash } from "viem";

/**
 * The transactions submitted while one tool call runs, collected through the async context: a client
 * shared by several concurrent calls (a daemon serving two tasks at once) still attributes each
 * transaction to the call that sent it.
 */
const current = new AsyncLocalStorage<Hash[]>();

/** Runs a tool call and returns what it submitted along with its result. */
export async function collectToolCallTransactions<T>(run: () => Promise<T>): Promise<{ value: T; sent: Hash[] }> {
  const sent: Hash[] = [];
  const value = await current.run(sent, run);
  return { value, sent };
}

/** For a client's `onSubmitted`: credits the transaction to the tool call running now, if any. */
export function recordToolCallTransaction(hash: Hash): void {
  current.getStore()?.push(hash);
}
