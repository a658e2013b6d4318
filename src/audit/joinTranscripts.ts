import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Hash } from "viem";
import type { TranscriptEntry } from "../agent/transcript.js";
import type { GuardRefusalEntry, TranscriptJoin, TransactionCause } from "./AuditReport.js";

export type JoinTranscriptsParameters = {
  /** Folder of `.jsonl` transcripts (`<GUILD_HOME>/agents/<name>/transcripts`). */
  dir: string;
  /** Hashes of the transactions the agent sent in the audited range. */
  transactions: Hash[];
};

const TURN_TEXT = 200;

/**
 * Says which run, model turn and tool call sent each of the agent's transactions, from its JSONL
 * transcripts (tool entries carry the hashes of the transactions they sent; the model entry of the same
 * run and step holds the tool call). Lines are read one at a time; a line that does not parse is skipped.
 * A missing folder means no transcripts.
 *
 * @example
 * const join = await joinTranscripts({ dir: join(home, "agents", "alice", "transcripts"), transactions });
 * for (const cause of join.attributed) console.log(cause.txHash, cause.tool, cause.modelTurn);
 */
export async function joinTranscripts({ dir, transactions }: JoinTranscriptsParameters): Promise<TranscriptJoin> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((file) => file.endsWith(".jsonl")).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") files = [];
    else throw error;
  }
  const causes = new Map<string, TransactionCause>();
  const refusals: GuardRefusalEntry[] = [];
  for (const file of files) {
    const tasks = new Map<string, string>();
    /** Model turns by run and step: the text and the tool calls it asked for. */
    const turns = new Map<string, { content: string; callIds: Set<string> }>();
    const pendingTools: Extract<TranscriptEntry, { type: "tool" }>[] = [];
    const lines = createInterface({
      input: createReadStream(join(dir, file), { encoding: "utf8" }),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let entry: TranscriptEntry;
      try {
        entry = JSON.parse(line) as TranscriptEntry;
      } catch {
        continue;
      }
      if (entry.type === "run") tasks.set(entry.runId, entry.task);
      else if (entry.type === "model") {
        turns.set(`${entry.runId}:${entry.step}`, {
          content: entry.content,
          callIds: new Set((entry.toolCalls ?? []).map((call) => call.id)),
        });
      } else if (entry.type === "tool" && Array.isArray(entry.txHashes) && entry.txHashes.length > 0)
        pendingTools.push(entry);
      if (entry.type === "tool" && typeof entry.data?.refusedBy === "string") {
        const { runId, step, name: tool, callId, message } = entry;
        refusals.push({ file, runId, task: tasks.get(runId), step, tool, callId, rule: entry.data.refusedBy, message });
      }
    }
    for (const tool of pendingTools) {
      const turn = turns.get(`${tool.runId}:${tool.step}`);
      const text = turn?.callIds.has(tool.callId) ? turn.content : undefined;
      for (const hash of tool.txHashes) {
        const key = hash.toLowerCase();
        const known = causes.get(key);
        if (known) {
          known.claimedBy++;
          continue;
        }
        causes.set(key, {
          txHash: hash,
          file,
          runId: tool.runId,
          task: tasks.get(tool.runId),
          step: tool.step,
          tool: tool.name,
          callId: tool.callId,
          modelTurn: text === undefined ? undefined : text.length > TURN_TEXT ? `${text.slice(0, TURN_TEXT)}…` : text,
          claimedBy: 1,
        });
      }
    }
  }
  const mine = new Set(transactions.map((hash) => hash.toLowerCase()));
  const attributed: TransactionCause[] = [];
  const unattributed: Hash[] = [];
  for (const hash of transactions) {
    const cause = causes.get(hash.toLowerCase());
    if (cause) attributed.push(cause);
    else unattributed.push(hash);
  }
  const notFound = [...causes.values()]
    .filter((cause) => !mine.has(cause.txHash.toLowerCase()))
    .map((cause) => cause.txHash);
  return { files: files.length, refusals, attributed, unattributed, notFound };
}
