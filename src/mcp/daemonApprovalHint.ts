import { isProcessAlive } from "../chain/isProcessAlive.js";
import { readDaemonFile } from "../daemon/readDaemonFile.js";

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
  const file = readDaemonFile(home, agentName);
  return file && typeof file.apiUrl === "string" && isProcessAlive(file.pid) ? file.apiUrl : undefined;
}
