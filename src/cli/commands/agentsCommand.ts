import { formatAmount } from "../../chain/amounts.js";
import { getTokenInfo } from "../../chain/actions/getTokenInfo.js";
import { listAgents } from "../../chain/reads/listAgents.js";
import { rankProviders } from "../../chain/reads/rankProviders.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { formatTable } from "../formatTable.js";
import { openGuild } from "../openGuild.js";

/**
 * `guild agents [--skill word-count] [--all]`: the registry, best first, with reputation from the escrow's events
 * (score: the lower confidence bound agents are ranked by; n: its sample size; ignored: self-judged jobs; see
 * docs/reputation.md). Agents are told apart by address; names are unique in the registry.
 */
export async function agentsCommand(
  ctx: CliContext,
  { skill, all }: { skill?: string; all?: boolean },
): Promise<number> {
  const guild = await openGuild(ctx);
  try {
    const agents = await listAgents(guild, { ...(skill ? { skill } : {}), includeInactive: all ?? false });
    const rated = await rankProviders(guild, { agents });
    const rows: string[][] = [];
    const data = [];
    for (const { agent, reputation: rep } of rated) {
      const token = await getTokenInfo(guild, agent.priceToken);
      rows.push([
        agent.name,
        agent.address,
        agent.skills.join(","),
        formatAmount(agent.price, token.decimals, token.symbol),
        rep.score.toFixed(2),
        rep.sampleSize.toFixed(1),
        String(rep.clients),
        `${rep.completed}/${rep.rejected}/${rep.expired}`,
        String(rep.ignored),
        agent.active ? "yes" : "no",
      ]);
      data.push({ ...agent, price: formatAmount(agent.price, token.decimals), token: token.symbol, reputation: rep });
    }
    ctx.print(
      agents.length === 0
        ? "No agents registered."
        : `${formatTable(["name", "address", "skills", "price", "score", "n", "clients", "done/rej/exp", "ignored", "active"], rows)}`,
      data,
    );
    return EXIT.ok;
  } finally {
    await guild.close();
  }
}
