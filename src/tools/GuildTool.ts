import type { Hash } from "viem";
import type { z } from "zod";
import type { GuildClient } from "../chain/GuildClient.js";
import type { SpendingGuard } from "../guard/createSpendingGuard.js";
import type { Logger } from "../log/createLogger.js";
import type { Skill } from "../skills/Skill.js";

/** What a tool needs: the agent's chain client, its spending guard, the skills it can check, and I/O. */
export type ToolContext = {
  client: GuildClient;
  guard: SpendingGuard;
  /** Skills whose results can be re-computed to check a delivery. */
  skills: ReadonlyMap<string, Skill>;
  logger: Logger;
  /** Long waits (deliveries, check windows) report progress here. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
  /** How often waits poll the chain, in milliseconds. Default 1,000. */
  pollIntervalMs?: number;
};

/**
 * What a tool answers the model: one clear sentence, the transactions it sent, and data fields.
 * Serialised to JSON for the ToolMessage.
 */
export type ToolResult = {
  ok: boolean;
  message: string;
  txHashes?: Hash[];
  data?: Record<string, unknown>;
};

/** A tool is a plain record: a name, a description and a described zod schema the model reads, and a function. */
export type GuildTool<schema extends z.ZodObject = z.ZodObject> = {
  name: string;
  description: string;
  schema: schema;
  invoke: (args: z.infer<schema>, context: ToolContext) => Promise<ToolResult>;
};

/** Declares a tool with its argument types inferred from its schema. */
export function defineTool<schema extends z.ZodObject>(tool: GuildTool<schema>): GuildTool<schema> {
  return tool;
}
