import type { Address } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import type { GuildReader } from "../GuildClient.js";

/** One staker's position on a job's check. */
export type StakePosition = {
  /** Staked and not yet claimed, in the job's token; 0 when none (or after the claim). */
  amount: bigint;
  /** The side it is on (false when `amount` is 0). */
  pass: boolean;
};

/**
 * A staker's position on a job's staked check (`StakedEvaluator.stakeOf`).
 *
 * @example
 * const { amount, pass } = await readStake(reader, { jobId, staker: carol });
 */
export async function readStake(
  reader: GuildReader,
  { jobId, staker }: { jobId: bigint; staker: Address },
): Promise<StakePosition> {
  const [amount, pass] = await reader.connection.publicClient.readContract({
    address: reader.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stakeOf",
    args: [jobId, staker],
  });
  return { amount, pass };
}
