import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Hash } from "viem";
import { redact } from "../log/secrets.js";

/** One line of a run's transcript. The audit joins `txHashes` to the chain. */
export type TranscriptEntry =
  | {
      type: "run";
      runId: string;
      at: string;
      task: string;
      provider: string;
      agent: string;
      address: string;
      chainId: number;
      /** The task context's id and what it may spend (see TaskContext). */
      taskId?: string;
      budget?: string;
    }
  | {
      type: "model";
      runId: string;
      at: string;
      step: number;
      content: string;
      toolCalls: { id: string; name: string; args: unknown }[];
      invalidToolCalls: { id: string; name: string; args: string; error: string }[];
    }
  | {
      type: "tool";
      runId: string;
      at: string;
      step: number;
      callId: string;
      name: string;
      args: unknown;
      ok: boolean;
      message: string;
      txHashes: Hash[];
      data: Record<string, unknown>;
    }
  | { type: "end"; runId: string; at: string; answer: string; steps: number; txHashes: Hash[]; error?: string };

type WithoutMeta<T> = T extends unknown ? Omit<T, "runId" | "at"> : never;

/** Writes a run as JSON lines, one per model turn, tool call and the run's start and end; secrets masked. */
export type Transcript = {
  runId: string;
  /** File written, or undefined for an in-memory transcript. */
  path: string | undefined;
  write: (entry: WithoutMeta<TranscriptEntry>) => void;
  entries: () => TranscriptEntry[];
};

function line(entry: TranscriptEntry): string {
  return redact(JSON.stringify(entry, (_, value) => (typeof value === "bigint" ? value.toString() : value)));
}

/**
 * A transcript file under `dir`, named by time and run id.
 *
 * @example
 * const transcript = fileTranscript(join(agentDir, "transcripts"));
 */
export function fileTranscript(dir: string): Transcript {
  const runId = randomUUID();
  const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${runId.slice(0, 8)}.jsonl`);
  mkdirSync(dirname(path), { recursive: true });
  const kept: TranscriptEntry[] = [];
  return {
    runId,
    path,
    write(entry) {
      const full = { ...entry, runId, at: new Date().toISOString() } as TranscriptEntry;
      kept.push(full);
      appendFileSync(path, `${line(full)}\n`);
    },
    entries: () => [...kept],
  };
}

/** A transcript kept in memory only (tests, library use). */
export function memoryTranscript(): Transcript {
  const runId = randomUUID();
  const kept: TranscriptEntry[] = [];
  return {
    runId,
    path: undefined,
    write(entry) {
      kept.push(
        JSON.parse(line({ ...entry, runId, at: new Date().toISOString() } as TranscriptEntry)) as TranscriptEntry,
      );
    },
    entries: () => [...kept],
  };
}
