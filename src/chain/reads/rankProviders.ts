import { isAddressEqual, type Address } from "viem";
import { emptyReputation, type Reputation } from "./scoreReputation.js";

/**
 * Orders candidates best first: by reputation score, then by sample size, then cheapest. Ties keep their order.
 *
 * @example
 * const best = rankProviders(agents, reputations, (agent) => agent.price)[0];
 */
export function rankProviders<T extends { address: Address }>(
  candidates: readonly T[],
  reputations: readonly Reputation[],
  price: (candidate: T) => bigint,
): { candidate: T; reputation: Reputation }[] {
  return candidates
    .map((candidate) => ({
      candidate,
      reputation:
        reputations.find((entry) => isAddressEqual(entry.address, candidate.address)) ??
        emptyReputation(candidate.address),
    }))
    .sort(
      (a, b) =>
        b.reputation.score - a.reputation.score ||
        b.reputation.sampleSize - a.reputation.sampleSize ||
        (price(a.candidate) < price(b.candidate) ? -1 : price(a.candidate) > price(b.candidate) ? 1 : 0),
    );
}
