import type { Address } from "viem";
import type { GuildReader } from "../GuildClient.js";
import { agentReputation, type Reputation } from "./agentReputation.js";

/**
 * Providers best first: the highest reputation score (a lower confidence bound, docs/reputation.md), then the larger
 * sample behind it, then the lowest price. The one ranking behind `find_agents`, `guild agents` and the choice
 * `hire_agent` makes when no provider is named. Agents are told apart by address, never by name.
 *
 * @example
 * const [best] = await rankProviders(reader, { agents: await listAgents(reader, { skill: "sort" }) });
 */
export async function rankProviders<A extends { address: Address; price: bigint }>(
  reader: GuildReader,
  { agents }: { agents: readonly A[] },
): Promise<Array<{ agent: A; reputation: Reputation }>> {
  const rated = await agentReputation(reader, { agents });
  return rated.sort(
    (a, b) =>
      b.reputation.score - a.reputation.score ||
      b.reputation.sampleSize - a.reputation.sampleSize ||
      (a.agent.price < b.agent.price ? -1 : a.agent.price > b.agent.price ? 1 : 0),
  );
}
