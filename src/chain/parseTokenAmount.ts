import { InvalidAmountError } from "../errors/input.js";
import type { GuildReader } from "./GuildClient.js";
import { parseAmount } from "./amounts.js";
import { resolveToken } from "./resolveToken.js";
import type { TokenInfo } from "./actions/getTokenInfo.js";

/**
 * Reads an amount with its token, as people write it: "0.01" or "0.01 ETH" (native), "12.5 gUSD", or
 * "3 0x…" (a token address). Refuses more decimals than the token has.
 *
 * @example
 * const { token, amount } = await parseTokenAmount(reader, "12.5 gUSD", "budget"); // 12_500_000n
 */
export async function parseTokenAmount(
  reader: GuildReader,
  text: string,
  field = "amount",
  defaultToken?: string,
): Promise<{ token: TokenInfo; amount: bigint }> {
  const [, number, symbol] = /^\s*(\S+)(?:\s+(\S+))?\s*$/.exec(text) ?? [];
  if (number === undefined) {
    throw new InvalidAmountError(
      field,
      `"${text}" is not "<amount> [token]"`,
      'Write it like "0.01 ETH" or "12.5 gUSD".',
    );
  }
  const token = await resolveToken(reader, symbol ?? defaultToken, field);
  return { token, amount: parseAmount(number, token.decimals, field) };
}
