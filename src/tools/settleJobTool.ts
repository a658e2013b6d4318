import { z } from "zod";
import { readJob, type JobState } from "../chain/actions/readJob.js";
import { settleCheck } from "../chain/actions/settleCheck.js";
import { pollUntil } from "../chain/pollUntil.js";
import { ContractRevertedError } from "../errors/transaction.js";
import { defineTool, type ToolResult } from "./GuildTool.js";
import { jobFields } from "./describeJob.js";
import { jobIdSchema } from "./schemas.js";

const OUTCOME = { Completed: "paid", Rejected: "refunded", Expired: "refunded" } as const;

/** One settle attempt: the tool's answer, or the still open check window. */
type Attempt =
  | { result: ToolResult; open?: undefined }
  | { result?: undefined; open: { closesAt: bigint; secondsLeft: number; waitMs: number } };

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
    const first = await readJob(client, { jobId });
    if (!first.check)
      return { ok: false, message: `Job ${jobId} is not judged by the staked check; its evaluator decides it.` };
    // The first attempt uses the read above; each later one reads the job again after its wait.
    let fresh: JobState | undefined = first;
    const { value: last } = await pollUntil(
      async () => {
        const job = fresh ?? (await readJob(client, { jobId }));
        fresh = undefined;
        return attempt(job);
      },
      (outcome) => outcome.result !== undefined,
      {
        intervalMs: (outcome) => outcome.open?.waitMs ?? 0,
        timeoutMs: timeoutSeconds * 1000,
        signal,
        onWait: ({ last: { open }, elapsedMs }) => {
          if (!open) return;
          // Both clocks: the window closes by the chain's (which stands still between blocks on an idle dev
          // chain), and the wall clock shows the wait is alive.
          onProgress?.(
            `waiting for the check window of job ${jobId} to close (${open.secondsLeft} s left by the latest block, ${Math.round(elapsedMs / 1000)} s waited)`,
          );
        },
      },
    );
    if (last.result) return last.result;
    return {
      ok: false,
      message: `The check window of job ${jobId} is still open (closes ${new Date(Number(last.open.closesAt) * 1000).toISOString()}); call settle_job again later.`,
    };

    /** One try: the job's outcome, or, while its check window is open, when it closes and how long to wait. */
    async function attempt(job: JobState): Promise<Attempt> {
      if (job.status in OUTCOME) return { result: await ended(job) };
      if (job.status !== "Submitted") {
        return {
          result: {
            ok: false,
            message: `Job ${jobId} is ${job.status}: nothing to settle until it is delivered.`,
            data: await jobFields(client, job),
          },
        };
      }
      try {
        const settled = await settleCheck(client, { jobId });
        const after = await readJob(client, { jobId });
        const outcome =
          settled.voided && after.status === "Completed"
            ? "paid"
            : settled.passed
              ? "paid"
              : settled.voided && after.status === "Expired"
                ? "voided"
                : "refunded";
        const word =
          outcome === "paid"
            ? "passed: the provider was paid"
            : outcome === "voided"
              ? "was voided: the job had expired and every stake is returned"
              : "failed: the client was refunded";
        return {
          result: {
            ok: true,
            message: `The check of job ${jobId} ${word}.`,
            txHashes: [settled.hash],
            data: { ...(await jobFields(client, after)), outcome },
          },
        };
      } catch (error) {
        // Someone else (the client's daemon, a checker) settled it first: read the outcome.
        if (error instanceof ContractRevertedError && error.errorName === "EvaluatorAlreadySettled") {
          const after = await readJob(client, { jobId });
          if (after.status in OUTCOME) return { result: await ended(after) };
        }
        if (!(error instanceof ContractRevertedError) || error.errorName !== "EvaluatorWindowOpen") throw error;
        const closesAt = error.errorArgs[1] as bigint;
        const now = (await client.connection.publicClient.getBlock({ blockTag: "latest" })).timestamp;
        const waitSeconds = Math.max(1, Math.min(2, Number(closesAt - now)));
        return { open: { closesAt, secondsLeft: Math.max(0, Number(closesAt - now)), waitMs: waitSeconds * 1000 } };
      }
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
