import { z } from "zod";
import { approveDelivery } from "../chain/actions/approveDelivery.js";
import { readJob } from "../chain/actions/readJob.js";
import { defineTool } from "./GuildTool.js";
import { jobFields, jobSentence } from "./describeJob.js";
import { jobIdSchema } from "./parseJobId.js";

export const approveDeliveryTool = defineTool({
  name: "approve_delivery",
  description:
    "Accepts a delivered job as its client, before the check window closes: the provider is paid at once. Only when the delivery was verified; refused while any checker staked on fail.",
  schema: z.object({ jobId: jobIdSchema }),
  async invoke({ jobId }, { client }) {
    const { hash } = await approveDelivery(client, { jobId });
    const job = await readJob(client, { jobId });
    return {
      ok: true,
      message: `Approved job ${jobId}; the provider was paid. ${await jobSentence(client, job)}`,
      txHashes: [hash],
      data: { ...(await jobFields(client, job)), outcome: "paid" },
    };
  },
});
