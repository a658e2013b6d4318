import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { Hash } from "viem";
import type { TranscriptEntry } from "../../src/agent/transcript.js";
import type { Harness } from "../tools/harness.js";

export type ToolLine = Extract<TranscriptEntry, { type: "tool" }>;

/** The JSON lines of a transcript file, parsed; every line must be a JSON object. */
export function readTranscript(path: string | undefined): TranscriptEntry[] {
  if (!path) throw new Error("the run wrote no transcript file");
  const text = readFileSync(path, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  return text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as TranscriptEntry);
}

export function toolLines(entries: TranscriptEntry[]): ToolLine[] {
  return entries.filter((entry): entry is ToolLine => entry.type === "tool");
}

/**
 * Checks the shape every transcript has: a run line first, an end line last, one run id, timestamps in
 * order, a model line before each step's tool lines, and the end line's hashes equal to the tool lines'.
 */
export function expectWellFormed(entries: TranscriptEntry[]): void {
  expect(entries[0]?.type).toBe("run");
  expect(entries.at(-1)?.type).toBe("end");
  expect(new Set(entries.map((entry) => entry.runId)).size).toBe(1);
  const times = entries.map((entry) => Date.parse(entry.at));
  expect(times.every((time, i) => Number.isFinite(time) && (i === 0 || time >= times[i - 1]!))).toBe(true);
  let step = 0;
  for (const entry of entries.slice(1, -1)) {
    if (entry.type === "model") {
      expect(entry.step).toBe(step + 1);
      step = entry.step;
    } else if (entry.type === "tool") {
      expect(entry.step).toBe(step);
    } else {
      throw new Error(`unexpected ${entry.type} line in the middle of a transcript`);
    }
  }
  const end = entries.at(-1) as Extract<TranscriptEntry, { type: "end" }>;
  expect(end.txHashes).toEqual(toolLines(entries).flatMap((line) => line.txHashes));
}

/** Each hash is a successful transaction on the chain, sent by `from`. */
export async function expectSentBy(h: Harness, hashes: readonly Hash[], from: string): Promise<void> {
  const client = h.guild.reader.connection.publicClient;
  for (const hash of hashes) {
    const [tx, receipt] = await Promise.all([client.getTransaction({ hash }), client.getTransactionReceipt({ hash })]);
    expect(tx.from.toLowerCase(), hash).toBe(from.toLowerCase());
    expect(receipt.status, hash).toBe("success");
  }
}
