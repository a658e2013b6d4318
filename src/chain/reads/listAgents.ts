import { getAddress, isAddressEqual, type Address } from "viem";
import { agentRegistryAbi } from "../../contracts/AgentRegistry.js";
import { readLogs } from "../logs/readLogs.js";
import type { GuildReader } from "../GuildClient.js";

/** An agent's current listing, folded from the registry's events. */
export type AgentListing = {
  address: Address;
  name: string;
  skills: string[];
  priceToken: Address;
  price: bigint;
  metadataURI: string;
  active: boolean;
  /** Block of the listing's last change. */
  updatedAtBlock: bigint;
};

export type ListAgentsParameters = {
  /** Only agents listing this skill. */
  skill?: string;
  /** Only agents priced in this token. */
  priceToken?: Address;
  /** Only agents whose price is at most this (base units of `priceToken`). */
  maxPrice?: bigint;
  /** Include deactivated agents. Default false. */
  includeInactive?: boolean;
};

/**
 * The registry's agents, from its events (names, skills and metadata live only there), optionally
 * filtered by skill, price token and maximum price.
 *
 * @example
 * const workers = await listAgents(reader, { skill: "word-count", maxPrice: parseEther("0.002") });
 */
export async function listAgents(reader: GuildReader, params: ListAgentsParameters = {}): Promise<AgentListing[]> {
  const logs = await readLogs(reader.connection.publicClient, {
    address: reader.addresses.registry,
    events: agentRegistryAbi,
    fromBlock: reader.fromBlock,
    logger: reader.logger,
  });
  const listings = new Map<Address, AgentListing>();
  for (const log of logs) {
    if (log.eventName === "AgentRegistered" || log.eventName === "AgentUpdated") {
      const { agent, name, skills, priceToken, price, metadataURI } = log.args;
      listings.set(getAddress(agent), {
        address: getAddress(agent),
        name,
        skills: [...skills],
        priceToken: getAddress(priceToken),
        price,
        metadataURI,
        active: true,
        updatedAtBlock: log.blockNumber,
      });
    } else if (log.eventName === "AgentActiveSet") {
      const listing = listings.get(getAddress(log.args.agent));
      if (listing) listing.active = log.args.active;
    }
  }
  const skill = params.skill?.trim().toLowerCase();
  return [...listings.values()].filter(
    (agent) =>
      (params.includeInactive || agent.active) &&
      (!skill || agent.skills.includes(skill)) &&
      (!params.priceToken || isAddressEqual(agent.priceToken, params.priceToken)) &&
      (params.maxPrice === undefined || agent.price <= params.maxPrice),
  );
}
