import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import {
  type ClientCapabilities,
  ElicitResultSchema,
  type ServerNotification,
  type ServerRequest,
} from "@modelcontextprotocol/sdk/types.js";
import { APPROVAL_REASONS, type ApprovalRequest, type Approver } from "../guard/approvers.js";
import type { Logger } from "../log/createLogger.js";

/** How one approval request ended: the person's answer, or why nobody could give one. */
export type ApprovalOutcome =
  /** The person approved in the host's dialog. */
  | "accepted"
  /** The person said no (answered "approve: false", or declined the dialog). */
  | "declined"
  /** The person dismissed the dialog, or it timed out, or the host went away. */
  | "cancelled"
  /** The host does not support elicitation: nobody could be asked. */
  | "unsupported";

/** One MCP tool call in progress: how it reaches its host, and the approvals it asked for. */
export type McpCall = {
  extra: RequestHandlerExtra<ServerRequest, ServerNotification>;
  approvals: { request: ApprovalRequest; outcome: ApprovalOutcome }[];
};

/**
 * The tool call running now, through the async context: the guard calls the task's approver deep inside
 * a tool, and the question must travel on that call's own channel (its SSE stream over HTTP).
 */
export const currentMcpCall = new AsyncLocalStorage<McpCall>();

export type ElicitationApproverParameters = {
  /** What the session's client declared when it connected: whether it can show a form. */
  clientCapabilities: () => ClientCapabilities | undefined;
  /** The agent's wallet name and address, for the question. */
  agent: { name: string; address: string };
  /** Longest wait for the person's answer; then the request is refused. Default 10 minutes. */
  timeoutMs?: number;
  logger: Logger;
};

/**
 * An {@link Approver} that asks the host's user through MCP elicitation (a form with one yes/no field),
 * so the question reaches a person and never the model. Anything but an explicit yes refuses: a "no", a
 * dismissed dialog, a timeout, a host that went away, and a host without elicitation (recorded as
 * `unsupported` on the call, so the refusal can say where to approve instead).
 *
 * @example
 * const approver = elicitationApprover({ clientCapabilities: () => mcp.server.getClientCapabilities(), agent, logger });
 */
export function elicitationApprover({
  clientCapabilities,
  agent,
  timeoutMs = 10 * 60_000,
  logger,
}: ElicitationApproverParameters): Approver {
  return async (request) => {
    const call = currentMcpCall.getStore();
    const record = (outcome: ApprovalOutcome) => {
      call?.approvals.push({ request, outcome });
      logger.info(
        { approvalId: request.id, taskId: request.taskId, action: request.action, outcome },
        "approval asked",
      );
      return outcome === "accepted";
    };
    if (!call || !supportsFormElicitation(clientCapabilities())) return record("unsupported");
    try {
      const answer = await call.extra.sendRequest(
        {
          method: "elicitation/create",
          params: {
            mode: "form",
            message: approvalQuestion(request, agent),
            requestedSchema: {
              type: "object",
              properties: {
                approve: {
                  type: "boolean",
                  title: `Approve this ${request.action}`,
                  description: `Yes lets ${agent.name} ${request.action} ${request.amount} this once.`,
                  default: false,
                },
              },
              required: ["approve"],
            },
          },
        },
        ElicitResultSchema,
        { timeout: timeoutMs },
      );
      if (answer.action === "accept") return record(answer.content?.approve === true ? "accepted" : "declined");
      return record(answer.action === "decline" ? "declined" : "cancelled");
    } catch (error) {
      logger.warn({ err: error, approvalId: request.id }, "the approval question got no answer");
      return record("cancelled");
    }
  };
}

/**
 * True when a client said it can show a form (`elicitation: {}` means form, for older clients).
 *
 * @example
 * supportsFormElicitation({ elicitation: {} }); // true
 * supportsFormElicitation({}); // false
 */
export function supportsFormElicitation(capabilities: ClientCapabilities | undefined): boolean {
  const elicitation = capabilities?.elicitation;
  if (!elicitation) return false;
  return elicitation.form !== undefined || elicitation.url === undefined;
}

/**
 * What the person reads: who wants to do what, with how much, to whom, and why they are asked. The
 * facts come from the chain and the guard; the only words the model chose are quoted as such.
 *
 * @example
 * approvalQuestion(request, { name: "alice", address });
 * // 'Guild: your assistant wants agent alice (0x…) to pay 0.001 ETH to 0x… ("direct payment to 0x…"). You are asked because …'
 */
export function approvalQuestion(request: ApprovalRequest, agent: { name: string; address: string }): string {
  const to = request.counterparty ? ` to ${request.counterparty}` : "";
  const why = request.reasons.map((reason) => APPROVAL_REASONS[reason]).join("; ");
  const untrusted = request.reasons.includes("untrusted-payee")
    ? " The address came from the assistant, not from your configuration: check it character by character."
    : "";
  return `Guild: your assistant wants agent ${agent.name} (${agent.address}) to ${request.action} ${request.amount}${to} ("${request.description}"). You are asked because ${why}.${untrusted} Approve this once?`;
}
