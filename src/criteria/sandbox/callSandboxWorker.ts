import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { SandboxRequest, SandboxResponse } from "./sandboxWorker.js";

/** The worker was killed: a job overran its hard deadline, or the thread died. */
export class SandboxKilledError extends Error {
  override name = "SandboxKilledError";
}

type Pending = {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** Arms the hard deadline once the worker starts the job. */
  start: () => void;
  /** The thread the job was sent to: a killed thread's exit must not fail the jobs of its successor. */
  thread: Worker;
};

/** How long a new worker may take to start (tsx, the QuickJS module) before the call fails. */
const STARTUP_MS = 60_000;

let worker: Worker | undefined;
let nextId = 1;
const pending = new Map<number, Pending>();

// The worker runs the TypeScript sources like the rest of Guild: through tsx, resolved from this package.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

function spawn(): Worker {
  const spawned = new Worker(new URL("./sandboxWorker.ts", import.meta.url), {
    execArgv: ["--import", tsxLoader],
    // A deep native recursion in QuickJS uses this thread's stack: make it larger than QuickJS's own limit
    // needs, so QuickJS stops first. The JavaScript heap holds only messages; QuickJS's heap is WebAssembly
    // memory, bounded by each run's memory limit.
    resourceLimits: { stackSizeMb: 8, maxOldGenerationSizeMb: 128 },
  });
  spawned.on("message", (response: SandboxResponse) => {
    const waiting = pending.get(response.id);
    if (!waiting) return;
    if ("started" in response) {
      waiting.start();
      return;
    }
    pending.delete(response.id);
    clearTimeout(waiting.timer);
    if ("error" in response) waiting.reject(new Error(response.error));
    else waiting.resolve(response.result);
    if (pending.size === 0) spawned.unref();
  });
  const fail = (error: Error) => {
    if (worker === spawned) worker = undefined;
    for (const [id, waiting] of pending) {
      if (waiting.thread !== spawned) continue;
      clearTimeout(waiting.timer);
      waiting.reject(new SandboxKilledError(`the sandbox's thread stopped: ${error.message}`));
      pending.delete(id);
    }
  };
  spawned.on("error", fail);
  spawned.on("exit", (code) => fail(new Error(`exit code ${code}`)));
  return spawned;
}

/**
 * Sends a job to the sandbox's worker thread (started on first use, one job at a time, kept idle without holding
 * the process open). The host's event loop stays free while the job runs. When the job is not answered within
 * `hardTimeoutMs`, the worker is terminated (a WebAssembly loop is interruptible from outside) and the call
 * rejects with {@link SandboxKilledError}; the next call starts a fresh worker.
 */
export function callSandboxWorker<T>(
  request:
    | Omit<Extract<SandboxRequest, { op: "runTests" }>, "id">
    | Omit<Extract<SandboxRequest, { op: "findSyntaxError" }>, "id">,
  hardTimeoutMs: number,
): Promise<T> {
  worker ??= spawn();
  const target = worker;
  target.ref();
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    const kill = (why: string) => () => {
      pending.delete(id);
      if (worker === target) worker = undefined;
      void target.terminate();
      reject(new SandboxKilledError(why));
    };
    const entry: Pending = {
      thread: target,
      resolve: resolve as (value: unknown) => void,
      reject,
      timer: setTimeout(kill(`the sandbox's thread did not start within ${STARTUP_MS} ms`), STARTUP_MS),
      start: () => {
        clearTimeout(entry.timer);
        entry.timer = setTimeout(
          kill(`no answer within ${hardTimeoutMs} ms; the sandbox's thread was terminated`),
          hardTimeoutMs,
        );
      },
    };
    pending.set(id, entry);
    target.postMessage({ ...request, id });
  });
}
