import { isAddressEqual } from "viem";
import { z } from "zod";
import { approveDelivery } from "../chain/actions/approveDelivery.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { readJob } from "../chain/actions/readJob.js";
import { defineTool } from "./GuildTool.js";
import { jobFields, jobSentence } from "./describeJob.js";
import { jobIdSchema } from "./schemas.js";

export const approveDeliveryTool = defineTool({
  name: "approve_delivery",
  moves: "value",
  description:
    "Accepts a delivered job as its client, before the check window closes: the provider is paid at once. Needs a pass from verify_delivery on that job in this task (or from the staked check, or a person's approval); refused while any checker staked on fail.",
  schema: z.object({ jobId: jobIdSchema }),
  async invoke({ jobId }, { client, guard, task }) {
    const before = await readJob(client, { jobId });
    if (!isAddressEqual(before.client, client.account.address)) {
      return {
        ok: false,
        message: `${client.account.address} is not the client of job ${jobId} (${before.client} is): only the client can approve it. Nothing was sent.`,
      };
    }
    if (before.status !== "Submitted") {
      return { ok: false, message: `Job ${jobId} is ${before.status}, not Submitted. Nothing was sent.` };
    }
    const token = await getTokenInfo(client, before.token);
    const { hash } = await guard.run(
      task,
      {
        action: "approve",
        token,
        amount: before.budget,
        jobId,
        payee: before.provider,
        checkPassed: before.check?.verdict === "Pass",
        description: `approve the delivery of job ${jobId} and pay its provider`,
      },
      () => approveDelivery(client, { jobId }),
    );
    const job = await readJob(client, { jobId });
    return {
      ok: true,
      message: `Approved job ${jobId}; the provider was paid. ${await jobSentence(client, job)}`,
      txHashes: [hash],
      data: { ...(await jobFields(client, job)), outcome: "paid" as const },
    };
  },
});
