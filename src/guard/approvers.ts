import { createInterface } from "node:readline";
import type { Address } from "viem";
import type { GuardRule } from "../errors/guard.js";

/** What a person is asked to approve. */
export type ApprovalRequest = {
  id: string;
  /** The task that asks (TaskContext.id). */
  taskId: string;
  action: string;
  /** Human-readable amount with symbol, e.g. "0.05 ETH". */
  amount: string;
  counterparty: Address | undefined;
  description: string;
  /** Why a person is asked: the rules that would refuse without an approval. */
  reasons: GuardRule[];
};

/**
 * Decides on an approval request; resolves true to allow. The one seam for a person's say: a terminal
 * prompt (`guild ask`), {@link denyAll} when nobody is there, a daemon's control API ({@link approvalQueue}),
 * or anything else that can ask (an MCP client's elicitation): one async function.
 */
export type Approver = (request: ApprovalRequest) => Promise<boolean>;

/** The reasons of an approval request in words, for the person asked. */
export const APPROVAL_REASONS: Record<GuardRule, string> = {
  "no-limit": "no limit is set for the token",
  "per-transaction": "above the per-transaction limit",
  "per-period": "above the per-period limit",
  allowlist: "not on the allowlist",
  "task-budget": "above the task's budget",
  "open-stakes": "above the open-stakes limit",
  approval: "above the approval threshold",
  "untrusted-payee": "the payee is not in your task, the allowlist or the address book",
  "no-verdict": "no check of this agent backs it",
};

/** Refuses everything: for runs with nobody to ask (scripts, CI, a daemon without its API). */
export const denyAll: Approver = async () => false;

/**
 * Asks on the terminal (stderr for the question, stdin for the answer); anything but "y" or "yes"
 * refuses. Without a terminal it refuses at once.
 */
export function terminalApprover({
  input = process.stdin,
  output = process.stderr,
}: {
  input?: NodeJS.ReadableStream & { isTTY?: boolean };
  output?: NodeJS.WritableStream;
} = {}): Approver {
  return async (request) => {
    if (!input.isTTY) return false;
    const rl = createInterface({ input, output });
    try {
      const to = request.counterparty ? ` to ${request.counterparty}` : "";
      const why = request.reasons.map((reason) => APPROVAL_REASONS[reason]).join("; ");
      const answer = await new Promise<string>((resolve) =>
        rl.question(
          `Approve ${request.action} of ${request.amount}${to} (${request.description}; ${why})? [y/N] `,
          resolve,
        ),
      );
      return /^y(es)?$/i.test(answer.trim());
    } finally {
      rl.close();
    }
  };
}

/**
 * Holds approval requests until something decides them (the daemon's `POST /approvals/:id`), or until
 * `timeoutMs` passes (refused).
 */
export type ApprovalQueue = {
  approver: Approver;
  pending: () => ApprovalRequest[];
  /** Decides a pending request; false when there is no such request. */
  decide: (id: string, approved: boolean) => boolean;
};

export function approvalQueue({ timeoutMs = 10 * 60_000 }: { timeoutMs?: number } = {}): ApprovalQueue {
  const waiting = new Map<
    string,
    { request: ApprovalRequest; resolve: (approved: boolean) => void; timer: NodeJS.Timeout }
  >();
  return {
    approver: (request) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiting.delete(request.id);
          resolve(false);
        }, timeoutMs);
        waiting.set(request.id, { request, resolve, timer });
      }),
    pending: () => [...waiting.values()].map((entry) => entry.request),
    decide(id, approved) {
      const entry = waiting.get(id);
      if (!entry) return false;
      waiting.delete(id);
      clearTimeout(entry.timer);
      entry.resolve(approved);
      return true;
    },
  };
}
