import { parseEventLogs, type Hash } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";

export type SettleCheckReturnType = {
  hash: Hash;
  /** undefined when the check was voided (the job expired first, or nobody backed the winning side). */
  passed: boolean | undefined;
  voided: boolean;
};

/**
 * Settles a job's check after its window (`StakedEvaluator.settle`): the job is completed or rejected on
 * the escrow, or the check is voided for a job that expired. Anyone may call it.
 *
 * @example
 * const { passed } = await settleCheck(alice, { jobId });
 */
export async function settleCheck(client: GuildClient, { jobId }: { jobId: bigint }): Promise<SettleCheckReturnType> {
  const receipt = await writeContract(client, {
    address: client.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "settle",
    args: [jobId],
    contract: "StakedEvaluator",
    label: `settle the check of job ${jobId}`,
  });
  const logs = parseEventLogs({ abi: stakedEvaluatorAbi, logs: receipt.logs });
  const settled = logs.find((log) => log.eventName === "CheckSettled");
  const voided = logs.some((log) => log.eventName === "CheckVoided");
  const passed = settled?.eventName === "CheckSettled" ? settled.args.passed : undefined;
  client.logger.info({ jobId: jobId.toString(), txHash: receipt.transactionHash, passed, voided }, "check settled");
  return { hash: receipt.transactionHash, passed, voided };
}
