import { GuildError } from "./GuildError.js";

/**
 * Why the spending guard refused. Hard limits refuse at once: `no-limit`, `per-transaction`, `per-period`,
 * `allowlist`, `task-budget`, `open-stakes`. The rest are refused because a person had to approve and
 * did not: `approval` (above the threshold), `untrusted-payee` (an address that came only from untrusted
 * content), `no-verdict` (a stake or an approval of a delivery that no verdict of this agent backs).
 */
export type GuardRule =
  | "no-limit"
  | "per-transaction"
  | "per-period"
  | "allowlist"
  | "task-budget"
  | "open-stakes"
  | "approval"
  | "untrusted-payee"
  | "no-verdict";

/** What was refused, for the model's tool result, the transcript and the audit. Amounts as decimal text. */
export type Refusal = {
  rule: GuardRule;
  action: string;
  amount: string;
  token: string;
  payee?: string;
  jobId?: string;
  taskId: string;
};

/** The spending guard refused a payment, stake, escrow funding or release. Nothing was sent. */
export class SpendingRefusedError extends GuildError {
  override name = "SpendingRefusedError";
  readonly rule: GuardRule;
  readonly refusal: Refusal | undefined;

  constructor(rule: GuardRule, message: string, refusal?: Refusal) {
    super(message);
    this.rule = rule;
    this.refusal = refusal;
  }
}
