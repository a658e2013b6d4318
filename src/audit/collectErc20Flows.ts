import type { Address } from "viem";
import type { Flow } from "./AuditReport.js";

/**
 * An ERC-20 movement a Guild event announced earlier in the same transaction: the `Transfer` log that
 * carries it gets the event's category and job.
 */
export type TransferExpectation = {
  /** Lower-case token address. */
  token: string;
  direction: "in" | "out";
  /** Lower-case address of the Guild contract on the other side of the transfer. */
  contract: string;
  amount: bigint;
  /** The flows the transfer stands for (a stake claim pays principal and reward in one transfer). */
  flows: Flow[];
  event: string;
  /** Set for escrow payouts, which a later `PayoutCredited` may cancel. */
  payoutJobId: bigint | undefined;
};

/**
 * The flows an ERC-20 `Transfer` to or from the agent stands for: those of the first Guild event of the same
 * transaction that announced this movement (same token, direction, contract and amount), which is then
 * consumed; undefined when none did (a direct transfer).
 *
 * @example
 * const flows = classifyTransfer(expectations, { token, direction: "out", counterparty: escrow, amount });
 */
export function classifyTransfer(
  expectations: TransferExpectation[],
  transfer: { token: Address; direction: "in" | "out"; counterparty: Address; amount: bigint },
): Flow[] | undefined {
  const token = transfer.token.toLowerCase();
  const counterparty = transfer.counterparty.toLowerCase();
  const index = expectations.findIndex(
    (entry) =>
      entry.token === token &&
      entry.direction === transfer.direction &&
      entry.contract === counterparty &&
      entry.amount === transfer.amount,
  );
  if (index < 0) return undefined;
  const [match] = expectations.splice(index, 1);
  return match?.flows;
}
