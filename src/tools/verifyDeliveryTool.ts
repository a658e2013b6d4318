import { z } from "zod";
import { readJob } from "../chain/actions/readJob.js";
import { readJobTexts } from "../chain/reads/readJobTexts.js";
import { decodeJobSpec } from "../skills/jobSpec.js";
import { verifyDelivery } from "../skills/verifyDelivery.js";
import type { JobStatusName } from "../chain/actions/readJob.js";
import { defineTool, type ToolResult } from "./GuildTool.js";

/** What verify_delivery found; `expected` is the re-computed result when the skill is deterministic. */
export type VerifyDeliveryData = {
  verdict: "pass" | "fail" | "cannot-judge";
  skill?: string;
  status?: JobStatusName;
  expected?: string;
};
import { jobIdSchema } from "./schemas.js";

export const verifyDeliveryTool = defineTool({
  name: "verify_delivery",
  moves: "none",
  description:
    'Checks a delivered job by its acceptance criteria (tests run in a sandbox, a JSON Schema, constraints, a rubric when a model is configured) or, for a deterministic skill without criteria, by re-computing it; answers verdict "pass", "fail" or "cannot-judge".',
  schema: z.object({ jobId: jobIdSchema }),
  async invoke({ jobId }, { client, skills, task }): Promise<ToolResult<VerifyDeliveryData>> {
    // Throws "Job N does not exist." for an unknown id, instead of answering that it has no spec.
    const job = await readJob(client, { jobId });
    const { description, content } = await readJobTexts(client, { jobId });
    const spec = description === undefined ? undefined : decodeJobSpec(description);
    if (!spec) {
      return {
        ok: true,
        message: `Job ${jobId} has no Guild job spec, so it cannot be checked here.`,
        data: { verdict: "cannot-judge" },
      };
    }
    if (content === undefined) {
      return {
        ok: true,
        message: `Job ${jobId} is ${job.status} and has no delivered content yet.`,
        data: { verdict: "cannot-judge", status: job.status },
      };
    }
    const result = await verifyDelivery(spec, content, skills);
    // The task remembers what this agent's own re-computation found: it backs a stake on that side and an
    // approval of a pass, which the model's word alone cannot.
    if (result.verdict !== "cannot-judge") task.verdicts.set(jobId, { verdict: result.verdict, by: "verify_delivery" });
    return {
      ok: true,
      message: `Job ${jobId} (${spec.skill}): ${result.verdict} — ${result.reason}.`,
      data: {
        verdict: result.verdict,
        skill: spec.skill,
        ...(result.expected === undefined ? {} : { expected: result.expected }),
      },
    };
  },
});
