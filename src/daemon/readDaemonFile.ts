import { readFileSync } from "node:fs";
import { join } from "node:path";
import { guildPaths } from "../config/loadConfig.js";
import type { DaemonFile } from "./startDaemon.js";

/**
 * What a running daemon of `agentName` wrote to its `daemon.json` (URL, token, pid), or undefined when there is none
 * or it cannot be read.
 *
 * @example
 * const daemon = readDaemonFile(config.home, "alice"); // { apiUrl: "http://127.0.0.1:7410", token: "…", pid: 4242, … }
 */
export function readDaemonFile(home: string, agentName: string): DaemonFile | undefined {
  try {
    return JSON.parse(readFileSync(join(guildPaths(home).agent(agentName), "daemon.json"), "utf8")) as DaemonFile;
  } catch {
    return undefined;
  }
}
