import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Writable } from "node:stream";
import { createPublicClient, custom, encodeFunctionData, type Hash, type PublicClient } from "viem";
import {
  followLogs,
  type FollowLogsParameters,
  type LogBatch,
  type LogFollower,
  type LogReorg,
} from "../../../src/chain/logs/followLogs.js";
import { createMemoryCursorStore } from "../../../src/chain/logs/memoryCursorStore.js";
import { readLogs, type DecodedLog } from "../../../src/chain/logs/readLogs.js";
import { agentRegistryAbi } from "../../../src/contracts/AgentRegistry.js";
import { LogConsumerError, ReorgTooDeepError } from "../../../src/errors/chain.js";
import { createLogger } from "../../../src/log/createLogger.js";
import { NODE_KINDS, type NodeKind } from "../../support/nodes.js";
import {
  createAndFundJob,
  guildAddresses,
  guildEvents,
  keyOf,
  registerAgent,
  startLogsTestChain,
  waitUntil,
  type LogsTestChain,
} from "./support.js";

type GuildLog = DecodedLog<typeof guildEvents>;

/** A consumer whose state is the list of logs it applied, undoing them on reorgs. */
function recordingConsumer() {
  const applied: GuildLog[] = [];
  const batches: LogBatch<typeof guildEvents>[] = [];
  const reorgs: LogReorg[] = [];
  return {
    applied,
    batches,
    reorgs,
    onLogs: (batch: LogBatch<typeof guildEvents>) => {
      batches.push(batch);
      applied.push(...batch.logs);
    },
    onReorg: (reorg: LogReorg) => {
      reorgs.push(reorg);
      const kept = applied.filter((log) => log.blockNumber < reorg.fromBlock);
      applied.splice(0, applied.length, ...kept);
    },
  };
}

async function rpc<T>(chain: LogsTestChain, method: string, params: unknown[] = []): Promise<T> {
  return chain.publicClient.request({ method, params } as never) as Promise<T>;
}

/** A fresh node with Guild's contracts, and what the tests below do with it. */
function createHarness(kind: NodeKind) {
  let chain!: LogsTestChain;
  let fromBlock = 0n;
  let nextAgent = 1;
  let jobs = 0;
  const followers: LogFollower[] = [];

  /** A transaction that emits logs: a registration while accounts last, then jobs. */
  const activity = async (): Promise<Hash> => {
    if (nextAgent <= 8) {
      const index = nextAgent++;
      return registerAgent(chain, index, [`skill-${index}`]);
    }
    jobs++;
    return createAndFundJob(chain, 1 + (jobs % 5), 1 + ((jobs + 1) % 5), BigInt(jobs));
  };

  /** Everything the chain holds now: what the consumer's state must equal. */
  const canonical = async () =>
    (await readLogs(chain.publicClient, { address: guildAddresses(chain), events: guildEvents, fromBlock })).map(keyOf);

  const head = async () => chain.publicClient.getBlock({ blockTag: "latest" });

  const caughtUp = async (follower: LogFollower, confirmations = 0n) => {
    await waitUntil(async () => {
      const latest = await head();
      const cursor = follower.cursor();
      if (!cursor || cursor.blockNumber !== latest.number - confirmations) return false;
      return confirmations > 0n || cursor.blockHash === latest.hash;
    }, "the follower to reach the head");
  };

  const start = (
    parameters: Partial<FollowLogsParameters<typeof guildEvents>> & {
      onLogs: FollowLogsParameters<typeof guildEvents>["onLogs"];
    },
  ) => {
    const follower = followLogs(chain.publicClient, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock,
      store: createMemoryCursorStore(),
      pollingIntervalMs: 50,
      ...parameters,
    });
    followers.push(follower);
    return follower;
  };

  beforeAll(async () => {
    chain = await startLogsTestChain(kind);
    fromBlock = chain.guild.reader.fromBlock;
  });
  afterAll(async () => {
    await Promise.all(followers.map((follower) => follower.stop()));
    await chain?.stop();
  });

  return {
    chain: () => chain,
    fromBlock: () => fromBlock,
    followers,
    activity,
    canonical,
    head,
    caughtUp,
    start,
  };
}

