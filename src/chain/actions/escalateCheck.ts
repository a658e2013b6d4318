import type { Hash } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

/**
 * Escalates a job's check to the arbiter its terms name (`StakedEvaluator.escalate`): any staker, before the
 * close, once both sides' stakes reach the job's escalation threshold. The game goes on until the close; the
 * arbiter may then rule for the job's arbitration period, and the game's result stands if it stays silent.
 * Simulated first: a check without an arbiter, already escalated, closed or below its threshold, or a caller
 * that holds no stake, throws a {@link ContractRevertedError} (`EvaluatorNoArbiter`, `EvaluatorEscalated`,
 * `EvaluatorWindowClosed`, `EvaluatorBelowEscalationThreshold`, `EvaluatorNotStaker`) and sends nothing.
 *
 * @example
 * const { hash } = await escalateCheck(carol, { jobId });
 */
export async function escalateCheck(client: GuildClient, { jobId }: { jobId: bigint }): Promise<{ hash: Hash }> {
  const receipt = await writeContract(client, {
    address: client.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "escalate",
    args: [jobId],
    contract: "StakedEvaluator",
    label: `escalate the check of job ${jobId} to its arbiter`,
  });
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash }, "check escalated");
  return { hash: receipt.transactionHash };
}
