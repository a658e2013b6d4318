import { setTimeout as delay } from "node:timers/promises";
import { z } from "zod";
import { readJob, type JobState } from "../chain/actions/readJob.js";
import { settleCheck } from "../chain/actions/settleCheck.js";
import { ContractRevertedError } from "../errors/transaction.js";
import { defineTool, type ToolResult } from "./GuildTool.js";
import { jobFields } from "./describeJob.js";
import { jobIdSchema } from "./schemas.js";

const OUTCOME = { Completed: "paid", Rejected: "refunded", Expired: "refunded" } as const;

export const settleJobTool = defineTool({
  name: "settle_job",
  moves: "none",
  description:
    "Lets the staked check decide a delivered job: waits until its check window closes, then settles it. The provider is paid if the check passed, the client refunded if it failed. Safe to call again.",
  schema: z.object({
    jobId: jobIdSchema,
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .describe("Longest wait for the window; default 900."),
  }),
  async invoke({ jobId, timeoutSeconds = 900 }, { client, onProgress, signal }): Promise<ToolResult> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    let job = await readJob(client, { jobId });
    if (!job.check)
      return { ok: false, message: `Job ${jobId} is not judged by the staked check; its evaluator decides it.` };
    for (;;) {
      if (job.status in OUTCOME) return ended(job);
      if (job.status !== "Submitted") {
        return {
          ok: false,
          message: `Job ${jobId} is ${job.status}: nothing to settle until it is delivered.`,
          data: await jobFields(client, job),
        };
      }
      try {
        const settled = await settleCheck(client, { jobId });
        job = await readJob(client, { jobId });
        const outcome =
          settled.voided && job.status === "Completed"
            ? "paid"
            : settled.passed
              ? "paid"
              : settled.voided && job.status === "Expired"
                ? "voided"
                : "refunded";
        const word =
          outcome === "paid"
            ? "passed: the provider was paid"
            : outcome === "voided"
              ? "was voided: the job had expired and every stake is returned"
              : "failed: the client was refunded";
        return {
          ok: true,
          message: `The check of job ${jobId} ${word}.`,
          txHashes: [settled.hash],
          data: { ...(await jobFields(client, job)), outcome },
        };
      } catch (error) {
        // Someone else (the client's daemon, a checker) settled it first: read the outcome.
        if (error instanceof ContractRevertedError && error.errorName === "EvaluatorAlreadySettled") {
          job = await readJob(client, { jobId });
          if (job.status in OUTCOME) return ended(job);
        }
        if (!(error instanceof ContractRevertedError) || error.errorName !== "EvaluatorWindowOpen") throw error;
        const closesAt = error.errorArgs[1] as bigint;
        const now = (await client.connection.publicClient.getBlock({ blockTag: "latest" })).timestamp;
        const waitSeconds = Math.max(1, Math.min(2, Number(closesAt - now)));
        if (Date.now() + waitSeconds * 1000 > deadline) {
          return {
            ok: false,
            message: `The check window of job ${jobId} is still open (closes ${new Date(Number(closesAt) * 1000).toISOString()}); call settle_job again later.`,
          };
        }
        onProgress?.(
          `waiting for the check window of job ${jobId} to close (${Math.max(0, Number(closesAt - now))} s left)`,
        );
        await delay(waitSeconds * 1000, undefined, { signal });
      }
      job = await readJob(client, { jobId });
    }

    async function ended(state: JobState): Promise<ToolResult> {
      const outcome = OUTCOME[state.status as keyof typeof OUTCOME];
      return {
        ok: true,
        message: `Job ${jobId} is already settled: ${state.status} (${outcome === "paid" ? "the provider was paid" : "the client was refunded"}).`,
        data: { ...(await jobFields(client, state)), outcome },
      };
    }
  },
});
