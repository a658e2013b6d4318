import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Address } from "viem";
import { streamLogs } from "../../../src/chain/logs/readLogs.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { NODE_KINDS } from "../../support/nodes.js";
import { deployLogEmitter, emitLogs } from "./logEmitter.js";
import { startLogsTestChain, type LogsTestChain } from "./support.js";

const TOTAL = 20_000;
const PER_BLOCK = 20;

describe.each(NODE_KINDS)("streamLogs over a long history on %s", (kind) => {
  let chain: LogsTestChain;
  let emitter: Address;
  let fromBlock: bigint;
  let toBlock: bigint;

  beforeAll(async () => {
    chain = await startLogsTestChain(kind);
    emitter = await deployLogEmitter(chain);
    fromBlock = (await chain.publicClient.getBlockNumber()) + 1n;
    await emitLogs(chain, emitter, { total: TOTAL, perTransaction: PER_BLOCK });
    toBlock = await chain.publicClient.getBlockNumber();
  });
  afterAll(async () => chain?.stop());

  it("delivers every log once, in order, in pages sized to the log density", async () => {
    const target = 500;
    const pageLogCounts: number[] = [];
    let nextJobId = 1n;
    let outOfOrder = 0;
    const started = performance.now();
    for await (const page of streamLogs(chain.publicClient, {
      address: emitter,
      events: jobEscrowAbi,
      fromBlock,
      toBlock,
      pageSize: 200,
      targetLogsPerPage: target,
      concurrency: 4,
    })) {
      pageLogCounts.push(page.logs.length);
      for (const log of page.logs) {
        if (log.eventName !== "JobExpired" || log.args.jobId !== nextJobId) outOfOrder++;
        nextJobId++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${kind}: ${TOTAL} logs in ${pageLogCounts.length} pages, ${seconds.toFixed(2)} s, ${Math.round(TOTAL / seconds)} logs/s`,
    );
    expect(outOfOrder).toBe(0);
    expect(nextJobId - 1n).toBe(BigInt(TOTAL));
    // The first page probes the density: 200 blocks, 4,000 logs, or whole transactions more when a node under
    // load packed two in a block. Later pages keep near the target (a soft one: the range is sized on the
    // density seen so far).
    expect(pageLogCounts[0]! % PER_BLOCK).toBe(0);
    expect(pageLogCounts[0]).toBeGreaterThanOrEqual(200 * PER_BLOCK);
    expect(pageLogCounts[0]).toBeLessThanOrEqual(2 * 200 * PER_BLOCK);
    expect(Math.max(...pageLogCounts.slice(1))).toBeLessThanOrEqual(2 * target);
    expect(pageLogCounts.length).toBeGreaterThanOrEqual((TOTAL - 200 * PER_BLOCK) / target);
  });
});
