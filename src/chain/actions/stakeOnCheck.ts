import { zeroAddress, type Address, type Hash } from "viem";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import { InvalidInputError } from "../../errors/input.js";
import type { GuildClient } from "../GuildClient.js";
import { writeContract } from "../tx/writeContract.js";
import { ensureAllowance } from "./ensureAllowance.js";
import { readJob } from "./readJob.js";

/**
 * Stakes on whether a delivered job's work passes its check (`StakedEvaluator.stake`), in the job's token
 * (approving an ERC-20 stake first when needed). A provider's pass stake is its bond. `token`, when the
 * caller already knows it, saves reading the job.
 *
 * @example
 * await stakeOnCheck(carol, { jobId, pass: false, amount: parseEther("0.001") });
 */
export async function stakeOnCheck(
  client: GuildClient,
  { jobId, pass, amount, token }: { jobId: bigint; pass: boolean; amount: bigint; token?: Address },
): Promise<{ hash: Hash; approveHash: Hash | undefined }> {
  if (amount <= 0n) throw new InvalidInputError("amount", `${amount} is not positive`, "Stake a positive amount.");
  // Callers that already read the job pass its token; the others let it be read here.
  const job = { token: token ?? (await readJob(client, { jobId })).token };
  const approveHash =
    job.token === zeroAddress
      ? undefined
      : (await ensureAllowance(client, { token: job.token, spender: client.addresses.evaluator, amount })).hash;
  const receipt = await writeContract(client, {
    address: client.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stake",
    args: [jobId, pass, amount],
    ...(job.token === zeroAddress ? { value: amount } : {}),
    contract: "StakedEvaluator",
    label: `stake ${amount} on ${pass ? "pass" : "fail"} for job ${jobId}`,
  });
  client.logger.info(
    { jobId: jobId.toString(), txHash: receipt.transactionHash, pass, amount: amount.toString(), token: job.token },
    "staked on check",
  );
  return { hash: receipt.transactionHash, approveHash };
}
