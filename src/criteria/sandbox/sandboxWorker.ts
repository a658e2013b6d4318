import { parentPort } from "node:worker_threads";
import { findSyntaxErrorInThisThread, runTestsInThisThread } from "./runTestsInSandbox.js";

/**
 * The sandbox's worker thread: runs QuickJS jobs one at a time for {@link callSandboxWorker}. Its host kills and
 * replaces it when a job overruns its wall-clock budget, which QuickJS's own interrupt cannot always enforce
 * (some native operations near the memory limit run for seconds without polling it).
 */
export type SandboxRequest =
  | { id: number; op: "runTests"; parameters: Parameters<typeof runTestsInThisThread>[0] }
  | { id: number; op: "findSyntaxError"; code: string };

export type SandboxResponse =
  | { id: number; started: true }
  | { id: number; result: unknown }
  | { id: number; error: string };

parentPort?.on("message", async (request: SandboxRequest) => {
  // The host's hard deadline counts from here, not from a cold start of this thread.
  parentPort?.postMessage({ id: request.id, started: true } satisfies SandboxResponse);
  try {
    const result =
      request.op === "runTests"
        ? await runTestsInThisThread(request.parameters)
        : await findSyntaxErrorInThisThread(request.code);
    parentPort?.postMessage({ id: request.id, result } satisfies SandboxResponse);
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      error: error instanceof Error ? error.message : String(error),
    } satisfies SandboxResponse);
  }
});
