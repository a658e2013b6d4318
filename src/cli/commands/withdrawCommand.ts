import { zeroAddress } from "viem";
import { formatAmount } from "../../chain/amounts.js";
import { withdrawCredits } from "../../chain/actions/withdrawCredits.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { resolveToken } from "../../chain/resolveToken.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { openAgentClient, openGuild } from "../openGuild.js";

/**
 * `guild withdraw --as bob [--token gUSD] [--to 0x...]`: withdraws payouts the escrow credited to the agent
 * because a transfer to it failed.
 */
export async function withdrawCommand(
  ctx: CliContext,
  { as, token, to }: { as: string; token?: string; to?: string },
): Promise<number> {
  const guild = await openGuild(ctx);
  try {
    const { client } = await openAgentClient(ctx, guild, as);
    const info = await resolveToken(guild, token);
    const result = await withdrawCredits(client, {
      token: info.address ?? zeroAddress,
      ...(to ? { to: parseAddress(to, "to") } : {}),
    });
    ctx.print(
      result.hash
        ? `Withdrew ${formatAmount(result.amount, info.decimals, info.symbol)} [tx ${result.hash}].`
        : `Nothing to withdraw in ${info.symbol}.`,
      { ...result, token: info.symbol },
    );
    return EXIT.ok;
  } finally {
    await guild.close();
  }
}
