import { getAddress, type Address } from "viem";
import type { GuildConfig } from "../config/loadConfig.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { parseAmount } from "../chain/amounts.js";
import { parseAddress } from "../chain/parseAddress.js";
import { resolveToken } from "../chain/resolveToken.js";
import type { TokenInfo } from "../chain/actions/getTokenInfo.js";
import { InvalidInputError } from "../errors/input.js";
import type { Logger } from "../log/createLogger.js";

/** A limit in one token. */
export type TokenLimit = { token: TokenInfo; amount: bigint };

/** What an agent may spend. Tokens without a per-transaction limit may not be spent at all. */
export type SpendingPolicy = {
  perTransaction: Map<Address, TokenLimit>;
  perPeriod: Map<Address, TokenLimit>;
  periodSeconds: number;
  /** Counterparties that may be paid or hired; undefined means any. */
  allowlist: Set<Address> | undefined;
  /** Above these amounts a person must approve. */
  approvalAbove: Map<Address, TokenLimit>;
  /** What one task may spend when its words state no budget (see TaskContext). */
  perTask: Map<Address, TokenLimit>;
  /** Most held in stakes not yet claimed: a stake's money goes to whoever wins the other side. */
  maxOpenStakes: Map<Address, TokenLimit>;
};

/**
 * Reads the spending policy from configuration (GUILD_MAX_PER_TX, GUILD_MAX_PER_PERIOD,
 * GUILD_PERIOD_HOURS, GUILD_ALLOWLIST, GUILD_APPROVAL_ABOVE, GUILD_MAX_PER_TASK, GUILD_MAX_OPEN_STAKES),
 * resolving token symbols on the chain.
 * A symbol this chain does not have is skipped with a warning (the defaults name the test token).
 *
 * @example
 * const policy = await loadSpendingPolicy(reader, config.spending, logger);
 */
export async function loadSpendingPolicy(
  reader: GuildReader,
  spending: GuildConfig["spending"],
  logger: Logger,
): Promise<SpendingPolicy> {
  const limits = (text: string, variable: string) => parseLimits(reader, text, variable, logger);
  return {
    perTransaction: await limits(spending.maxPerTransaction, "GUILD_MAX_PER_TX"),
    perPeriod: await limits(spending.maxPerPeriod, "GUILD_MAX_PER_PERIOD"),
    periodSeconds: Math.round(spending.periodHours * 3_600),
    allowlist:
      spending.allowlist.length === 0
        ? undefined
        : new Set(spending.allowlist.map((entry) => parseAddress(entry, "GUILD_ALLOWLIST"))),
    approvalAbove: await limits(spending.approvalAbove, "GUILD_APPROVAL_ABOVE"),
    perTask: await limits(spending.maxPerTask, "GUILD_MAX_PER_TASK"),
    maxOpenStakes: await limits(spending.maxOpenStakes, "GUILD_MAX_OPEN_STAKES"),
  };
}

async function parseLimits(
  reader: GuildReader,
  text: string,
  variable: string,
  logger: Logger,
): Promise<Map<Address, TokenLimit>> {
  const out = new Map<Address, TokenLimit>();
  if (/^\s*none\s*$/i.test(text)) return out;
  for (const entry of text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(\S+)\s*(\S+)?$/.exec(entry);
    if (!match) {
      throw new InvalidInputError(
        variable,
        `"${entry}" is not "<amount> <token>"`,
        'Write limits like "0.05 ETH, 50 gUSD".',
      );
    }
    const [, amountText = "", symbol = "ETH"] = match;
    let token: TokenInfo;
    try {
      token = await resolveToken(reader, symbol, variable);
    } catch (error) {
      if (error instanceof InvalidInputError && !symbol.startsWith("0x")) {
        logger.warn({ variable, token: symbol }, "the spending policy names a token this chain does not have; skipped");
        continue;
      }
      throw error;
    }
    out.set(getAddress(token.address), { token, amount: parseAmount(amountText, token.decimals, variable, true) });
  }
  return out;
}
