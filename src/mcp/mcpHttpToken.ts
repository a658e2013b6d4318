import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { readDaemonFile } from "../daemon/readDaemonFile.js";
import { registerSecret } from "../log/secrets.js";

/** What `<agent folder>/mcp.json` tells a host or script about a running `guild mcp --http` (mode 0600). */
export type McpHttpFile = { pid: number; name: string; url: string; token: string; startedAt: string };

/**
 * The bearer token of `guild mcp --http`: the daemon's control API token, made the same way. GUILD_API_TOKEN
 * when set (what daemons use); else the token of the agent's running daemon (its daemon.json), so one
 * secret opens both; else a fresh random one. Registered as a secret: logs and errors never show it.
 *
 * @example
 * const { token, source } = mcpHttpToken(config, "alice"); // source: "GUILD_API_TOKEN" | "daemon.json" | "random"
 */
export function mcpHttpToken(
  config: GuildConfig,
  agentName: string,
): { token: string; source: "GUILD_API_TOKEN" | "daemon.json" | "random" } {
  const found = config.apiToken
    ? { token: config.apiToken, source: "GUILD_API_TOKEN" as const }
    : (daemonToken(config.home, agentName) ?? { token: randomBytes(24).toString("hex"), source: "random" as const });
  registerSecret(found.token);
  return found;
}

/**
 * Writes `<agent folder>/mcp.json` (mode 0600: it holds the token); returns its path and a remover.
 *
 * @example
 * const file = writeMcpHttpFile(config.home, { pid: process.pid, name: "alice", url, token, startedAt });
 * // … on exit: file.remove();
 */
export function writeMcpHttpFile(home: string, file: McpHttpFile): { path: string; remove: () => void } {
  const dir = guildPaths(home).agent(file.name);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, "mcp.json");
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { path, remove: () => rmSync(path, { force: true }) };
}

function daemonToken(home: string, agentName: string): { token: string; source: "daemon.json" } | undefined {
  const file = readDaemonFile(home, agentName);
  return typeof file?.token === "string" && file.token.length >= 16
    ? { token: file.token, source: "daemon.json" }
    : undefined;
}
