import { parseEventLogs, type Address, type Hash } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Claims this agent's stake and reward on a settled check (`StakedEvaluator.claim` / `claimTo`).
 * A losing stake's claim pays 0 and closes the position.
 *
 * @example
 * const { amount } = await claimStake(carol, { jobId });
 */
export async function claimStake(
  client: GuildClient,
  { jobId, to }: { jobId: bigint; to?: Address },
): Promise<{ hash: Hash; amount: bigint; stake: bigint }> {
  const common = { address: client.addresses.evaluator, abi: stakedEvaluatorAbi, contract: "StakedEvaluator" } as const;
  const label = `claim the stake on job ${jobId}`;
  const receipt = to
    ? await writeContract(client, { ...common, functionName: "claimTo", args: [jobId, to], label })
    : await writeContract(client, { ...common, functionName: "claim", args: [jobId], label });
  const [claimed] = parseEventLogs({ abi: stakedEvaluatorAbi, eventName: "StakeClaimed", logs: receipt.logs });
  const amount = claimed?.args.amount ?? 0n;
  const stake = claimed?.args.stake ?? 0n;
  client.logger.info(
    { jobId: jobId.toString(), txHash: receipt.transactionHash, amount: amount.toString(), stake: stake.toString() },
    "stake claimed",
  );
  return { hash: receipt.transactionHash, amount, stake };
}
