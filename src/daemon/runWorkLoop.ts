import type { ChainConnection } from "../chain/createConnection.js";
import { classifyRpcError } from "../chain/tx/classifyRpcError.js";
import { GuildError } from "../errors/GuildError.js";
import { RpcUnavailableError } from "../errors/transaction.js";
import type { Logger } from "../log/createLogger.js";
import type { DaemonState } from "./daemonState.js";
import { processWorkItem, type WorkContext } from "./processWorkItem.js";

export type WorkLoop = {
  /** Finishes the item in progress, then resolves. */
  stop: () => Promise<void>;
  /** False while the node does not answer. */
  chainReachable: () => boolean;
  /** Failed requests to the node since the loop started. */
  rpcErrors: () => number;
};

/**
 * Works the daemon's queue one item at a time, in the order items fall due by chain time. A node that
 * stops answering is waited for; an item that fails is retried with backoff (soon for a transient
 * error), and given up after repeated non-transient failures.
 *
 * @example
 * const loop = runWorkLoop({ connection, state, context, pollIntervalMs: 250, logger });
 * await loop.stop();
 */
export function runWorkLoop({
  connection,
  state,
  context,
  pollIntervalMs,
  logger,
}: {
  connection: ChainConnection;
  state: DaemonState;
  context: WorkContext;
  pollIntervalMs: number;
  logger: Logger;
}): WorkLoop {
  let stopping = false;
  let rpcErrors = 0;
  let chainReachable = true;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  // Chain time can run ahead of this machine's clock (a dev node that mined faster than a block a second
  // keeps the lead; a skewed local clock). A new block's lead over our clock when we first see it is a lower
  // bound of that offset, so "now" is our clock plus the largest lead seen: due items (a settle after the
  // check window) are not left waiting for the wall clock to catch up with the chain.
  let clockLead = 0;
  let newestBlock = -1n;

  const done = (async () => {
    while (!stopping) {
      let now: number;
      try {
        const block = await connection.publicClient.getBlock({ blockTag: "latest" });
        const wall = Date.now() / 1000;
        if (block.number < newestBlock) clockLead = 0;
        if (block.number !== newestBlock) clockLead = Math.max(clockLead, Number(block.timestamp) - wall);
        newestBlock = block.number;
        now = Math.max(Number(block.timestamp), Math.floor(wall + clockLead));
        if (!chainReachable) logger.info("the chain answers again; resuming work");
        chainReachable = true;
      } catch {
        rpcErrors++;
        if (chainReachable) logger.warn("the chain does not answer; waiting for it");
        chainReachable = false;
        await pause(Math.min(5_000, pollIntervalMs * 8));
        continue;
      }
      for (const item of state.dueItems(now)) {
        if (stopping) break;
        try {
          const outcome = await processWorkItem(item, context, now);
          if (outcome.status === "retry") state.retryLater(item.key, outcome.at, outcome.detail);
          else state.finish(item.key, outcome.status, outcome.detail);
        } catch (error) {
          const transient = error instanceof RpcUnavailableError || classifyRpcError(error) === "transient";
          if (transient) rpcErrors++;
          const delay = transient ? 2 : Math.min(300, 2 ** Math.min(item.attempts + 1, 8));
          const detail =
            error instanceof GuildError ? error.shortMessage : error instanceof Error ? error.message : String(error);
          if (!transient && item.attempts >= 8) {
            state.finish(item.key, "failed", detail);
            logger.error({ item: item.key, err: error }, "gave up on a work item");
          } else {
            state.retryLater(item.key, now + delay, detail, !transient);
            logger.warn({ item: item.key, attempt: item.attempts + 1, error: detail }, "work item failed; will retry");
          }
        }
      }
      if (!stopping) await pause(pollIntervalMs);
    }
  })();

  return {
    stop: async () => {
      stopping = true;
      wake?.();
      await done;
    },
    chainReachable: () => chainReachable,
    rpcErrors: () => rpcErrors,
  };
}
