import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, parseEther, zeroAddress, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditAgent } from "../../../src/audit/auditAgent.js";
import type { AuditReport, TokenSummary } from "../../../src/audit/AuditReport.js";
import { setupGuildOnNode, type GuildOnNode } from "../../support/guildOnNode.js";
import { startTestNode, type NodeKind, type TestNode } from "../../support/nodes.js";
import { buildAuditHistory, type AuditHistory } from "./buildAuditHistory.js";

export type ScenarioContext = { guild: GuildOnNode; history: AuditHistory; clean: AuditReport; node: TestNode };

function tokenOf(report: AuditReport, token: Address): TokenSummary {
  const found = report.tokens.find((entry) => entry.token.toLowerCase() === token.toLowerCase());
  if (!found) throw new Error(`no summary for ${token}`);
  return found;
}

/**
 * The audit's end-to-end checks on one node kind: a history with every kind of flow, exact figures per
 * category, reconciliation to the wei, an injected balance change located to its block, the delegation
 * tree, stake outcomes, a contract account's credited payout, and the transcript join. `extra` adds
 * checks that need the same history (rendering).
 */
export function describeAuditScenario(kind: NodeKind, extra?: (context: () => ScenarioContext) => void): void {
  describe(`guild audit on ${kind}`, () => {
    let node: TestNode;
    let guild: GuildOnNode;
    let history: AuditHistory;
    let full: AuditReport;
    let clean: AuditReport;

    beforeAll(async () => {
      node = await startTestNode(kind);
      guild = await setupGuildOnNode(node.url);
      history = await buildAuditHistory(guild, kind);
      full = await auditAgent({ reader: guild.reader, agent: history.alice.account.address, includeFlows: true });
      clean = await auditAgent({
        reader: guild.reader,
        agent: history.alice.account.address,
        toBlock: history.beforeCheat,
        includeFlows: true,
      });
    });
    afterAll(async () => node?.stop());

    it("reconstructs every native flow by category, to the wei", () => {
      const native = tokenOf(full, zeroAddress);
      const x = history.expected.native;
      expect(native.byCategory.hire).toEqual({ in: x.hireIn, out: x.hireOut });
      expect(native.byCategory.refund).toEqual({ in: x.refundIn, out: 0n });
      expect(native.byCategory.stake).toEqual({ in: x.stakeIn, out: x.stakeOut });
      expect(native.byCategory.reward).toEqual({ in: x.rewardIn, out: 0n });
      expect(native.byCategory.transfer).toEqual({ in: x.transferIn, out: x.transferOut });
      expect(native.byCategory.withdrawal).toEqual({ in: 0n, out: 0n });
      expect(native.gas).toBe(x.gas);
      expect(native.byCategory.gas).toEqual({ in: 0n, out: x.gas });
    });

    it("reconstructs ERC-20 flows from Transfer logs, classified by the Guild event of the same transaction", () => {
      const token = tokenOf(full, history.token);
      const x = history.expected.token;
      expect(token.symbol).toBe("gUSD");
      expect(token.byCategory.hire).toEqual({ in: x.hireIn, out: x.hireOut });
      expect(token.byCategory.transfer).toEqual({ in: x.transferIn, out: x.transferOut });
      expect(token.gas).toBe(0n);
      const before = tokenOf(clean, history.token);
      expect(before.reconciliation.status).toBe("reconciled");
      expect(before.closing).toBe(before.opening + before.inflow - before.outflow);
    });

    it("finds every transaction alice sent, the reverted one included, and what paid for what", () => {
      expect(full.transactions.sent).toBe(history.aliceHashes.length);
      expect(full.transactions.failed).toBe(1);
      expect(full.transactions.gas).toBe(history.expected.native.gas);
      // The reverted call and the plain payments emit no event: the nonce found them.
      expect(full.transactions.foundByNonce).toBeGreaterThanOrEqual(3);
      const flows = full.flows ?? [];
      const reverted = flows.filter((flow) => flow.txHash === history.revertedHash);
      expect(reverted.map((flow) => flow.category)).toEqual(["gas"]);
      expect(flows.find((flow) => flow.txHash === history.directIn)).toMatchObject({
        source: "block",
        direction: "in",
        amount: parseEther("0.0009"),
      });
      expect(flows.find((flow) => flow.txHash === history.internalIn)).toMatchObject({
        source: "trace",
        direction: "in",
        amount: parseEther("0.0002"),
        counterparty: getAddress(history.receiver),
      });
    });

    it("reconciles every token to the wei before the injected change", () => {
      expect(clean.reconciled).toBe(true);
      for (const token of clean.tokens) {
        expect(token.reconciliation).toMatchObject({ status: "reconciled", difference: 0n, unexplained: [] });
        expect(token.closing).toBe(token.opening + token.inflow - token.outflow - token.gas);
      }
    });

    it("reports the injected balance change as unexplained, with its block", () => {
      expect(full.reconciled).toBe(false);
      const native = tokenOf(full, zeroAddress);
      expect(native.reconciliation.status).toBe("unexplained");
      expect(native.reconciliation.difference).toBe(history.cheatAmount);
      expect(native.reconciliation.unexplained).toHaveLength(1);
      expect(native.reconciliation.unexplained[0]).toMatchObject({
        block: history.cheatBlock,
        amount: history.cheatAmount,
      });
      // Everything else still adds up: the difference is exactly the change.
      expect(native.closing - native.reconciliation.expectedClosing).toBe(history.cheatAmount);
    });

    it("reports a token balance that moved without a Transfer log, with its block and the transactions there", () => {
      const token = tokenOf(full, history.token);
      expect(token.reconciliation.status).toBe("unexplained");
      expect(token.reconciliation.difference).toBe(history.tokenCheat);
      expect(token.reconciliation.unexplained).toHaveLength(1);
      expect(token.reconciliation.unexplained[0]).toMatchObject({
        block: history.tokenCheatBlock,
        amount: history.tokenCheat,
      });
    });

    it("reconciles a range that starts after the changes", async () => {
      const last = history.cheatBlock > history.tokenCheatBlock ? history.cheatBlock : history.tokenCheatBlock;
      const after = await auditAgent({
        reader: guild.reader,
        agent: history.alice.account.address,
        fromBlock: last + 1n,
      });
      expect(after.reconciled).toBe(true);
      expect(after.transactions.sent).toBe(1);
      expect(tokenOf(after, zeroAddress).byCategory.transfer.out).toBe(parseEther("0.0001"));
    });

    it("tells each job's outcome and alice's flows in it", () => {
      const job = (id: bigint) => {
        const row = full.jobs.find((entry) => entry.jobId === id);
        if (!row) throw new Error(`job ${id} missing`);
        return row;
      };
      const j = history.jobs;
      expect(job(j.paid)).toMatchObject({
        roles: ["client"],
        outcome: "paid",
        funded: parseEther("0.01"),
        budget: parseEther("0.01"),
      });
      expect(job(j.paid).gas).toBeGreaterThan(0n);
      expect(job(j.failedCheck)).toMatchObject({ outcome: "refunded", refunded: parseEther("0.002") });
      expect(job(j.declined)).toMatchObject({ outcome: "refunded", refunded: parseEther("0.003") });
      expect(job(j.expired)).toMatchObject({ outcome: "refunded", refunded: parseEther("0.004") });
      expect(job(j.asProvider)).toMatchObject({ roles: ["provider"], outcome: "paid", received: parseEther("0.005") });
      expect(job(j.slashed)).toMatchObject({
        outcome: "refunded",
        staked: parseEther("0.003"),
        lost: parseEther("0.003"),
        received: 0n,
      });
      expect(job(j.stakeWon)).toMatchObject({
        roles: ["staker"],
        staked: parseEther("0.002"),
        stakeReturned: parseEther("0.002"),
        reward: parseEther("0.001"),
      });
      expect(job(j.stakeLost)).toMatchObject({
        roles: ["staker"],
        staked: parseEther("0.001"),
        lost: parseEther("0.001"),
      });
      expect(job(j.erc20)).toMatchObject({ token: history.token, outcome: "paid", funded: 12_500_000n });
      expect(job(j.erc20AsProvider)).toMatchObject({ token: history.token, received: 3_000_000n });
      expect(job(j.toReceiver)).toMatchObject({
        provider: getAddress(history.receiver),
        outcome: "paid",
        funded: history.receiverPayout,
      });

      const stakes = new Map(full.stakes.map((stake) => [stake.jobId, stake]));
      expect(stakes.get(j.slashed)).toMatchObject({ bond: true, outcome: "lost", lost: parseEther("0.003") });
      expect(stakes.get(j.stakeWon)).toMatchObject({ bond: false, outcome: "won", reward: parseEther("0.001") });
      expect(stakes.get(j.stakeLost)).toMatchObject({ bond: false, pass: false, outcome: "lost", claimed: 0n });
    });

    it("links the delegation tree three levels deep, and alice's own sub-hire", () => {
      const [top, middle, bottom] = history.jobs.chain;
      const job = (id: bigint) => full.jobs.find((entry) => entry.jobId === id);
      expect(job(top)?.children).toEqual([middle]);
      expect(job(middle)).toMatchObject({
        parentJobId: top,
        roles: [],
        outcome: "paid",
        budget: parseEther("0.006"),
        children: [bottom],
      });
      expect(job(bottom)).toMatchObject({
        parentJobId: middle,
        roles: [],
        outcome: "paid",
        budget: parseEther("0.002"),
      });
      expect(full.jobRoots).toContain(top);
      expect(full.jobRoots).not.toContain(middle);
      expect(job(history.jobs.hiredFor)?.children).toEqual([history.jobs.subHire]);
      expect(job(history.jobs.subHire)).toMatchObject({ roles: ["client"], parentJobId: history.jobs.hiredFor });
    });

    it("audits a contract account whose payout was credited and withdrawn later", async () => {
      const report = await auditAgent({ reader: guild.reader, agent: history.receiver, includeFlows: true });
      expect(report.agent.kind).toBe("contract");
      expect(report.reconciled).toBe(true);
      const native = tokenOf(report, zeroAddress);
      expect(native.byCategory.withdrawal.in).toBe(history.receiverPayout);
      expect(native.byCategory.hire.in).toBe(0n);
      expect(report.credits).toEqual([
        {
          token: zeroAddress,
          credited: history.receiverPayout,
          withdrawn: history.receiverPayout,
          withdrawnToSelf: history.receiverPayout,
          outstanding: 0n,
        },
      ]);
      const job = report.jobs.find((row) => row.jobId === history.jobs.toReceiver);
      expect(job).toMatchObject({ roles: ["provider"], credited: history.receiverPayout, received: 0n });
      // The value it forwarded to alice came in and left in the same transaction: its balance never
      // showed it, so (without an event) the audit does not list it; alice's audit does, by tracing.
      expect(native.byCategory.transfer).toEqual({ in: 0n, out: 0n });
    });

    it("joins alice's transcripts: the tool call and model turn behind a transaction", async () => {
      const dir = mkdtempSync(join(tmpdir(), "guild-transcripts-"));
      const runId = "run-1";
      const lines = [
        {
          type: "run",
          runId,
          at: "t",
          task: "pay dave",
          provider: "offline",
          agent: "alice",
          address: history.alice.account.address,
          chainId: 31337,
        },
        {
          type: "model",
          runId,
          at: "t",
          step: 1,
          content: "I will deliver the job.",
          toolCalls: [{ id: "call-1", name: "deliver", args: {} }],
          invalidToolCalls: [],
        },
        {
          type: "tool",
          runId,
          at: "t",
          step: 1,
          callId: "call-1",
          name: "deliver",
          args: {},
          ok: false,
          message: "reverted",
          txHashes: [history.revertedHash],
          data: {},
        },
        {
          type: "tool",
          runId,
          at: "t",
          step: 2,
          callId: "call-2",
          name: "pay",
          args: {},
          ok: true,
          message: "",
          txHashes: [`0x${"ab".repeat(32)}`],
          data: {},
        },
      ];
      writeFileSync(
        join(dir, "2025-01-01-run.jsonl"),
        `${lines.map((line) => JSON.stringify(line)).join("\n")}\nnot json\n`,
      );
      const report = await auditAgent({
        reader: guild.reader,
        agent: history.alice.account.address,
        toBlock: history.beforeCheat,
        transcriptsDir: dir,
      });
      expect(report.transcripts?.attributed).toEqual([
        {
          txHash: history.revertedHash,
          file: "2025-01-01-run.jsonl",
          runId,
          task: "pay dave",
          step: 1,
          tool: "deliver",
          callId: "call-1",
          modelTurn: "I will deliver the job.",
          claimedBy: 1,
        },
      ]);
      expect(report.transcripts?.notFound).toEqual([`0x${"ab".repeat(32)}`]);
      expect(report.transcripts?.unattributed.length).toBe(report.transactions.sent - 1);
    });

    extra?.(() => ({ guild, history, clean, node }));
  });
}
