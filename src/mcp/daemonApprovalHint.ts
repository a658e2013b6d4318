import { readFileSync } from "node:fs";
import { join } from "node:path";
import { guildPaths } from "../config/loadConfig.js";
import type { DaemonFile } from "../daemon/startDaemon.js";

/**
 * Where a person can approve when the MCP host cannot ask (no elicitation): the agent's daemon, whose
 * delegated tasks wait for a decision on its control API. Names the running daemon's URL when there is
 * one (from its daemon.json; never its token), else how to start it.
 *
 * @example
 * daemonApprovalHint(config.home, "alice");
 * // "… POST http://127.0.0.1:7410/tasks … GET http://127.0.0.1:7410/approvals … POST …/approvals/<id> {\"approved\": true} …"
 */
export function daemonApprovalHint(home: string, agentName: string): string {
  const apiUrl = runningDaemonUrl(home, agentName);
  const base = apiUrl ?? "http://127.0.0.1:<api-port>";
  const start = apiUrl
    ? ""
    : ` (no daemon of ${agentName} is running: start one with \`guild start --name ${agentName} --roles client --api-port <api-port>\`)`;
  return `This MCP host cannot show Guild's approval question (it does not support elicitation), so nobody could approve it. To approve such a request, give the task to ${agentName}'s daemon instead${start}: POST ${base}/tasks {"task": "<the task, with its budget>"}, then approve its request at the daemon's approval endpoint: GET ${base}/approvals lists it and POST ${base}/approvals/<id> {"approved": true} approves it (both with the daemon's bearer token).`;
}

function runningDaemonUrl(home: string, agentName: string): string | undefined {
  try {
    const file = JSON.parse(readFileSync(join(guildPaths(home).agent(agentName), "daemon.json"), "utf8")) as DaemonFile;
    if (typeof file.apiUrl !== "string" || !isAlive(file.pid)) return undefined;
    return file.apiUrl;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
