import { erc20Abi, type Address } from "viem";
import type { GuildReader } from "../GuildClient.js";
import { getTokenInfo, NATIVE_TOKEN, type TokenInfo } from "./getTokenInfo.js";

export type Balance = TokenInfo & { balance: bigint };

/**
 * Native balance and the balances of `tokens` (default: the test token when deployed) of `address`.
 *
 * @example
 * const [eth, usd] = await getBalances(reader, { address });
 */
export async function getBalances(
  reader: GuildReader,
  { address, tokens, blockNumber }: { address: Address; tokens?: Address[]; blockNumber?: bigint },
): Promise<Balance[]> {
  const client = reader.connection.publicClient;
  const list = tokens ?? (reader.addresses.testToken ? [reader.addresses.testToken] : []);
  const at = blockNumber === undefined ? {} : { blockNumber };
  const native = client.getBalance({ address, ...at }).then((balance) => ({ ...NATIVE_TOKEN, balance }));
  const erc20 = list.map(async (token) => {
    const [info, balance] = await Promise.all([
      getTokenInfo(reader, token),
      client.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [address], ...at }),
    ]);
    return { ...info, balance };
  });
  return Promise.all([native, ...erc20]);
}
