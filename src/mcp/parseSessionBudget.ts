import { getAddress, type Address } from "viem";
import { parseAmount } from "../chain/amounts.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { resolveToken } from "../chain/resolveToken.js";
import { InvalidInputError } from "../errors/input.js";
import type { SpendingPolicy, TokenLimit } from "../guard/SpendingPolicy.js";
import type { TaskBudget } from "../guard/TaskContext.js";

/**
 * The budget of an MCP session, from `guild mcp --budget` as the operator wrote it in the host's
 * configuration ("0.01", "0.01 ETH, 5 gUSD"): a stated budget. Without one, GUILD_MAX_PER_TASK (the
 * default per-task cap). Never from a tool call: the host's model must not choose what it may spend.
 * Unlike the policy's variables, a token this chain does not have is an error here, not skipped.
 *
 * @example
 * const budget = await parseSessionBudget(reader, "0.01 ETH", policy); // { source: "stated", limits: … }
 */
export async function parseSessionBudget(
  reader: GuildReader,
  text: string | undefined,
  policy: SpendingPolicy,
): Promise<TaskBudget> {
  if (text === undefined) return { source: "default", limits: new Map(policy.perTask) };
  const limits = new Map<Address, TokenLimit>();
  const entries = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
  if (entries.length === 0) {
    throw new InvalidInputError("budget", "it is empty", 'Give amounts with their tokens, such as "0.01 ETH, 5 gUSD".');
  }
  for (const entry of entries) {
    const match = /^(\S+)(?:\s+(\S+))?$/.exec(entry);
    const amount = match?.[1];
    if (!match || amount === undefined) {
      throw new InvalidInputError(
        "budget",
        `"${entry}" is not "<amount> <token>"`,
        'Give amounts with their tokens, such as "0.01 ETH, 5 gUSD".',
      );
    }
    const token = await resolveToken(reader, match[2], "budget");
    const key = getAddress(token.address);
    if (limits.has(key)) {
      throw new InvalidInputError("budget", `${token.symbol} is named twice`, "Name each token once.");
    }
    limits.set(key, { token, amount: parseAmount(amount, token.decimals, "budget", true) });
  }
  return { source: "stated", limits };
}
