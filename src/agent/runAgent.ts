import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { type AIMessage, HumanMessage, SystemMessage, ToolMessage, type BaseMessage } from "@langchain/core/messages";
import type { Hash } from "viem";
import type { Logger } from "../log/createLogger.js";
import type { GuildTool, ToolContext, ToolResult } from "../tools/GuildTool.js";
import { runTool, serializeToolResult } from "../tools/runTool.js";
import { collectToolCallTransactions } from "../tools/toolCallTransactions.js";
import { toLangChainTools } from "../tools/toLangChainTools.js";
import type { Transcript } from "./transcript.js";

export type RunAgentParameters = {
  task: string;
  model: BaseChatModel;
  tools: readonly GuildTool[];
  context: ToolContext;
  systemPrompt: string;
  transcript: Transcript;
  logger: Logger;
  /** Model turns before giving up. Default 20. */
  maxSteps?: number;
};

export type RunAgentReturnType = {
  answer: string;
  steps: number;
  toolCalls: number;
  /** Every transaction the run's tools sent, in order. */
  txHashes: Hash[];
  finished: boolean;
};

/**
 * The agent's loop: the model sees the task and the tools, asks for tool calls, reads their results, and
 * ends with an answer. Tool calls run through {@link runTool} (arguments validated, errors returned as
 * results, never thrown); malformed and unknown calls are answered as errors so the model can correct
 * itself. Every turn and call goes to the transcript, with the hashes of the transactions each call sent
 * (what the tool reports, plus whatever the client submitted during it: see toolCallTransactions.ts).
 * If the model itself fails, the transcript gets an `end` line with the error and the error is rethrown.
 *
 * @example
 * const { answer } = await runAgent({ task: "Report spending", model, tools: ALL_TOOLS, context, systemPrompt, transcript, logger });
 */
export async function runAgent({
  task,
  model,
  tools,
  context,
  systemPrompt,
  transcript,
  logger,
  maxSteps = 20,
}: RunAgentParameters): Promise<RunAgentReturnType> {
  const log = logger.child({ module: "agent", runId: transcript.runId });
  if (!model.bindTools) throw new Error("The chat model cannot call tools.");
  const bound = model.bindTools(toLangChainTools(tools, context));
  const byName = new Map(tools.map((tool) => [tool.name, tool]));
  const messages: BaseMessage[] = [new SystemMessage(systemPrompt), new HumanMessage(task)];
  const txHashes: Hash[] = [];
  let toolCalls = 0;

  let step = 0;
  try {
    for (step = 1; step <= maxSteps; step++) {
      const reply = (await bound.invoke(messages)) as AIMessage;
      messages.push(reply);
      const calls = reply.tool_calls ?? [];
      const invalid = reply.invalid_tool_calls ?? [];
      transcript.write({
        type: "model",
        step,
        content: textOf(reply),
        toolCalls: calls.map((call) => ({ id: call.id ?? "", name: call.name, args: call.args })),
        invalidToolCalls: invalid.map((call) => ({
          id: call.id ?? "",
          name: call.name ?? "",
          args: call.args ?? "",
          error: call.error ?? "",
        })),
      });
      if (calls.length === 0 && invalid.length === 0) {
        const answer = textOf(reply);
        transcript.write({ type: "end", answer, steps: step, txHashes });
        return { answer, steps: step, toolCalls, txHashes, finished: true };
      }
      for (const call of calls) {
        toolCalls++;
        const tool = byName.get(call.name);
        const unknownTool: ToolResult = {
          ok: false,
          message: `There is no tool named ${call.name}; use one of: ${[...byName.keys()].join(", ")}. Nothing was done.`,
        };
        const { value, sent } = await collectToolCallTransactions(async () =>
          tool ? runTool(tool, call.args, context) : unknownTool,
        );
        let result: ToolResult = value;
        // What the client really sent during the call, also when the tool failed after sending something.
        const hashes = [...new Set([...(result.txHashes ?? []), ...sent])];
        if (hashes.length > 0) result = { ...result, txHashes: hashes };
        txHashes.push(...hashes);
        log.info({ step, tool: call.name, ok: result.ok, txHashes: hashes }, result.message);
        transcript.write({
          type: "tool",
          step,
          callId: call.id ?? "",
          name: call.name,
          args: call.args,
          ok: result.ok,
          message: result.message,
          txHashes: hashes,
          data: result.data ?? {},
        });
        messages.push(
          new ToolMessage({ content: serializeToolResult(result), tool_call_id: call.id ?? "", name: call.name }),
        );
      }
      for (const call of invalid) {
        // LangChain's parse error runs to several lines (with a troubleshooting URL); the first says what is wrong.
        const why =
          call.error
            ?.split("\n")[0]
            ?.replace(/^Error:\s*/, "")
            .trim() || "unparseable";
        const message = `The arguments of your ${call.name ?? "tool"} call were not valid JSON (${why}). Nothing was done; call it again with a JSON object.`;
        transcript.write({
          type: "tool",
          step,
          callId: call.id ?? "",
          name: call.name ?? "",
          args: call.args ?? "",
          ok: false,
          message,
          txHashes: [],
          data: {},
        });
        messages.push(
          new ToolMessage({
            content: serializeToolResult({ ok: false, message }),
            tool_call_id: call.id ?? "",
            name: call.name ?? "invalid",
          }),
        );
      }
    }
  } catch (error) {
    // The model (or the network to it) failed: the transcript still ends, saying why, then the caller decides.
    const reason = error instanceof Error ? error.message : String(error);
    transcript.write({ type: "end", answer: "", steps: step, txHashes, error: reason });
    throw error;
  }
  const answer = `Stopped after ${maxSteps} model turns without finishing the task.`;
  transcript.write({ type: "end", answer, steps: maxSteps, txHashes });
  return { answer, steps: maxSteps, toolCalls, txHashes, finished: false };
}

function textOf(message: AIMessage): string {
  if (typeof message.content === "string") return message.content;
  return message.content
    .map((part) => (typeof part === "string" ? part : "text" in part && typeof part.text === "string" ? part.text : ""))
    .join("");
}
