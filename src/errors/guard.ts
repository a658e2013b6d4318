import { GuildError } from "./GuildError.js";

export type GuardRule = "no-limit" | "per-transaction" | "per-period" | "allowlist" | "approval";

/** The spending guard refused a payment, stake or escrow funding. Nothing was sent. */
export class SpendingRefusedError extends GuildError {
  override name = "SpendingRefusedError";
  readonly rule: GuardRule;

  constructor(rule: GuardRule, message: string) {
    super(message);
    this.rule = rule;
  }
}
