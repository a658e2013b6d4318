import { pad, zeroAddress, type Hash } from "viem";
import { z } from "zod";
import { formatAmount } from "../chain/amounts.js";
import { claimStake } from "../chain/actions/claimStake.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob } from "../chain/actions/readJob.js";
import { withdrawCredits } from "../chain/actions/withdrawCredits.js";
import { readStake } from "../chain/reads/readStake.js";
import { readLogs } from "../chain/logs/readLogs.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import { defineTool } from "./GuildTool.js";
import { jobIdSchema } from "./schemas.js";

const stakedEvent = stakedEvaluatorAbi.filter((item) => item.type === "event" && item.name === "Staked");

export const claimRewardsTool = defineTool({
  name: "claim_rewards",
  moves: "none",
  description:
    "Collects what this agent is owed: its stakes and rewards on settled checks (one job, or all), and payouts the escrow credited to it.",
  schema: z.object({
    jobId: jobIdSchema.optional().describe("Only this job; default: every settled check this agent staked on."),
  }),
  async invoke({ jobId }, { client }) {
    const me = client.account.address;
    const reader = client.connection.publicClient;
    let jobIds: bigint[];
    if (jobId !== undefined) {
      await readJob(client, { jobId }); // "Job N does not exist." rather than "nothing to claim"
      jobIds = [jobId];
    } else {
      const logs = await readLogs(reader, {
        address: client.addresses.evaluator,
        events: stakedEvent,
        topics: [null, pad(me.toLowerCase() as `0x${string}`)],
        fromBlock: client.fromBlock,
        logger: client.logger,
      });
      jobIds = [...new Set(logs.map((log) => log.args.jobId))];
    }
    const hashes: Hash[] = [];
    const lines: string[] = [];
    for (const id of jobIds) {
      if ((await readStake(client, { jobId: id, staker: me })).amount === 0n) continue;
      const check = await reader.readContract({
        address: client.addresses.evaluator,
        abi: stakedEvaluatorAbi,
        functionName: "getCheck",
        args: [id],
      });
      if (check.verdict === 0) continue;
      const claimed = await claimStake(client, { jobId: id });
      const info = await getTokenInfo(client, (await readJob(client, { jobId: id })).token);
      hashes.push(claimed.hash);
      lines.push(
        `job ${id}: ${claimed.amount === 0n ? "stake lost" : `got ${formatAmount(claimed.amount, info.decimals, info.symbol)} back`}`,
      );
    }
    for (const token of [zeroAddress, ...(client.addresses.testToken ? [client.addresses.testToken] : [])]) {
      const withdrawn = await withdrawCredits(client, { token });
      if (withdrawn.hash) {
        const info = await getTokenInfo(client, token);
        hashes.push(withdrawn.hash);
        lines.push(`withdrew ${formatAmount(withdrawn.amount, info.decimals, info.symbol)} of credited payouts`);
      }
    }
    return {
      ok: true,
      message:
        lines.length === 0
          ? "Nothing to claim: no settled stakes or credited payouts."
          : `Claimed: ${lines.join("; ")}.`,
      txHashes: hashes,
      data: { claims: lines.length },
    };
  },
});
