import { getAddress, zeroAddress } from "viem";
import { z } from "zod";
import { formatAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { spentSince } from "../guard/chainSpending.js";
import { defineTool } from "./GuildTool.js";

export const spendingReportTool = defineTool({
  name: "spending_report",
  moves: "none",
  description:
    "Reports what this agent spent (escrow funding, stakes, direct payments) over recent hours, from the chain, against its limits.",
  schema: z.object({
    sinceHours: z
      .number()
      .positive()
      .max(24 * 365)
      .optional()
      .describe("How far back, in hours; default the policy period."),
  }),
  async invoke({ sinceHours }, { client, guard }) {
    const hours = sinceHours ?? guard.policy.periodSeconds / 3_600;
    const now = (await client.connection.publicClient.getBlock({ blockTag: "latest" })).timestamp;
    const tokens = [...new Set([zeroAddress, ...guard.policy.perTransaction.keys(), ...guard.policy.perPeriod.keys()])];
    const spent = await spentSince(client, {
      account: client.account.address,
      sinceTimestamp: now - BigInt(Math.round(hours * 3_600)),
      tokens,
      ledger: guard.ledger,
    });
    const parts: string[] = [];
    const data: Record<string, string> = {};
    for (const token of tokens) {
      const info = await getTokenInfo(client, token);
      const amount = spent.get(getAddress(token)) ?? 0n;
      const limit = guard.policy.perPeriod.get(getAddress(token));
      parts.push(
        `${formatAmount(amount, info.decimals, info.symbol)}${limit ? ` of ${formatAmount(limit.amount, info.decimals, info.symbol)} allowed per ${guard.policy.periodSeconds / 3_600} h` : ""}`,
      );
      data[info.symbol] = formatAmount(amount, info.decimals);
    }
    return {
      ok: true,
      message: `In the last ${hours} h this agent spent ${parts.join("; ")}.`,
      data: { sinceHours: hours, spent: data },
    };
  },
});
