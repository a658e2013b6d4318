import { randomUUID } from "node:crypto";
import { getAddress, type Address } from "viem";
import { formatAmount } from "../chain/amounts.js";
import type { TokenInfo } from "../chain/actions/getTokenInfo.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { type GuardRule, type Refusal, SpendingRefusedError } from "../errors/guard.js";
import { TransactionTimeoutError } from "../errors/transaction.js";
import type { Logger } from "../log/createLogger.js";
import { openStakes, spentSince } from "./chainSpending.js";
import type { NativePaymentLedger } from "./nativePaymentLedger.js";
import type { SpendingPolicy } from "./SpendingPolicy.js";
import type { TaskContext } from "./TaskContext.js";

/**
 * A value-moving action an agent wants to take. `pay`, `hire` and `stake` spend new money from the wallet
 * (they count toward every cap and the task's budget); `approve` releases a job's escrowed budget to its
 * provider (counted when it was escrowed, so it needs only a reason). Tools fill these fields from the
 * chain and from the task context, never from the model's word alone.
 */
export type SpendRequest =
  | { action: "pay"; token: TokenInfo; amount: bigint; payee: Address; description: string }
  | {
      action: "hire";
      token: TokenInfo;
      amount: bigint;
      payee: Address;
      /** The provider sells the skill in the registry and the job is judged by the staked check. */
      checkedRegistryHire: boolean;
      description: string;
    }
  | { action: "stake"; token: TokenInfo; amount: bigint; jobId: bigint; pass: boolean; description: string }
  | {
      action: "approve";
      token: TokenInfo;
      amount: bigint;
      jobId: bigint;
      payee: Address;
      /** The staked check on the job has already decided pass (read from the chain). */
      checkPassed: boolean;
      description: string;
    };

/**
 * Checks every value-moving action before anything is sent, whatever the model says. Hard limits refuse
 * at once: the per-transaction cap, the task's budget, the per-period cap (what the chain shows was spent
 * in the period), the open-stakes limit and the allowlist. Then a person must approve (through the task's
 * {@link TaskContext.approver}) when the payee of a direct payment came only from untrusted content, when a
 * stake or an approval of a delivery is backed by no verdict of this agent, or when the amount is above
 * the approval threshold. Actions run one at a time per account and chain, across every guard of this
 * process, so two concurrent calls cannot both fit under one cap (other processes spending from the same
 * wallet are only seen once their transactions are on the chain).
 */
export type SpendingGuard = {
  policy: SpendingPolicy;
  /** Runs `action` if the request passes for `task`; throws {@link SpendingRefusedError} (nothing sent) if not. */
  run: <T>(task: TaskContext, request: SpendRequest, action: () => Promise<T>) => Promise<T>;
  /** What was spent in the current period, per token (from the chain). */
  spentInPeriod: () => Promise<Map<Address, bigint>>;
  /** Stakes not claimed yet, per token (from the chain). */
  openStakes: () => Promise<Map<Address, bigint>>;
  ledger: NativePaymentLedger;
};

