import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import type { GuildTool, ToolResult } from "../tools/GuildTool.js";
import { serializeToolResult } from "../tools/runTool.js";

/**
 * A Guild tool as MCP lists it: the same name, description and zod schema the LangChain loop uses
 * (src/tools/toLangChainTools.ts), the schema converted to JSON Schema as the caller writes the
 * arguments (amounts and job ids accept strings or numbers). Tools that move value say so in their
 * annotations, so a host may ask its user before calling them.
 *
 * @example
 * const listed = ALL_TOOLS.map(mcpToolDefinition); // tools/list
 */
export function mcpToolDefinition(tool: GuildTool): Tool {
  const schema = z.toJSONSchema(tool.schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  const { $schema: _dialect, ...inputSchema } = schema;
  return {
    name: tool.name,
    description: tool.description,
    inputSchema: { ...inputSchema, type: "object" },
    annotations: {
      title: tool.name.replaceAll("_", " "),
      // Value tools pay, escrow or stake the agent's money: nothing a host should repeat without asking.
      destructiveHint: tool.moves === "value",
      idempotentHint: false,
      openWorldHint: true,
    },
    _meta: { "guild/moves": tool.moves },
  };
}

/**
 * A tool's result as MCP returns it: the one-line sentence as text, the whole result (`ok`, `message`,
 * `txHash(es)` and the data fields, bigints as strings) as structured content, and `isError` when the
 * call failed or was refused, so the host's model sees the sentence and can correct itself.
 *
 * @example
 * return toCallToolResult(await runTool(payTool, args, context));
 */
export function toCallToolResult(result: ToolResult): CallToolResult {
  const structured = JSON.parse(serializeToolResult(result)) as Record<string, unknown>;
  return {
    content: [{ type: "text", text: result.message }],
    structuredContent: structured,
    ...(result.ok ? {} : { isError: true }),
  };
}
