import fc from "fast-check";
import { getAddress, zeroAddress, type Address } from "viem";
import { describe, expect, it } from "vitest";
import {
  jobWeight,
  scoreReputation,
  wilsonLowerBound,
  type Reputation,
  type ReputationJob,
} from "../../../src/chain/reads/scoreReputation.js";

// Properties of the reputation score over random histories: attacks that cost nothing (self-dealing, self-judged
// rejections) change no score and no ranking, and splitting a job into many small ones never raises a score.

const address = (n: number): Address => getAddress(`0x${n.toString(16).padStart(40, "0")}`);
const PROVIDERS = [1, 2, 3, 4].map((n) => address(0x100 + n));
const CLIENTS = [1, 2, 3, 4, 5, 6].map((n) => address(0x200 + n));
const EVALUATOR = address(0x300); // the deployment's staked evaluator
const FLOOR = 10n ** 15n; // 0.001 ETH
const params = { trustedEvaluators: [EVALUATOR], floors: new Map([[zeroAddress as Address, FLOOR]]) };

let nextJobId = 1n;
const job = (fields: Omit<ReputationJob, "jobId" | "token">): ReputationJob => ({
  jobId: nextJobId++,
  token: zeroAddress,
  ...fields,
});

/** Values from 1 wei to 20 floors, biased to span the small-job floor. */
const value = fc.oneof(
  fc.bigInt({ min: 1n, max: FLOOR }),
  fc.bigInt({ min: FLOOR, max: 20n * FLOOR }),
  fc.constantFrom(1n, FLOOR / 1000n, FLOOR, 3n * FLOOR),
);

/** A job judged by the staked evaluator between distinct parties: what counts. */
const honestJob = fc
  .record({
    provider: fc.constantFrom(...PROVIDERS),
    client: fc.constantFrom(...CLIENTS),
    value,
    outcome: fc.constantFrom("completed", "completed", "completed", "rejected", "expired-undelivered", "declined"),
    deliverySeconds: fc.integer({ min: 0, max: 7_200 }),
  })
  .map(({ outcome, deliverySeconds, ...rest }) =>
    job({
      ...rest,
      evaluator: EVALUATOR,
      outcome: outcome as ReputationJob["outcome"],
      ...(outcome === "expired-undelivered" ? { deliverySeconds } : {}),
    }),
  );

/**
 * A self-dealt job: the provider hires itself or judges its own work (the farmer), or a client judges the provider
 * (the tanking client), with any outcome and any value.
 */
const selfDealtJob = fc
  .record({
    provider: fc.constantFrom(...PROVIDERS, address(0x666)),
    client: fc.constantFrom(...CLIENTS, address(0x667)),
    kind: fc.constantFrom("self-hire", "provider-judges", "client-judges"),
    value: fc.oneof(value, fc.bigInt({ min: 1n, max: 1_000n * FLOOR })),
    outcome: fc.constantFrom("completed", "rejected", "expired-undelivered"),
  })
  .map(({ provider, client, kind, value, outcome }) =>
    job({
      provider,
      client: kind === "self-hire" ? provider : client,
      evaluator: kind === "client-judges" ? client : provider,
      value,
      outcome: outcome as ReputationJob["outcome"],
      deliverySeconds: 3_600,
    }),
  );

const history = fc.array(honestJob, { minLength: 0, maxLength: 40 });
const scoresOf = (jobs: ReputationJob[]) => scoreReputation(jobs, params);
const ranking = (scores: Map<Address, Reputation>) =>
  PROVIDERS.map((provider) => ({ provider, score: scores.get(provider)?.score ?? 0 }))
    .sort((a, b) => b.score - a.score || a.provider.localeCompare(b.provider))
    .map((entry) => entry.provider);
/** What a score rests on (a provider with no counted jobs reads like one never seen). */
const evidence = (reputation: Reputation | undefined) => ({
  score: reputation?.score ?? 0,
  successRate: reputation?.successRate,
  sampleSize: reputation?.sampleSize ?? 0,
  clients: reputation?.clients ?? 0,
});

