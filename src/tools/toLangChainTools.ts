import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import type { GuildTool, ToolContext, ToolResult } from "./GuildTool.js";
import { runTool, serializeToolResult } from "./runTool.js";

/**
 * Adapts Guild's tool records to LangChain tools. Each returns the JSON of its {@link ToolResult} and never
 * throws; `onResult` sees every call (for transcripts).
 */
export function toLangChainTools(
  tools: readonly GuildTool[],
  context: ToolContext,
  onResult?: (name: string, args: unknown, result: ToolResult) => void,
): StructuredToolInterface[] {
  return tools.map((guildTool) =>
    tool(
      async (args: unknown) => {
        const result = await runTool(guildTool, args, context);
        onResult?.(guildTool.name, args, result);
        return serializeToolResult(result);
      },
      { name: guildTool.name, description: guildTool.description, schema: guildTool.schema },
    ),
  );
}
