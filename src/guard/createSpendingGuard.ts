import { randomUUID } from "node:crypto";
import { getAddress, type Address } from "viem";
import { formatAmount } from "../chain/amounts.js";
import type { TokenInfo } from "../chain/actions/getTokenInfo.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { SpendingRefusedError } from "../errors/guard.js";
import type { Logger } from "../log/createLogger.js";
import type { Approver } from "./approvers.js";
import { spentSince } from "./chainSpending.js";
import type { NativePaymentLedger } from "./nativePaymentLedger.js";
import type { SpendingPolicy } from "./SpendingPolicy.js";

/** A payment, stake or escrow funding an agent wants to make. */
export type SpendRequest = {
  action: "pay" | "hire" | "stake";
  token: TokenInfo;
  amount: bigint;
  /** Who gets the money in the end (payee, hired provider); undefined for stakes. */
  counterparty: Address | undefined;
  description: string;
};

/**
 * Checks every value-moving action against the agent's policy before anything is sent, whatever the
 * model says: the per-transaction cap, the per-period cap (counting what the chain shows was spent in
 * the period, plus what is in flight), the counterparty allowlist, and a person's approval above a
 * threshold. Actions run one at a time per account and chain, across every guard of this process, so
 * two concurrent calls cannot both fit under one cap (other processes spending from the same wallet are
 * only seen once their transactions are on the chain).
 */
export type SpendingGuard = {
  policy: SpendingPolicy;
  /** Runs `action` if the request passes; throws {@link SpendingRefusedError} (nothing sent) if not. */
  run: <T>(request: SpendRequest, action: () => Promise<T>) => Promise<T>;
  /** What was spent in the current period, per token (from the chain). */
  spentInPeriod: () => Promise<Map<Address, bigint>>;
  ledger: NativePaymentLedger;
};

export type CreateSpendingGuardParameters = {
  reader: GuildReader;
  account: Address;
  policy: SpendingPolicy;
  approver: Approver;
  ledger: NativePaymentLedger;
  logger: Logger;
  /** Current time in seconds (injected for tests); default: the latest block's timestamp. */
  now?: () => Promise<bigint>;
};

// One queue per chain and account, shared by every guard in the process (two agents built on one wallet,
// the daemon and a command): a check and the spending it allows run before the next check reads the chain.
const queues = new Map<string, Promise<unknown>>();

/**
 * @example
 * const guard = createSpendingGuard({ reader, account, policy, approver: terminalApprover(), ledger, logger });
 * await guard.run({ action: "pay", token, amount, counterparty: to, description: "pay bob" }, () => sendPayment(...));
 */
export function createSpendingGuard({
  reader,
  account,
  policy,
  approver,
  ledger,
  logger,
  now,
}: CreateSpendingGuardParameters): SpendingGuard {
  const log = logger.child({ module: "guard" });
  const queueKey = `${reader.connection.chainId}:${getAddress(account)}`;
  const clock = now ?? (async () => (await reader.connection.publicClient.getBlock({ blockTag: "latest" })).timestamp);

  async function spentInPeriod(): Promise<Map<Address, bigint>> {
    const since = (await clock()) - BigInt(policy.periodSeconds);
    const tokens = [...new Set([...policy.perPeriod.keys(), ...policy.perTransaction.keys()])];
    return spentSince(reader, { account, sinceTimestamp: since, tokens, ledger });
  }

  async function authorize(request: SpendRequest): Promise<void> {
    const key = getAddress(request.token.address);
    const { symbol, decimals } = request.token;
    const show = (amount: bigint) => formatAmount(amount, decimals, symbol);
    const refuse = (rule: ConstructorParameters<typeof SpendingRefusedError>[0], why: string) => {
      log.warn({ rule, action: request.action, amount: request.amount.toString(), token: key }, "spending refused");
      throw new SpendingRefusedError(rule, `Refused by the spending policy: ${why} Nothing was sent.`);
    };
    if (request.amount <= 0n) refuse("per-transaction", `${show(request.amount)} is not a positive amount.`);
    if (policy.allowlist && request.counterparty && !policy.allowlist.has(getAddress(request.counterparty))) {
      refuse("allowlist", `${request.counterparty} is not on the allowlist (GUILD_ALLOWLIST).`);
    }
    const perTx = policy.perTransaction.get(key);
    if (!perTx) refuse("no-limit", `no spending limit is set for ${symbol}; add one to GUILD_MAX_PER_TX to allow it.`);
    if (perTx && request.amount > perTx.amount) {
      refuse("per-transaction", `${show(request.amount)} is above the per-transaction limit of ${show(perTx.amount)}.`);
    }
    const perPeriod = policy.perPeriod.get(key);
    if (perPeriod) {
      const spent = (await spentInPeriod()).get(key) ?? 0n;
      if (spent + request.amount > perPeriod.amount) {
        const hours = policy.periodSeconds / 3_600;
        refuse(
          "per-period",
          `${show(spent)} was already spent in the last ${hours} hours; ${show(request.amount)} more would pass the limit of ${show(perPeriod.amount)}.`,
        );
      }
    }
    const threshold = policy.approvalAbove.get(key);
    if (threshold && request.amount > threshold.amount) {
      const approved = await approver({
        id: randomUUID(),
        action: request.action,
        amount: show(request.amount),
        counterparty: request.counterparty,
        description: request.description,
      });
      if (!approved) refuse("approval", `${show(request.amount)} needs a person's approval, and it was not given.`);
      log.info(
        { action: request.action, amount: request.amount.toString(), token: key },
        "spending approved by a person",
      );
    }
  }

  return {
    policy,
    ledger,
    spentInPeriod,
    run<T>(request: SpendRequest, action: () => Promise<T>): Promise<T> {
      const task = async () => {
        await authorize(request);
        return action();
      };
      const result = (queues.get(queueKey) ?? Promise.resolve()).then(task, task);
      const tail = result.catch(() => undefined);
      queues.set(queueKey, tail);
      // Forget the queue once it drains, so the map does not grow with every account ever used.
      void tail.then(() => {
        if (queues.get(queueKey) === tail) queues.delete(queueKey);
      });
      return result;
    },
  };
}
