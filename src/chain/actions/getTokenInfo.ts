import { erc20Abi, zeroAddress, type Address } from "viem";
import { GuildError } from "../../errors/GuildError.js";
import type { GuildReader } from "../GuildClient.js";

/** A payment token: `address(0)` is the chain's native currency. */
export type TokenInfo = { address: Address; symbol: string; decimals: number; native: boolean };

export const NATIVE_TOKEN: TokenInfo = { address: zeroAddress, symbol: "ETH", decimals: 18, native: true };

const cache = new WeakMap<object, Map<Address, TokenInfo>>();

/**
 * Symbol and decimals of a payment token (cached per connection; token metadata does not change).
 *
 * @example
 * const { decimals } = await getTokenInfo(reader, reader.addresses.testToken!);
 */
export async function getTokenInfo(reader: GuildReader, token: Address): Promise<TokenInfo> {
  if (token === zeroAddress) return NATIVE_TOKEN;
  let known = cache.get(reader.connection);
  if (!known) {
    known = new Map();
    cache.set(reader.connection, known);
  }
  const hit = known.get(token);
  if (hit) return hit;
  const client = reader.connection.publicClient;
  try {
    const [symbol, decimals] = await Promise.all([
      client.readContract({ address: token, abi: erc20Abi, functionName: "symbol" }),
      client.readContract({ address: token, abi: erc20Abi, functionName: "decimals" }),
    ]);
    const info = { address: token, symbol, decimals, native: false };
    known.set(token, info);
    return info;
  } catch (error) {
    throw new GuildError(`${token} does not look like an ERC-20 token (no symbol or decimals).`, { cause: error });
  }
}