describe("reputation score (property tests)", () => {
  it("self-dealing (hiring or judging oneself) changes no score and no ranking", () => {
    fc.assert(
      fc.property(history, fc.array(selfDealtJob, { minLength: 1, maxLength: 30 }), (honest, farmed) => {
        const before = scoresOf(honest);
        const after = scoresOf([...honest, ...farmed]);
        for (const provider of PROVIDERS) expect(evidence(after.get(provider))).toEqual(evidence(before.get(provider)));
        expect(after.get(address(0x666))?.score ?? 0).toBe(0);
        expect(ranking(after)).toEqual(ranking(before));
      }),
      { numRuns: 300 },
    );
  });

  it("self-judged rejections (a client that names itself evaluator) do not lower the provider", () => {
    fc.assert(
      fc.property(
        history,
        fc.constantFrom(...PROVIDERS),
        fc.constantFrom(...CLIENTS),
        fc.integer({ min: 1, max: 10 }),
        value,
        (honest, victim, tanker, times, amount) => {
          const rejections = Array.from({ length: times }, () =>
            job({ provider: victim, client: tanker, evaluator: tanker, value: amount, outcome: "rejected" }),
          );
          const before = scoresOf(honest).get(victim)?.score ?? 0;
          const after = scoresOf([...honest, ...rejections]).get(victim);
          expect(after?.score ?? 0).toBe(before);
          expect(after?.ignored).toBeGreaterThanOrEqual(times);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("splitting a job into many small ones never raises the provider's score", () => {
    fc.assert(
      fc.property(
        history,
        fc.constantFrom(...PROVIDERS),
        fc.constantFrom(...CLIENTS),
        fc.bigInt({ min: 2n, max: 50n * FLOOR }),
        fc.array(fc.integer({ min: 1, max: 1_000 }), { minLength: 2, maxLength: 60 }),
        (honest, provider, client, total, shares) => {
          const whole = job({ provider, client, evaluator: EVALUATOR, value: total, outcome: "completed" });
          // The same value in pieces proportional to `shares` (the last piece takes the rounding remainder).
          const sum = BigInt(shares.reduce((a, b) => a + b, 0));
          const pieces = shares.map((share) => (total * BigInt(share)) / sum);
          pieces[pieces.length - 1]! += total - pieces.reduce((a, b) => a + b, 0n);
          const split = pieces
            .filter((piece) => piece > 0n)
            .map((piece) => job({ provider, client, evaluator: EVALUATOR, value: piece, outcome: "completed" }));
          const one = scoresOf([...honest, whole]);
          const many = scoresOf([...honest, ...split]);
          expect(many.get(provider)!.score).toBeLessThanOrEqual(one.get(provider)!.score + 1e-12);
          expect(many.get(provider)!.sampleSize).toBeLessThanOrEqual(one.get(provider)!.sampleSize + 1e-12);
          for (const other of PROVIDERS.filter((p) => p !== provider))
            expect(evidence(many.get(other))).toEqual(evidence(one.get(other)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("job weight is superadditive: no split of a value weighs more than the whole", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 100n * FLOOR }), fc.bigInt({ min: 0n, max: 100n * FLOOR }), (a, b) => {
        expect(jobWeight(a, FLOOR) + jobWeight(b, FLOOR)).toBeLessThanOrEqual(
          jobWeight(a + b, FLOOR) * (1 + 1e-9) + 1e-12,
        );
      }),
    );
  });

  it("the Wilson lower bound lies in [0, p] and grows with the rate and with the sample size", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0.001, max: 1_000, noNaN: true }),
        fc.double({ min: 0, max: 1_000, noNaN: true }),
        (p, q, n, extra) => {
          const bound = wilsonLowerBound(p, n);
          expect(bound).toBeGreaterThanOrEqual(0);
          expect(bound).toBeLessThanOrEqual(p + 1e-12);
          expect(wilsonLowerBound(Math.max(p, q), n)).toBeGreaterThanOrEqual(bound - 1e-12);
          expect(wilsonLowerBound(p, n + extra)).toBeGreaterThanOrEqual(bound - 1e-12);
        },
      ),
    );
    expect(wilsonLowerBound(1, 0)).toBe(0);
  });

  it("the issue's farmer and tanking client: the honest agent ranks first and keeps its score", () => {
    const [honest, farmer] = PROVIDERS as [Address, Address];
    const [alice, carol, tanker] = CLIENTS as [Address, Address, Address];
    const jobs = [
      job({ provider: honest, client: alice, evaluator: EVALUATOR, value: 2n * FLOOR, outcome: "completed" }),
      job({ provider: honest, client: carol, evaluator: EVALUATOR, value: 2n * FLOOR, outcome: "completed" }),
    ];
    const before = scoresOf(jobs);
    // Five 1-wei self-hires with its own evaluator; two rejections by a client that named itself evaluator.
    for (let i = 0; i < 5; i++)
      jobs.push(job({ provider: farmer, client: farmer, evaluator: farmer, value: 1n, outcome: "completed" }));
    for (let i = 0; i < 2; i++)
      jobs.push(job({ provider: honest, client: tanker, evaluator: tanker, value: 2n * FLOOR, outcome: "rejected" }));
    const after = scoresOf(jobs);
    expect(after.get(honest)!.score).toBe(before.get(honest)!.score);
    expect(after.get(honest)!.score).toBeGreaterThan(after.get(farmer)!.score);
    expect(after.get(farmer)).toMatchObject({ score: 0, sampleSize: 0, ignored: 5 });
    expect(after.get(honest)).toMatchObject({ completed: 2, rejected: 0, clients: 2, sampleSize: 2, ignored: 2 });
  });
});
