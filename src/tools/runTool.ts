import { BaseError } from "viem";
import { z } from "zod";
import { GuildError } from "../errors/GuildError.js";
import { SpendingRefusedError } from "../errors/guard.js";
import { redact } from "../log/secrets.js";
import type { GuildTool, ToolContext, ToolFailureData, ToolResult } from "./GuildTool.js";

/**
 * Runs a tool on arguments from the model and never throws: malformed arguments, refusals and chain
 * errors all come back as `{ ok: false, message }` in one sentence the model can act on. A thrown error
 * also leaves its class in `data.error`, and a spending refusal its rule in `data.refusedBy` and what was
 * refused in `data.refusal`, so callers (transcripts, the audit, `guild ask`'s exit code) can tell a
 * refusal from a failure without reading the sentence.
 *
 * @example
 * const result = await runTool(payTool, { to, amount: "0.01" }, context);
 * if (!result.ok) console.log(result.message, result.data?.refusedBy);
 */
export async function runTool<D extends Record<string, unknown>>(
  tool: GuildTool<z.ZodObject, D>,
  rawArgs: unknown,
  context: ToolContext,
): Promise<ToolResult<D>> {
  const parsed = tool.schema.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join(".") || "arguments";
    return {
      ok: false,
      message: `Invalid ${field} for ${tool.name}: ${issue?.message ?? "malformed"}. Nothing was sent; fix the argument and call again.`,
    };
  }
  try {
    return await tool.invoke(parsed.data, context);
  } catch (error) {
    const message = redact(describe(error));
    // Refusals and reverts are expected answers; only surprises deserve a stack in the log.
    if (error instanceof GuildError) context.logger.info({ tool: tool.name, error: error.name }, message);
    else context.logger.warn({ tool: tool.name, err: error }, "tool failed unexpectedly");
    const data: ToolFailureData = { error: error instanceof Error ? error.name : "Error" };
    if (error instanceof SpendingRefusedError) {
      data.refusedBy = error.rule;
      if (error.refusal) data.refusal = error.refusal;
    }
    return { ok: false, message, data };
  }
}

function describe(error: unknown): string {
  if (error instanceof GuildError) return error.shortMessage;
  if (error instanceof BaseError) return error.shortMessage;
  if (error instanceof z.ZodError) return `Invalid arguments: ${error.issues[0]?.message ?? "malformed"}.`;
  return `Unexpected error: ${error instanceof Error ? error.message : String(error)}`;
}

/** The JSON a ToolMessage carries: `{ ok, message, txHash | txHashes, ...data }`, bigints as strings. */
export function serializeToolResult(result: ToolResult<Record<string, unknown>>): string {
  const hashes = result.txHashes ?? [];
  const body: Record<string, unknown> = {
    ok: result.ok,
    message: result.message,
    ...(hashes.length === 1 ? { txHash: hashes[0] } : hashes.length > 1 ? { txHashes: hashes } : {}),
    ...result.data,
  };
  return JSON.stringify(body, (_, value) => (typeof value === "bigint" ? value.toString() : value));
}