describe.each(NODE_KINDS)("followLogs on %s", (kind) => {
  const { activity, canonical, head, caughtUp, start, followers, ...h } = createHarness(kind);
  let chain: LogsTestChain;
  beforeAll(() => {
    chain = h.chain();
  });

  it("delivers every log once, in order, as blocks arrive; a restarted follower resumes at its cursor", async () => {
    // History first: with keepBlocks 4 the follower reads most of it in bulk pages, then block by block.
    for (let count = 0; count < 12; count++) await activity();
    const store = createMemoryCursorStore();
    const consumer = recordingConsumer();
    const first = start({ store, keepBlocks: 4, pageSize: 3, onLogs: consumer.onLogs, onReorg: consumer.onReorg });
    await caughtUp(first);
    for (let count = 0; count < 5; count++) await activity();
    await caughtUp(first);
    await first.stop();
    const cursorAtStop = store.saved;
    expect(cursorAtStop?.blockNumber).toBe(first.cursor()?.blockNumber);

    for (let count = 0; count < 4; count++) await activity();
    const second = start({ store, keepBlocks: 4, pageSize: 3, onLogs: consumer.onLogs, onReorg: consumer.onReorg });
    await caughtUp(second);
    await second.stop();

    expect(consumer.applied.map(keyOf)).toEqual(await canonical());
    expect(consumer.reorgs).toEqual([]);
    // Batches are contiguous and in order across the restart, and the history came in several pages.
    for (let index = 1; index < consumer.batches.length; index++) {
      const previous = consumer.batches[index - 1];
      const current = consumer.batches[index];
      expect(current && previous && current.fromBlock > previous.toBlock).toBe(true);
    }
    expect(consumer.batches.length).toBeGreaterThan(3);
    expect(second.cursor()?.recentBlocks.length).toBeLessThanOrEqual(4);
  });

  it("holds back the logs of the last `confirmations` blocks", async () => {
    const consumer = recordingConsumer();
    const follower = start({
      fromBlock: (await chain.publicClient.getBlockNumber()) + 1n,
      confirmations: 2,
      onLogs: consumer.onLogs,
    });
    await activity();
    await activity();
    // Both blocks are less than 2 deep: several polls go by without a delivery.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(consumer.applied).toEqual([]);
    expect(follower.cursor()).toBeUndefined();
    await rpc(chain, "evm_mine");
    await caughtUp(follower, 2n);
    expect(consumer.applied.length).toBeGreaterThan(0);
    const firstBlock = consumer.applied[0]?.blockNumber;
    expect(consumer.applied.every((log) => log.blockNumber === firstBlock)).toBe(true);
    await rpc(chain, "evm_mine");
    await caughtUp(follower, 2n);
    expect(new Set(consumer.applied.map((log) => log.blockNumber)).size).toBe(2);
    await follower.stop();
  });

  it("detects a reorg (snapshot and revert), calls onReorg and replays the new branch", async () => {
    const consumer = recordingConsumer();
    const follower = start({ onLogs: consumer.onLogs, onReorg: consumer.onReorg });
    await activity();
    await caughtUp(follower);
    const snapshot = await rpc<string>(chain, "evm_snapshot");
    const fork = await head();
    // The branch that will disappear.
    const doomed = [await activity(), await activity(), await activity()];
    await caughtUp(follower);
    const doomedBlocks = (
      await Promise.all(doomed.map((hash) => chain.publicClient.getTransactionReceipt({ hash })))
    ).map((receipt) => ({ number: receipt.blockNumber, hash: receipt.blockHash }));
    expect(consumer.applied.some((log) => log.transactionHash === doomed[0])).toBe(true);

    expect(await rpc<boolean>(chain, "evm_revert", [snapshot])).toBe(true);
    // A different, longer branch from the same parent.
    const replacement = [await activity(), await activity(), await activity(), await activity()];
    await caughtUp(follower);
    await follower.stop();

    expect(consumer.reorgs.length).toBeGreaterThanOrEqual(1);
    const reorg = consumer.reorgs[0];
    expect(reorg?.fromBlock).toBe(fork.number + 1n);
    expect(reorg?.cursor.blockHash).toBe(fork.hash);
    expect(reorg?.removedBlocks).toEqual(expect.arrayContaining(doomedBlocks));
    expect(consumer.applied.map(keyOf)).toEqual(await canonical());
    const hashes = new Set(consumer.applied.map((log) => log.transactionHash));
    expect(doomed.some((hash) => hashes.has(hash))).toBe(false);
    expect(replacement.every((hash) => hashes.has(hash))).toBe(true);
  });

  it("stops with ReorgTooDeepError when the chain reorganises below the kept hashes", async () => {
    const consumer = recordingConsumer();
    const follower = start({ keepBlocks: 2, onLogs: consumer.onLogs, onReorg: consumer.onReorg });
    await activity();
    await caughtUp(follower);
    const snapshot = await rpc<string>(chain, "evm_snapshot");
    for (let count = 0; count < 4; count++) await activity();
    await caughtUp(follower);
    await rpc(chain, "evm_revert", [snapshot]);
    for (let count = 0; count < 5; count++) await activity();
    const error = await follower.done.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ReorgTooDeepError);
    expect(consumer.reorgs).toEqual([]);
  });

  it("keeps trying while the node is unreachable, logging warnings, and catches up when it is back", async () => {
    let down = false;
    const client = createPublicClient({
      chain: chain.connection.chain,
      transport: custom(
        {
          request: async ({ method, params }) => {
            if (down)
              throw Object.assign(new TypeError("fetch failed"), {
                cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1"), { code: "ECONNREFUSED" }),
              });
            return chain.publicClient.request({ method, params } as never);
          },
        },
        { retryCount: 0 },
      ),
    }) as PublicClient;
    const lines: string[] = [];
    const logger = createLogger({
      level: "warn",
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    const consumer = recordingConsumer();
    const from = (await chain.publicClient.getBlockNumber()) + 1n;
    const follower = followLogs(client, {
      address: guildAddresses(chain),
      events: guildEvents,
      fromBlock: from,
      store: createMemoryCursorStore(),
      pollingIntervalMs: 20,
      maxBackoffMs: 100,
      logger,
      onLogs: consumer.onLogs,
    });
    followers.push(follower);
    await activity();
    await caughtUp(follower);
    down = true;
    const sent = [await activity(), await activity()];
    await waitUntil(
      () => lines.filter((line) => line.includes('"level":40')).length >= 3,
      "warnings while the node is down",
    );
    down = false;
    await caughtUp(follower);
    await follower.stop();
    await expect(follower.done).resolves.toBeUndefined();
    const hashes = consumer.applied.map((log) => log.transactionHash);
    for (const hash of sent) expect(hashes).toContain(hash);
    const expected = (
      await readLogs(chain.publicClient, { address: guildAddresses(chain), events: guildEvents, fromBlock: from })
    ).map(keyOf);
    expect(consumer.applied.map(keyOf)).toEqual(expected);
  });

  it("stop() lets the batch in progress commit, then delivers nothing more", async () => {
    const store = createMemoryCursorStore();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered = false;
    let calls = 0;
    const follower = start({
      fromBlock: (await chain.publicClient.getBlockNumber()) + 1n,
      store,
      onLogs: async () => {
        calls++;
        entered = true;
        await gate;
      },
    });
    await activity();
    await waitUntil(() => entered, "the consumer to receive a batch");
    let stopped = false;
    const stopping = follower.stop().then(() => {
      stopped = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(store.saved?.blockNumber).toBe(await chain.publicClient.getBlockNumber());
    await activity();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(1);
  });

  it("a consumer error stops the follower with LogConsumerError and leaves the cursor where it was", async () => {
    const store = createMemoryCursorStore();
    const from = (await chain.publicClient.getBlockNumber()) + 1n;
    const follower = start({
      fromBlock: from,
      store,
      onLogs: () => {
        throw new Error("disk full");
      },
    });
    await activity();
    const error = await follower.done.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(LogConsumerError);
    expect((error as LogConsumerError).fromBlock).toBe(from);
    expect(store.saved).toBeUndefined();
  });
});

describe("followLogs on anvil: anvil_reorg", () => {
  const { activity, canonical, head, caughtUp, start, ...h } = createHarness("anvil");
  let chain: LogsTestChain;
  beforeAll(() => {
    chain = h.chain();
  });

  it("detects a reorg at the same height (anvil_reorg) and replays the new blocks", async () => {
    const consumer = recordingConsumer();
    const follower = start({ onLogs: consumer.onLogs, onReorg: consumer.onReorg });
    for (let count = 0; count < 3; count++) await activity();
    await caughtUp(follower);
    const before = await head();
    const provider = chain.wallets[9];
    if (!provider) throw new Error("no wallet 9");
    // Replace the last 2 blocks; the first new one carries a registration by account 9 (the harness
    // registers accounts 1-8 only), so the replayed heights hold new logs.
    const data = encodeFunctionData({
      abi: agentRegistryAbi,
      functionName: "register",
      args: ["reorged", ["reorg-skill"], "0x0000000000000000000000000000000000000000", 5n, "ipfs://reorged"],
    });
    await rpc(chain, "anvil_reorg", [
      2,
      [[{ from: provider.account.address, to: chain.guild.addresses.registry, data, gas: "0x100000" }, 0]],
    ]);
    const after = await head();
    expect(after.number).toBe(before.number);
    expect(after.hash).not.toBe(before.hash);
    await caughtUp(follower);
    await follower.stop();

    expect(consumer.reorgs.length).toBe(1);
    expect(consumer.reorgs[0]?.fromBlock).toBe(before.number - 1n);
    expect(consumer.applied.map(keyOf)).toEqual(await canonical());
    expect(
      consumer.applied.some((log) => log.eventName === "SkillListed" && log.blockNumber === before.number - 1n),
    ).toBe(true);
  });
});
