import type { Abi } from "viem";
import type { DecodedLog, LogPage } from "../chain/logs/readLogs.js";

/**
 * Merges log streams that each deliver pages in chain order (as `streamLogs` does) into one sequence of
 * batches in chain order (blockNumber, logIndex), without duplicates (a log two filters both match, such
 * as a transfer from the agent to itself, comes once). Only what the slowest stream has not yet passed
 * is held, so memory stays bounded by the streams' pages.
 *
 * @example
 * for await (const logs of mergeLogStreams([fromAgent, toAgent])) for (const log of logs) handle(log);
 */
export async function* mergeLogStreams<abi extends Abi>(
  streams: readonly AsyncIterable<LogPage<abi>>[],
): AsyncGenerator<DecodedLog<abi>[], void, undefined> {
  type State = { iterator: AsyncIterator<LogPage<abi>>; buffer: DecodedLog<abi>[]; through: bigint; done: boolean };
  const states: State[] = streams.map((stream) => ({
    iterator: stream[Symbol.asyncIterator](),
    buffer: [],
    through: -1n,
    done: false,
  }));
  try {
    for (;;) {
      const active = states.filter((state) => !state.done);
      let safe: bigint | undefined;
      if (active.length > 0) {
        // Pull the stream that is furthest behind: the others' logs up to its position can then be released.
        let laggard = active[0] as State;
        for (const state of active) if (state.through < laggard.through) laggard = state;
        const next = await laggard.iterator.next();
        if (next.done) laggard.done = true;
        else {
          for (const log of next.value.logs) laggard.buffer.push(log);
          laggard.through = next.value.toBlock;
        }
        const [first, ...rest] = states.filter((state) => !state.done);
        if (first) safe = rest.reduce((min, state) => (state.through < min ? state.through : min), first.through);
      }
      const out: DecodedLog<abi>[] = [];
      for (const state of states) {
        let take = 0;
        if (safe === undefined) take = state.buffer.length;
        else while (take < state.buffer.length && (state.buffer[take] as DecodedLog<abi>).blockNumber <= safe) take++;
        if (take > 0) for (const log of state.buffer.splice(0, take)) out.push(log);
      }
      if (out.length > 0) {
        out.sort((a, b) =>
          a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
        );
        const unique: DecodedLog<abi>[] = [];
        for (const log of out) {
          const last = unique[unique.length - 1];
          if (last && last.blockNumber === log.blockNumber && last.logIndex === log.logIndex) continue;
          unique.push(log);
        }
        yield unique;
      }
      if (active.length === 0) return;
    }
  } finally {
    // Leaving early (or failing) closes every stream, which cancels their outstanding requests.
    await Promise.allSettled(states.filter((state) => !state.done).map((state) => state.iterator.return?.()));
  }
}
