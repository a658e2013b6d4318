import { isAddress, zeroAddress } from "viem";
import { InvalidInputError } from "../errors/input.js";
import type { GuildReader } from "./GuildClient.js";
import { getTokenInfo, NATIVE_TOKEN, type TokenInfo } from "./actions/getTokenInfo.js";
import { parseAddress } from "./parseAddress.js";

/**
 * Resolves how a person or a model names a token: "ETH" / "native" (or nothing) for the native
 * currency, a symbol of a token Guild knows on this chain (the test token, e.g. "gUSD"), or an address.
 *
 * @example
 * const usd = await resolveToken(reader, "gUSD");
 */
export async function resolveToken(reader: GuildReader, name: string | undefined, field = "token"): Promise<TokenInfo> {
  const text = (name ?? "").trim();
  if (text === "" || /^(eth|native)$/i.test(text) || text === zeroAddress) return NATIVE_TOKEN;
  if (text.startsWith("0x")) {
    const address = parseAddress(text, field);
    return getTokenInfo(reader, address);
  }
  const known = [reader.addresses.testToken].filter(
    (address): address is `0x${string}` => !!address && isAddress(address),
  );
  for (const address of known) {
    const info = await getTokenInfo(reader, address);
    if (info.symbol.toLowerCase() === text.toLowerCase()) return info;
  }
  throw new InvalidInputError(
    field,
    `"${text}" is not a token Guild knows on this chain`,
    `Use ETH${known.length ? ", a known symbol" : ""} or the token's 0x address.`,
  );
}
