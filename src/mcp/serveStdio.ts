import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpSession, type McpAgent } from "./createMcpSession.js";

export type ServeStdioParameters = {
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  /** Aborting ends the session as a closed stdin does. */
  signal?: AbortSignal;
};

/**
 * Serves one MCP session over stdio (what a host does when it spawns `guild mcp`) until the host closes
 * stdin or `signal` aborts. Then the session ends cleanly: waits stop, unanswered approval questions are
 * refused, and a call that is already sending (a hire) finishes, so its job is on chain, before this
 * resolves.
 *
 * @example
 * await serveStdio(agent, { signal: controller.signal });
 */
export async function serveStdio(
  agent: McpAgent,
  { stdin = process.stdin, stdout = process.stdout, signal }: ServeStdioParameters = {},
): Promise<void> {
  const session = await createMcpSession(agent);
  const transport = new StdioServerTransport(stdin as typeof process.stdin, stdout as typeof process.stdout);
  const ended = new Promise<void>((resolve) => {
    stdin.once("end", resolve);
    stdin.once("close", resolve);
    transport.onclose = resolve;
    signal?.addEventListener("abort", () => resolve(), { once: true });
    if (signal?.aborted) resolve();
  });
  await session.mcp.connect(transport);
  await ended;
  if (session.inFlight() > 0) {
    agent.logger.info({ calls: session.inFlight() }, "the host went away: finishing the calls in progress");
  }
  await session.close();
}
