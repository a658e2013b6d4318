import { isAddressEqual } from "viem";
import { z } from "zod";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { listAgents } from "../chain/reads/listAgents.js";
import { rankProviders } from "../chain/reads/rankProviders.js";
import { resolveToken } from "../chain/resolveToken.js";
import { defineTool } from "./GuildTool.js";
import { amountSchema, tokenSchema } from "./schemas.js";

export const findAgentsTool = defineTool({
  name: "find_agents",
  moves: "none",
  description:
    "Finds registered agents that sell a skill at or below a price, ranked by reputation (a confidence bound on their value-weighted record with independent evaluators and distinct clients, from the chain) and then by price. Agents are told apart by address: pass the address to hire_agent; a name is only a label.",
  schema: z.object({
    skill: z.string().min(1).describe('The skill to hire for, e.g. "word-count", "sort", "sha256", "summarize".'),
    maxPrice: amountSchema.optional().describe('Highest price per job in token units, e.g. "0.002"; omit for any.'),
    token: tokenSchema,
    limit: z.number().int().min(1).max(20).optional().describe("How many agents to return; default 5."),
  }),
  async invoke({ skill, maxPrice, token, limit = 5 }, { client }) {
    const info = await resolveToken(client, token);
    const max = maxPrice === undefined ? undefined : parseAmount(maxPrice, info.decimals, "maxPrice", true);
    const agents = (
      await listAgents(client, { skill, priceToken: info.address, ...(max === undefined ? {} : { maxPrice: max }) })
    ).filter((agent) => !isAddressEqual(agent.address, client.account.address));
    const ranked = (await rankProviders(client, { agents })).slice(0, limit);
    const [best] = ranked;
    if (!best) {
      return {
        ok: true,
        message: `No active agent sells ${skill} in ${info.symbol}${max === undefined ? "" : ` for at most ${formatAmount(max, info.decimals, info.symbol)}`}.`,
        data: { agents: [] },
      };
    }
    return {
      ok: true,
      message: `Found ${ranked.length} agent(s) for ${skill}; best: ${best.agent.name} (${best.agent.address}) at ${formatAmount(best.agent.price, info.decimals, info.symbol)}, reputation ${best.reputation.score.toFixed(2)}.`,
      data: {
        agents: ranked.map(({ agent, reputation }) => ({
          name: agent.name,
          address: agent.address,
          price: formatAmount(agent.price, info.decimals),
          token: info.symbol,
          reputation: Number(reputation.score.toFixed(3)),
          sampleSize: Number(reputation.sampleSize.toFixed(2)),
          clients: reputation.clients,
          completed: reputation.completed,
          rejected: reputation.rejected,
        })),
      },
    };
  },
});
