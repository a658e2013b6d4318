import { zeroAddress } from "viem";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import type { DaemonState, WorkItem } from "../../src/daemon/daemonState.js";
import type { WorkContext } from "../../src/daemon/processWorkItem.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { guardFor, type Harness, type PolicySettings } from "../tools/harness.js";

/** A pending item of the daemon's work queue, as `ingestEvents` queues it. */
export function pendingItem(kind: WorkItem["kind"], jobId: bigint, key = `${kind}:${jobId}`): WorkItem {
  return { key, kind, jobId, notBefore: 0, status: "pending", attempts: 0, block: 0n, detail: "" };
}

/**
 * The work context a daemon of `client`'s agent runs its queue with, on the harness's chain: a checker with the real
 * skills, selling nothing, staking 20% of a budget (at most 100%) on verdicts of confidence 0.8 or more, under a
 * spending guard with `policy`. `overrides` replace any field.
 *
 * @example
 * const ctx = await workContextFor(h, carol.client, state, { checker: { stakeBps: 2_000n, maxStakeBps: 50_000n, minConfidence: 0.8 } });
 * await processWorkItem(pendingItem("check", jobId), ctx, now);
 */
export async function workContextFor(
  h: Harness,
  client: GuildClient,
  state: DaemonState,
  { policy, ...overrides }: Partial<WorkContext> & { policy?: PolicySettings } = {},
): Promise<WorkContext> {
  return {
    client,
    guard: await guardFor(h, client, policy === undefined ? {} : { policy }),
    state,
    roles: new Set(["checker"]),
    skills: BUILTIN_SKILLS,
    offering: { skills: new Map(), price: 0n, priceToken: zeroAddress },
    checker: { stakeBps: 2_000n, maxStakeBps: 10_000n, minConfidence: 0.8 },
    judge: undefined,
    logger: silentLogger(),
    ...overrides,
  };
}
