import { z } from "zod";
import { formatAmount } from "../chain/amounts.js";
import { getBalances } from "../chain/actions/getBalances.js";
import { resolveToken } from "../chain/resolveToken.js";
import { defineTool } from "./GuildTool.js";
import { tokenSchema } from "./schemas.js";

export const getBalanceTool = defineTool({
  name: "get_balance",
  moves: "none",
  description: "Shows this agent's wallet address and balances (native currency and known tokens).",
  schema: z.object({ token: tokenSchema.describe("Only this token (symbol or 0x address); default: all known.") }),
  async invoke({ token }, { client }) {
    const address = client.account.address;
    let balances = await getBalances(client, {
      address,
      ...(token ? { tokens: await onlyToken(client, token) } : {}),
    });
    if (token) balances = balances.slice(-1);
    const text = balances.map((b) => formatAmount(b.balance, b.decimals, b.symbol)).join(", ");
    return {
      ok: true,
      message: `Wallet ${address} holds ${text}.`,
      data: {
        address,
        balances: balances.map((b) => ({
          token: b.symbol,
          address: b.address,
          amount: formatAmount(b.balance, b.decimals),
        })),
      },
    };
  },
});

/** The ERC-20 list for one token: empty for the native currency (always first in getBalances). */
async function onlyToken(client: Parameters<typeof resolveToken>[0], token: string) {
  const info = await resolveToken(client, token);
  return info.native ? [] : [info.address];
}
