import { InvalidInputError } from "../../errors/input.js";
import { mcpHttpToken, writeMcpHttpFile } from "../../mcp/mcpHttpToken.js";
import { openMcpAgent } from "../../mcp/openMcpAgent.js";
import { serveHttp } from "../../mcp/serveHttp.js";
import { serveStdio } from "../../mcp/serveStdio.js";
import { redact } from "../../log/secrets.js";
import type { GuildConnection } from "../../chain/connectGuild.js";
import { type CliContext, createCliContext } from "../cliContext.js";
import { auditCommand } from "./auditCommand.js";
import { EXIT } from "../exitCodes.js";

export type McpOptions = {
  /** The agent's wallet name. */
  as: string;
  /** Serve Streamable HTTP on this port of 127.0.0.1 instead of stdio. */
  http?: string;
  /** What each session may spend in all, e.g. "0.01 ETH, 5 gUSD"; default GUILD_MAX_PER_TASK. */
  budget?: string;
  /** Comma-separated payees the operator trusts for direct payments. */
  trust?: string;
};

/**
 * `guild mcp --as alice [--http <port>] [--budget "0.01 ETH"] [--trust 0x…,0x…]`: serves agent alice's
 * Guild tools and resources over MCP, on stdio (a host spawns it) or on Streamable HTTP behind the
 * daemon's bearer token, until the host disconnects or SIGINT/SIGTERM. Nothing but the protocol goes to
 * stdout; people's lines and logs go to stderr. Exit codes (src/cli/exitCodes.ts): 0 the host
 * disconnected or the server was stopped; 2 bad usage; 3 the chain is unreachable or Guild is not
 * deployed (run `guild chain`, or set GUILD_RPC_URL); 1 anything else.
 *
 * @example
 * const code = await mcpCommand(ctx, { as: "alice", budget: "0.01 ETH" }, { signal: controller.signal });
 */
export async function mcpCommand(
  ctx: CliContext,
  options: McpOptions,
  { signal }: { signal: AbortSignal },
): Promise<number> {
  const say = (line: string) => ctx.stderr.write(`${redact(line)}\n`);
  const http = options.http?.trim();
  const port = http === undefined ? undefined : Number(http);
  if (port !== undefined && !(http !== "" && Number.isInteger(port) && port >= 0 && port <= 65_535)) {
    throw new InvalidInputError(
      "http",
      `"${options.http}" is not a port`,
      "Give a number from 0 (any free port) to 65535.",
    );
  }
  const trust = (options.trust ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
  const { agent, guild } = await openMcpAgent({
    config: ctx.config,
    logger: ctx.logger,
    agentName: options.as,
    ...(options.budget === undefined ? {} : { budget: options.budget }),
    trust,
    say,
    readAudit: (reader, agentName) => auditJson(ctx, reader, agentName),
  });
  try {
    if (port === undefined) {
      say(
        `Guild MCP server for ${agent.name} (${agent.client.account.address}) on stdio, chain ${guild.connection.chainId}.`,
      );
      await serveStdio(agent, { signal });
      return EXIT.ok;
    }
    const { token, source } = mcpHttpToken(ctx.config, agent.name);
    const server = await serveHttp(agent, { port, token });
    const file = writeMcpHttpFile(ctx.config.home, {
      pid: process.pid,
      name: agent.name,
      url: server.url,
      token,
      startedAt: new Date().toISOString(),
    });
    const where =
      source === "GUILD_API_TOKEN"
        ? "GUILD_API_TOKEN"
        : source === "daemon.json"
          ? `the token of ${agent.name}'s daemon (its daemon.json), also in ${file.path}`
          : file.path;
    say(`Guild MCP server for ${agent.name} at ${server.url} (Streamable HTTP); bearer token: ${where}.`);
    try {
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      await server.close();
    } finally {
      file.remove();
    }
    return EXIT.ok;
  } finally {
    await guild.close();
  }
}

/** What `guild audit <agent> --json` prints, on the server's own connection (the guild://audit resource). */
async function auditJson(ctx: CliContext, reader: GuildConnection, agent: string): Promise<string> {
  let out = "";
  const audit = createCliContext(
    { json: true },
    {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: () => true },
      config: ctx.config,
      logger: ctx.logger,
    },
  );
  await auditCommand(audit, agent, {}, { reader });
  return out;
}