export type CreateSpendingGuardParameters = {
  reader: GuildReader;
  account: Address;
  policy: SpendingPolicy;
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
 * const guard = createSpendingGuard({ reader, account, policy, ledger, logger });
 * const task = createTaskContext({ text: `Pay 0.01 ETH to ${bob}`, policy, approver: terminalApprover() });
 * await guard.run(task, { action: "pay", token, amount, payee: bob, description: "pay bob" }, () => sendPayment(...));
 */
export function createSpendingGuard({
  reader,
  account,
  policy,
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

  async function authorize(task: TaskContext, request: SpendRequest): Promise<void> {
    const key = getAddress(request.token.address);
    const { symbol, decimals } = request.token;
    const show = (amount: bigint) => formatAmount(amount, decimals, symbol);
    const payee = "payee" in request ? getAddress(request.payee) : undefined;
    const refusal = (rule: GuardRule): Refusal => ({
      rule,
      action: request.action,
      amount: formatAmount(request.amount, decimals),
      token: symbol,
      ...(payee ? { payee } : {}),
      ...("jobId" in request ? { jobId: request.jobId.toString() } : {}),
      taskId: task.id,
    });
    const refuse = (rule: GuardRule, why: string): never => {
      log.warn({ ...refusal(rule), taskId: task.id }, "spending refused");
      throw new SpendingRefusedError(rule, `Refused by the spending policy: ${why} Nothing was sent.`, refusal(rule));
    };

    /** Reasons a person must approve, with the rule a refusal then names. */
    const asks: { rule: GuardRule; why: string }[] = [];
    if (request.action === "approve") {
      const own = task.verdicts.get(request.jobId);
      if (!request.checkPassed && own?.verdict !== "pass") {
        asks.push({
          rule: "no-verdict",
          why: `approving job ${request.jobId} pays its provider, so it needs a pass from verify_delivery or from the staked check on that job${own ? ` (verify_delivery found it ${own.verdict})` : " (verify_delivery was not run on it in this task)"}, or a person's approval, and no person approved.`,
        });
      }
    } else {
      if (request.amount <= 0n) refuse("per-transaction", `${show(request.amount)} is not a positive amount.`);
      if (policy.allowlist && payee && !policy.allowlist.has(payee)) {
        refuse("allowlist", `${payee} is not on the allowlist (GUILD_ALLOWLIST).`);
      }
      const perTx = policy.perTransaction.get(key);
      if (!perTx)
        refuse("no-limit", `no spending limit is set for ${symbol}; add one to GUILD_MAX_PER_TX to allow it.`);
      if (perTx && request.amount > perTx.amount) {
        refuse(
          "per-transaction",
          `${show(request.amount)} is above the per-transaction limit of ${show(perTx.amount)}.`,
        );
      }
      if (task.budget) {
        const budget = task.budget.limits.get(key)?.amount ?? 0n;
        const spent = task.spent.get(key) ?? 0n;
        if (task.budget.source === "read-only") {
          refuse(
            "task-budget",
            `this task asked for nothing that costs money, so it may not ${request.action}; to spend, ask again with a budget (e.g. "... Budget 0.01 ${symbol}").`,
          );
        }
        if (spent + request.amount > budget) {
          refuse(
            "task-budget",
            `this task may spend ${show(budget)} in all (${task.budget.source === "stated" ? "its stated budget" : task.budget.source === "named" ? "the amounts it names" : "GUILD_MAX_PER_TASK"}) and has spent ${show(spent)}; ${show(request.amount)} more would pass it.`,
          );
        }
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
      if (request.action === "stake") {
        const limit = policy.maxOpenStakes.get(key);
        if (limit) {
          const open = (await openStakes(reader, { account })).get(key) ?? 0n;
          if (open + request.amount > limit.amount) {
            refuse(
              "open-stakes",
              `${show(open)} is already staked on checks not yet claimed; ${show(request.amount)} more would pass the open-stakes limit of ${show(limit.amount)} (GUILD_MAX_OPEN_STAKES).`,
            );
          }
        }
        const side = request.pass ? "pass" : "fail";
        const own = task.verdicts.get(request.jobId);
        if (own?.verdict !== side) {
          asks.push({
            rule: "no-verdict",
            why: own
              ? `this agent's own check found job ${request.jobId} ${own.verdict}, so a stake on ${side} needs a person's approval, and it was not given.`
              : `a stake on job ${request.jobId} goes to whoever wins the other side, so it needs this agent's own verdict on the job (call verify_delivery first) or a person's approval, and neither was given.`,
          });
        }
      }
      const registryHire = request.action === "hire" && request.checkedRegistryHire;
      if (
        (request.action === "pay" || request.action === "hire") &&
        payee &&
        !registryHire &&
        !task.trusted.has(payee)
      ) {
        asks.push({
          rule: "untrusted-payee",
          why: `${payee} is not written in your task, the allowlist or the address book (an address from a tool result, a job or a delivery is not enough), and a person did not approve paying it.`,
        });
      }
      const threshold = policy.approvalAbove.get(key);
      if (threshold && request.amount > threshold.amount) {
        asks.push({
          rule: "approval",
          why: `${show(request.amount)} needs a person's approval, and it was not given.`,
        });
      }
    }
    const [first] = asks;
    if (!first) return;
    const approved = await task.approver({
      id: randomUUID(),
      taskId: task.id,
      action: request.action,
      amount: show(request.amount),
      counterparty: payee,
      description: request.description,
      reasons: asks.map((ask) => ask.rule),
    });
    if (!approved) refuse(first.rule, first.why);
    log.info({ ...refusal(first.rule), reasons: asks.map((ask) => ask.rule) }, "spending approved by a person");
  }

  return {
    policy,
    ledger,
    spentInPeriod,
    openStakes: () => openStakes(reader, { account }),
    run<T>(task: TaskContext, request: SpendRequest, action: () => Promise<T>): Promise<T> {
      const run = async () => {
        await authorize(task, request);
        if (request.action === "approve") return action();
        const key = getAddress(request.token.address);
        const count = () => task.spent.set(key, (task.spent.get(key) ?? 0n) + request.amount);
        try {
          const result = await action();
          count();
          return result;
        } catch (error) {
          // Sent but unconfirmed: it may still be mined, so the task's budget counts it.
          if (error instanceof TransactionTimeoutError) count();
          throw error;
        }
      };
      const result = (queues.get(queueKey) ?? Promise.resolve()).then(run, run);
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
