import { getAddress, isAddressEqual, type Address } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { readLogs } from "../logs/readLogs.js";
import type { GuildReader } from "../GuildClient.js";

/** A provider's track record, from the escrow's events alone. */
export type Reputation = {
  address: Address;
  /** Jobs completed (the provider was paid). */
  completed: number;
  /** Jobs its evaluator rejected (a failed check). */
  rejected: number;
  /** Jobs it declined (refunded at once: honest, mildly negative). */
  declined: number;
  /** Funded jobs it let expire, delivered or not. */
  expired: number;
  /**
   * Smoothed success rate in [0, 1]: (completed + 1) / (completed + 2·rejected + expired + 0.25·declined + 2).
   * A new agent starts at 0.5; a failed check weighs twice an expiry.
   */
  score: number;
};

/**
 * Each agent with its reputation as a provider, derived from JobCreated, ProviderSet, JobCompleted,
 * JobRejected and JobExpired events, in the order given.
 *
 * @example
 * const [{ reputation }] = await agentReputation(reader, { agents: [{ address: bobAddress }] });
 */
export async function agentReputation<A extends { address: Address }>(
  reader: GuildReader,
  { agents }: { agents: readonly A[] },
): Promise<Array<{ agent: A; reputation: Reputation }>> {
  if (agents.length === 0) return [];
  const logs = await readLogs(reader.connection.publicClient, {
    address: reader.addresses.escrow,
    events: jobEscrowAbi.filter(
      (item) =>
        item.type === "event" &&
        ["JobCreated", "ProviderSet", "JobCompleted", "JobRejected", "JobExpired"].includes(item.name),
    ),
    fromBlock: reader.fromBlock,
    logger: reader.logger,
  });
  const providerOf = new Map<bigint, Address>();
  const clientOf = new Map<bigint, Address>();
  const records = new Map<Address, Reputation>();
  const record = (address: Address) => {
    let entry = records.get(address);
    if (!entry) {
      entry = { address, completed: 0, rejected: 0, declined: 0, expired: 0, score: 0 };
      records.set(address, entry);
    }
    return entry;
  };
  for (const log of logs) {
    switch (log.eventName) {
      case "JobCreated":
        clientOf.set(log.args.jobId, getAddress(log.args.client));
        providerOf.set(log.args.jobId, getAddress(log.args.provider));
        break;
      case "ProviderSet":
        providerOf.set(log.args.jobId, getAddress(log.args.provider));
        break;
      case "JobCompleted": {
        const provider = providerOf.get(log.args.jobId);
        if (provider) record(provider).completed += 1;
        break;
      }
      case "JobRejected": {
        const provider = providerOf.get(log.args.jobId);
        if (!provider) break;
        // A client withdrawing an Open job says nothing about the provider.
        if (isAddressEqual(log.args.rejector, clientOf.get(log.args.jobId) ?? provider)) break;
        if (isAddressEqual(log.args.rejector, provider)) record(provider).declined += 1;
        else record(provider).rejected += 1;
        break;
      }
      case "JobExpired": {
        const provider = providerOf.get(log.args.jobId);
        if (provider) record(provider).expired += 1;
        break;
      }
    }
  }
  return agents.map((agent) => {
    const address = getAddress(agent.address);
    const r = records.get(address) ?? { address, completed: 0, rejected: 0, declined: 0, expired: 0, score: 0 };
    const score = (r.completed + 1) / (r.completed + 2 * r.rejected + r.expired + 0.25 * r.declined + 2);
    return { agent, reputation: { ...r, score } };
  });
}
