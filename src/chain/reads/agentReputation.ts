import { getAddress, isAddressEqual, parseEther, zeroAddress, type Address } from "viem";
import { jobEscrowAbi } from "../../contracts/JobEscrow.js";
import { getTokenInfo } from "../actions/getTokenInfo.js";
import type { GuildReader } from "../GuildClient.js";
import { readLogs } from "../logs/readLogs.js";
import {
  emptyReputation,
  scoreReputation,
  type JobOutcomeKind,
  type Reputation,
  type ReputationJob,
} from "./scoreReputation.js";

export type { Reputation } from "./scoreReputation.js";

export type AgentReputationParameters<A extends { address: Address }> = {
  /** The agents to rate, in the order wanted back. */
  agents: readonly A[];
  /** Evaluators trusted besides the deployment's staked evaluator. */
  trustedEvaluators?: Address[];
  /**
   * Small-job floors in base units by token address (lower-case keys): a job worth less weighs quadratically less.
   * Defaults: 0.001 of the native currency; one whole unit of an ERC-20 token.
   */
  floors?: ReadonlyMap<Address, bigint>;
  /** Undelivered expiries count only when the provider had at least this long. Default 600 s. */
  minDeliverySeconds?: number;
};

/** Native currency's default small-job floor: 0.001 (ETH). */
export const NATIVE_FLOOR = parseEther("0.001");

const REPUTATION_EVENTS = jobEscrowAbi.filter(
  (item) =>
    item.type === "event" &&
    [
      "JobCreated",
      "JobDetails",
      "ProviderSet",
      "JobFunded",
      "JobSubmitted",
      "JobCompleted",
      "JobRejected",
      "JobExpired",
    ].includes(item.name),
);

/**
 * Each agent with its reputation as a provider, in the order given, from the escrow's events: each finished job
 * becomes a {@link ReputationJob} and is scored by {@link scoreReputation} (value at risk, distinct clients,
 * independent evaluators only, a lower confidence bound). The formula is explained in docs/reputation.md.
 *
 * @example
 * const [{ reputation }] = await agentReputation(reader, { agents: [{ address: bobAddress }] });
 * console.log(reputation.score, reputation.sampleSize);
 */
export async function agentReputation<A extends { address: Address }>(
  reader: GuildReader,
  { agents, trustedEvaluators = [], floors, minDeliverySeconds }: AgentReputationParameters<A>,
): Promise<Array<{ agent: A; reputation: Reputation }>> {
  if (agents.length === 0) return [];
  const logs = await readLogs(reader.connection.publicClient, {
    address: reader.addresses.escrow,
    events: REPUTATION_EVENTS,
    fromBlock: reader.fromBlock,
    logger: reader.logger,
  });
  type Draft = Omit<ReputationJob, "outcome" | "value" | "token"> & {
    token: Address;
    value: bigint;
    expiredAt: bigint;
    fundedBlock?: bigint;
    delivered: boolean;
    outcome?: JobOutcomeKind;
  };
  const drafts = new Map<bigint, Draft>();
  for (const log of logs) {
    const draft = "jobId" in log.args ? drafts.get(log.args.jobId) : undefined;
    switch (log.eventName) {
      case "JobCreated":
        drafts.set(log.args.jobId, {
          jobId: log.args.jobId,
          client: getAddress(log.args.client),
          provider: getAddress(log.args.provider),
          evaluator: getAddress(log.args.evaluator),
          token: zeroAddress,
          value: 0n,
          expiredAt: log.args.expiredAt,
          delivered: false,
        });
        break;
      case "JobDetails":
        if (draft) draft.token = getAddress(log.args.token);
        break;
      case "ProviderSet":
        if (draft) draft.provider = getAddress(log.args.provider);
        break;
      case "JobFunded":
        if (draft) {
          draft.value = log.args.amount;
          draft.fundedBlock = log.blockNumber;
        }
        break;
      case "JobSubmitted":
        if (draft) draft.delivered = true;
        break;
      case "JobCompleted":
        if (draft) draft.outcome = "completed";
        break;
      case "JobRejected":
        if (!draft || draft.value === 0n) break; // a client withdrawing an unfunded job says nothing
        // The provider declining, or the evaluator rejecting (a self-judged rejection is dropped when scoring).
        draft.outcome = isAddressEqual(log.args.rejector, draft.provider) ? "declined" : "rejected";
        break;
      case "JobExpired":
        if (draft) draft.outcome = draft.delivered ? "expired-delivered" : "expired-undelivered";
        break;
    }
  }
  const jobs: ReputationJob[] = [];
  const fundedAt = new Map<bigint, bigint>();
  for (const draft of drafts.values()) {
    if (!draft.outcome || draft.provider === zeroAddress) continue;
    if (draft.outcome === "expired-undelivered" && draft.fundedBlock !== undefined) fundedAt.set(draft.fundedBlock, 0n);
  }
  // The time a provider had is the deadline minus the funding block's time (expiries are rare: one read each).
  await Promise.all(
    [...fundedAt.keys()].map(async (blockNumber) => {
      const block = await reader.connection.publicClient.getBlock({ blockNumber });
      fundedAt.set(blockNumber, block.timestamp);
    }),
  );
  const tokens = new Set<Address>();
  for (const draft of drafts.values()) {
    if (!draft.outcome || draft.provider === zeroAddress) continue;
    const { expiredAt, fundedBlock, delivered: _delivered, outcome, ...job } = draft;
    const funded = fundedBlock === undefined ? undefined : fundedAt.get(fundedBlock);
    jobs.push({
      ...job,
      outcome,
      ...(outcome === "expired-undelivered" && funded !== undefined
        ? { deliverySeconds: Number(expiredAt - funded) }
        : {}),
    });
    tokens.add(job.token);
  }
  const floorOf = new Map<Address, bigint>();
  for (const token of tokens) {
    const key = token.toLowerCase() as Address;
    const given = floors?.get(key);
    if (given !== undefined) floorOf.set(key, given);
    else if (token === zeroAddress) floorOf.set(key, NATIVE_FLOOR);
    else {
      const info = await getTokenInfo(reader, token).catch(() => undefined);
      if (info) floorOf.set(key, 10n ** BigInt(info.decimals));
    }
  }
  const scores = scoreReputation(jobs, {
    trustedEvaluators: [reader.addresses.evaluator, ...trustedEvaluators],
    floors: floorOf,
    ...(minDeliverySeconds === undefined ? {} : { minDeliverySeconds }),
  });
  return agents.map((agent) => ({
    agent,
    reputation: scores.get(getAddress(agent.address)) ?? emptyReputation(getAddress(agent.address)),
  }));
}
