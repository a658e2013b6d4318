import type { Address } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import type { GuildReader } from "../GuildClient.js";

/** The staked evaluator's defaults and floors: immutables, so read once per evaluator and kept. */
export type CheckLimits = {
  defaultWindow: bigint;
  defaultResponsePeriod: bigint;
  defaultMaxFlips: bigint;
  minResponsePeriod: bigint;
  minSettleMargin: bigint;
};

const cache = new Map<string, Promise<CheckLimits>>();

/**
 * Reads the evaluator's default timing and the deployment's floors (one multicall-free batch of views,
 * cached per chain and evaluator for the life of the process: they are immutables).
 *
 * @example
 * const { minResponsePeriod } = await readCheckLimits(reader);
 */
export function readCheckLimits(reader: GuildReader): Promise<CheckLimits> {
  const evaluator: Address = reader.addresses.evaluator;
  const key = `${reader.connection.chainId}:${evaluator}`;
  let limits = cache.get(key);
  if (!limits) {
    const read = (functionName: (typeof VIEWS)[number]) =>
      reader.connection.publicClient.readContract({ address: evaluator, abi: stakedEvaluatorAbi, functionName });
    limits = Promise.all(VIEWS.map(read)).then(
      ([defaultWindow, defaultResponsePeriod, defaultMaxFlips, minResponsePeriod, minSettleMargin]) => ({
        defaultWindow: defaultWindow as bigint,
        defaultResponsePeriod: defaultResponsePeriod as bigint,
        defaultMaxFlips: defaultMaxFlips as bigint,
        minResponsePeriod: minResponsePeriod as bigint,
        minSettleMargin: minSettleMargin as bigint,
      }),
    );
    limits.catch(() => cache.delete(key));
    cache.set(key, limits);
  }
  return limits;
}

const VIEWS = [
  "defaultWindow",
  "defaultResponsePeriod",
  "defaultMaxFlips",
  "minResponsePeriod",
  "minSettleMargin",
] as const;
