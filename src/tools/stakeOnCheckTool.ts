import { z } from "zod";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob } from "../chain/actions/readJob.js";
import { stakeOnCheck } from "../chain/actions/stakeOnCheck.js";
import { defineTool } from "./GuildTool.js";
import { jobIdSchema } from "./schemas.js";
import { amountSchema } from "./schemas.js";

export const stakeOnCheckTool = defineTool({
  name: "stake_on_check",
  moves: "value",
  description:
    "Stakes on a delivered job's quality check, in the job's token: pass if the work is right, fail if it is wrong. Winners share the losers' stakes. Only on the side verify_delivery found in this task (any other stake needs a person's approval); checked against the spending policy and the task's budget.",
  schema: z.object({
    jobId: jobIdSchema,
    pass: z.boolean().describe("true to back the work as correct, false to say it is wrong."),
    amount: amountSchema.describe('Stake in the job\'s token units, e.g. "0.001".'),
  }),
  async invoke({ jobId, pass, amount }, { client, guard, task }) {
    const job = await readJob(client, { jobId });
    if (job.status !== "Submitted") {
      return { ok: false, message: `Job ${jobId} is ${job.status}, not Submitted. Nothing was sent.` };
    }
    const token = await getTokenInfo(client, job.token);
    const value = parseAmount(amount, token.decimals, "amount");
    const { hash, approveHash } = await guard.run(
      task,
      {
        action: "stake",
        token,
        amount: value,
        jobId,
        pass,
        description: `stake on ${pass ? "pass" : "fail"} for job ${jobId}`,
      },
      () => stakeOnCheck(client, { jobId, pass, amount: value, token: job.token }),
    );
    return {
      ok: true,
      message: `Staked ${formatAmount(value, token.decimals, token.symbol)} on ${pass ? "pass" : "fail"} for job ${jobId}.`,
      txHashes: [approveHash, hash].filter((h): h is `0x${string}` => !!h),
      data: { jobId: jobId.toString(), pass, amount: formatAmount(value, token.decimals), token: token.symbol },
    };
  },
});
