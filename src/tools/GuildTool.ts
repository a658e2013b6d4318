import type { Hash } from "viem";
import type { z } from "zod";
import type { GuildClient } from "../chain/GuildClient.js";
import type { GuardRule, Refusal } from "../errors/guard.js";
import type { SpendingGuard } from "../guard/createSpendingGuard.js";
import type { TaskContext } from "../guard/TaskContext.js";
import type { Logger } from "../log/createLogger.js";
import type { Skill } from "../skills/Skill.js";

/**
 * What a tool needs: the agent's chain client, its spending guard, the task it serves (budget, trusted
 * addresses, who approves), the skills it can check, and I/O.
 */
export type ToolContext = {
  client: GuildClient;
  guard: SpendingGuard;
  /** The task this call belongs to; one per `guild ask`, daemon task or MCP call. */
  task: TaskContext;
  /** Skills whose results can be re-computed to check a delivery. */
  skills: ReadonlyMap<string, Skill>;
  logger: Logger;
  /** Long waits (deliveries, check windows) report progress here. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** How often waits poll the chain, in milliseconds. Default 1,000. */
  pollIntervalMs?: number;
};

/** The data of a failed call: the error's class, and for a refusal its rule and what was refused. */
export type ToolFailureData = {
  error?: string;
  refusedBy?: GuardRule;
  refusal?: Refusal;
  [field: string]: unknown;
};

/**
 * What a tool answers the model: one clear sentence, the transactions it sent, and data fields (typed
 * `D` when it succeeded). Serialised to JSON for the ToolMessage.
 */
export type ToolResult<D extends Record<string, unknown> = Record<string, unknown>> =
  | { ok: true; message: string; txHashes?: Hash[]; data: D }
  | { ok: false; message: string; txHashes?: Hash[]; data?: ToolFailureData };

/**
 * What a tool can do with the agent's money. `value`: it pays, escrows, stakes or releases the agent's funds
 * to someone else, so every such call goes through the spending guard. `none`: it reads, or only finalises
 * what the contracts already decided (settling a check anyone may settle, claiming the agent's own stakes,
 * withdrawing its credits to itself). test/tools/allTools.test.ts checks each declaration on a real chain.
 */
export type ToolCapability = "none" | "value";

/** A tool is a plain record: a name, a description and a described zod schema the model reads, and a function. */
export type GuildTool<
  schema extends z.ZodObject = z.ZodObject,
  D extends Record<string, unknown> = Record<string, unknown>,
> = {
  name: string;
  description: string;
  schema: schema;
  moves: ToolCapability;
  // Method syntax on purpose: a list of tools with different schemas is then a list of GuildTool.
  invoke(args: z.infer<schema>, context: ToolContext): Promise<ToolResult<D>>;
};

/** Declares a tool with its argument types inferred from its schema and its data type from its results. */
export function defineTool<schema extends z.ZodObject, D extends Record<string, unknown>>(
  tool: GuildTool<schema, D>,
): GuildTool<schema, D> {
  return tool;
}
