import { createInterface } from "node:readline";
import type { Address } from "viem";

/** What a person is asked to approve. */
export type ApprovalRequest = {
  id: string;
  action: string;
  /** Human-readable amount with symbol, e.g. "0.05 ETH". */
  amount: string;
  counterparty: Address | undefined;
  description: string;
};

/** Decides on an approval request; resolves true to allow. */
export type Approver = (request: ApprovalRequest) => Promise<boolean>;

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
      const answer = await new Promise<string>((resolve) =>
        rl.question(`Approve ${request.action} of ${request.amount}${to} (${request.description})? [y/N] `, resolve),
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
