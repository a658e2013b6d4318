import {
  getAddress,
  numberToHex,
  toEventSelector,
  zeroAddress,
  type Address,
  type Hex,
  type RpcTransaction,
} from "viem";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { streamLogs, type LogPage, type ReadLogsProgress } from "../chain/logs/readLogs.js";
import type { AuditReport, CreditSummary, JobRow, StakeRow } from "./AuditReport.js";
import { addressTopic, pickEvents, type AuditAbi, type AuditEventName, type AuditLog } from "./auditEvents.js";
import { createAuditRpc, type AuditRpc } from "./auditRpc.js";
import { buildJobTree, linkJobTree } from "./buildJobTree.js";
import { createEventFlowCollector } from "./collectEventFlows.js";
import { counterpartyRows, createLedger } from "./createLedger.js";
import { createTransactionFinder, type AgentTx } from "./findAgentTransactions.js";
import { findUnexplainedNativeTransfers } from "./findUnexplainedNativeTransfers.js";
import { joinTranscripts } from "./joinTranscripts.js";
import { mergeLogStreams } from "./mergeLogStreams.js";
import { readBlockTimestamps } from "./readBlockTimestamps.js";
import { readJobFacts } from "./readJobFacts.js";
import { reconcileBalances } from "./reconcileBalances.js";

export type AuditPhase = "logs" | "transactions" | "balances" | "jobs" | "timestamps" | "transcripts";

/** Progress of a running audit, for a status line. */
export type AuditProgress = { phase: AuditPhase; done: number; total: number; detail: string };

export type AuditAgentParameters = {
  reader: GuildReader;
  /** The audited account. */
  agent: Address;
  /** Its name, for the report (wallet name). */
  name?: string;
  /** First block audited. Default 1 (everything after genesis). */
  fromBlock?: bigint;
  /** Last block audited. Default: the latest block when the audit starts. */
  toBlock?: bigint;
  /** Folder of the agent's JSONL transcripts, to say which tool call sent each transaction. */
  transcriptsDir?: string;
  /** Keep every flow in the report (`flows`), for CSV and JSON ledgers. Default false. */
  includeFlows?: boolean;
  /** Names of counterparties by address (wallets, registry listings). */
  labels?: Map<string, string>;
  /** Trace transactions to explain internal transfers (debug_traceTransaction). Default true. */
  trace?: boolean;
  /** Requests in flight at once. Default 400 (batched 50 per HTTP request). */
  concurrency?: number;
  /** Largest block range per `eth_getLogs` (GUILD_LOG_PAGE_SIZE). Default 10,000; dense histories get less. */
  logPageSize?: number;
  onProgress?: (progress: AuditProgress) => void;
};

/** Logs per page the log reads aim at: five streams, two pages each in flight, bound the logs held. */
const TARGET_LOGS_PER_PAGE = 2_000;

/** One of the audit's log filters: contracts (none: any), events, and topics after the event selector. */
type LogFilter = { address: Address | Address[]; names: AuditEventName[]; topics: (Hex | null)[] };

/**
 * A block range per log page that keeps the pages of `filter` near {@link TARGET_LOGS_PER_PAGE} from the
 * first one on: its densest of three 16-block windows (start, middle, end) sets it. The log reader's own
 * slow start begins at 1,000 blocks, which on a busy chain is a page of the whole history; a filter that
 * matches little gets large pages, so it costs few requests.
 */
async function pageSizeFor(rpc: AuditRpc, filter: LogFilter, fromBlock: bigint, toBlock: bigint): Promise<number> {
  if (fromBlock > toBlock) return 10_000;
  const span = toBlock - fromBlock + 1n;
  const windows = [fromBlock, fromBlock + span / 2n, toBlock - 15n > fromBlock ? toBlock - 15n : fromBlock];
  const selectors = pickEvents(filter.names).map((event) => toEventSelector(event));
  const counts = await Promise.all(
    windows.map(async (start) => {
      const end = start + 15n > toBlock ? toBlock : start + 15n;
      const logs = await rpc.request({
        method: "eth_getLogs",
        params: [
          {
            address: filter.address,
            topics: [selectors, ...filter.topics],
            fromBlock: numberToHex(start),
            toBlock: numberToHex(end),
          },
        ],
      });
      return logs.length / Number(end - start + 1n);
    }),
  );
  const density = Math.max(...counts);
  if (density === 0) return 10_000;
  // The largest page the reader may grow to: twice the target at the densest stretch seen. It starts there,
  // shrinks a page that overshoots the target, and grows back while pages stay light.
  return Math.max(8, Math.min(10_000, Math.floor((2 * TARGET_LOGS_PER_PAGE) / density)));
}

/** Events whose indexed argument at topic position 1 (after the selector) is the agent. */
const BY_FIRST: AuditEventName[] = ["Withdrawn", "AgentRegistered", "AgentUpdated", "AgentActiveSet"];
/** ... at position 2. */
const BY_SECOND: AuditEventName[] = [
  "JobCreated",
  "ProviderSet",
  "JobFunded",
  "JobSubmitted",
  "JobRejected",
  "JobCompleted",
  "PaymentReleased",
  "Refunded",
  "PayoutCredited",
  "Withdrawn",
  "Staked",
  "StakeClaimed",
];

/**
 * Reconstructs every wei an agent spent or earned over a block range from the chain alone, and
 * reconciles it with the node's balances:
 *
 * 1. the agent's Guild events and ERC-20 transfers (any token), read with topic filters on the agent
 *    and merged in chain order, give escrow funding, payouts, refunds, stakes, claims, withdrawals and
 *    token transfers, by job ({@link createEventFlowCollector}); the receipts of the transactions they
 *    name are fetched meanwhile;
 * 2. the other side of its jobs (outcomes it did not cause, terms, check verdicts) is read by job id
 *    ({@link readJobFacts}); a job the agent accepted names the transaction that did it;
 * 3. sub-jobs below its jobs are read in the background ({@link buildJobTree});
 * 4. receipts give gas and the agent's nonce finds the transactions no event names (plain payments,
 *    failed calls): {@link createTransactionFinder};
 * 5. the native balance, bisected against what the flows predict, locates value received without an
 *    event; those blocks are read and traced ({@link findUnexplainedNativeTransfers});
 * 6. every token is reconciled: opening + in - out - gas = closing, to the wei ({@link reconcileBalances});
 * 7. flows are grouped by period from block times; transcripts name the tool call behind each transaction.
 *
 * Memory holds the aggregates and one row per job and per transaction of the agent, not the logs read.
 *
 * @example
 * const report = await auditAgent({ reader, agent: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
 * console.log(report.reconciled ? "reconciled" : report.tokens.map((t) => t.reconciliation.difference));
 */
export async function auditAgent({
  reader,
  agent: agentInput,
  name,
  fromBlock: fromInput,
  toBlock: toInput,
  transcriptsDir,
  includeFlows = false,
  labels = new Map(),
  trace = true,
  concurrency = 400,
  logPageSize,
  onProgress,
}: AuditAgentParameters): Promise<AuditReport> {
  const started = performance.now();
  const log = reader.logger.child({ module: "audit", agent: agentInput });
  const agent = getAddress(agentInput);
  const rpc = createAuditRpc(reader.connection);
  const { addresses } = reader;
  const toBlock = toInput ?? BigInt(await rpc.request({ method: "eth_blockNumber" }));
  // Block 0 is the genesis state: the audit starts after it.
  const fromBlock = fromInput === undefined || fromInput < 1n ? 1n : fromInput;
  if (fromBlock > toBlock) throw new RangeError(`The range ${fromBlock}-${toBlock} is empty.`);
  const progress = (phase: AuditPhase, done: number, total: number, detail: string) =>
    onProgress?.({ phase, done, total, detail });
  const phasesMs: Record<string, number> = {};
  let phaseStart = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    phasesMs[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };

  const code = await rpc.request({ method: "eth_getCode", params: [agent, numberToHex(toBlock)] });
  // An EIP-7702 delegation (0xef0100 ++ address) leaves the account an EOA that sends transactions.
  const kind: "eoa" | "contract" = code === "0x" || code.toLowerCase().startsWith("0xef0100") ? "eoa" : "contract";

  // 1. Events and transfers.
  const ledger = createLedger({ keepFlows: includeFlows });
  const jobs = new Map<bigint, JobRow>();
  const stakes = new Map<bigint, StakeRow>();
  // Receipts of the agent's transactions are fetched while events still arrive.
  const finder =
    kind === "eoa"
      ? createTransactionFinder({
          rpc,
          agent,
          addresses,
          fromBlock,
          toBlock,
          ledger,
          jobs,
          stakes,
          concurrency,
          onProgress: (done, total, phase) => progress("transactions", done, total, phase),
          logger: log,
        })
      : undefined;
  const collector = createEventFlowCollector({
    agent,
    addresses,
    ledger,
    jobs,
    stakes,
    ...(finder ? { onCandidate: finder.add } : {}),
  });
  const topic = addressTopic(agent);
  const guildFrom = fromBlock > reader.fromBlock ? fromBlock : reader.fromBlock;
  // The agent's Guild events (from the contracts' deployment) and its ERC-20 transfers and approvals with
  // any contract (every token it touched, not only Guild's).
  const filters: [LogFilter, bigint][] = [
    ...(guildFrom <= toBlock
      ? ([
          [{ address: [addresses.escrow, addresses.registry], names: BY_FIRST, topics: [topic] }, guildFrom],
          [{ address: [addresses.escrow, addresses.evaluator], names: BY_SECOND, topics: [null, topic] }, guildFrom],
          [{ address: addresses.escrow, names: ["JobCreated"], topics: [null, null, topic] }, guildFrom],
        ] as [LogFilter, bigint][])
      : []),
    [{ address: [], names: ["Transfer", "Approval"], topics: [topic] }, fromBlock],
    [{ address: [], names: ["Transfer"], topics: [null, topic] }, fromBlock],
  ];
  const pageSizes = await Promise.all(
    filters.map(async ([filter, start]) =>
      Math.min(logPageSize ?? 10_000, await pageSizeFor(rpc, filter, start, toBlock)),
    ),
  );
  log.debug({ pageSizes }, "blocks per log page, by filter");
  const streamProgress = new Map<number, ReadLogsProgress>();
  const stream = (index: number, { address, names, topics }: LogFilter, start: bigint, pageSize: number) =>
    streamLogs(rpc.client, {
      address,
      events: pickEvents(names),
      topics,
      fromBlock: start,
      toBlock,
      pageSize,
      targetLogsPerPage: TARGET_LOGS_PER_PAGE,
      concurrency: 2,
      logger: log,
      onProgress: (entry) => {
        streamProgress.set(index, entry);
        const through = [...streamProgress.values()].reduce(
          (min, value) => (value.throughBlock < min ? value.throughBlock : min),
          toBlock,
        );
        const read = [...streamProgress.values()].reduce((sum, value) => sum + value.logs, 0);
        progress("logs", Number(through - fromBlock + 1n), Number(toBlock - fromBlock + 1n), `${read} logs`);
      },
    }) as unknown as AsyncGenerator<LogPage<AuditAbi>>;
  const streams = filters.map(([filter, start], index) => stream(index, filter, start, pageSizes[index] as number));
  for await (const logs of mergeLogStreams(streams)) for (const entry of logs) collector.onLog(entry);
  collector.finish();
  lap("events");
  log.debug({ logs: collector.logs, jobs: collector.jobs.size, candidates: collector.candidates.size }, "events read");

  // 2. What the agent's own events do not tell about its jobs: the other side's actions, the outcome of
  // checks it staked on. A job the agent accepted or settled was settled in its own transaction: those
  // logs name transactions for the receipt reader too (no block needs reading to find them).
  const me = agent.toLowerCase();
  const incomplete = { terms: [] as bigint[], outcome: [] as bigint[], payout: [] as bigint[] };
  for (const row of jobs.values()) {
    const stake = stakes.get(row.jobId);
    const open =
      (row.outcome !== "paid" && row.outcome !== "refunded") || (stake !== undefined && stake.outcome === "open");
    if (row.client === undefined || row.provider === undefined || row.budget === undefined || row.token === undefined)
      incomplete.terms.push(row.jobId);
    else if (open) (stake ? incomplete.outcome : incomplete.payout).push(row.jobId);
  }
  const mayBeMine = (entry: AuditLog) => {
    if (!finder || !entry.transactionHash) return;
    const row = "jobId" in entry.args ? jobs.get(entry.args.jobId as bigint) : undefined;
    if (!row || !(row.roles.includes("client") || row.roles.includes("staker") || row.roles.includes("provider")))
      return;
    if (entry.eventName === "PaymentReleased" && row.provider?.toLowerCase() === me) return; // in the agent's own stream already
    if (!collector.candidates.has(entry.transactionHash)) {
      const candidate = { block: entry.blockNumber, jobId: row.jobId };
      collector.candidates.set(entry.transactionHash, candidate);
      finder.add(entry.transactionHash, candidate);
    }
  };
  const factReads = (
    [
      [incomplete.terms, "terms"],
      [incomplete.outcome, "outcome"],
      [incomplete.payout, "payout"],
    ] as const
  )
    .filter(([ids]) => ids.length > 0)
    .map(([ids, read]) =>
      readJobFacts({
        rpc,
        agent,
        addresses,
        jobIds: ids,
        jobs,
        stakes,
        fromBlock: reader.fromBlock,
        toBlock,
        read,
        ...(logPageSize ? { pageSize: logPageSize } : {}),
        onLog: (entry) => {
          if (entry.eventName !== "JobCreated" && entry.eventName !== "JobDetails" && entry.eventName !== "JobFunded")
            mayBeMine(entry);
        },
        logger: log,
        onProgress: (done, total) => progress("jobs", done, total, "job facts"),
      }),
    );
  const factLogs = (await Promise.all(factReads)).reduce((sum, count) => sum + count, 0);
  lap("jobs");

  // 3. The sub-jobs below the agent's jobs are only read: that runs while the agent's transactions are found.
  const trees = buildJobTree({ rpc, agent, addresses, jobs, fromBlock: reader.fromBlock, toBlock, logger: log });
  trees.catch(() => {}); // awaited below; this keeps an early failure from counting as unhandled meanwhile

  // 4. The agent's own transactions: gas and direct payments.
  let transactions: AgentTx[] = [];
  let incomingByBlock = new Map<bigint, RpcTransaction[]>();
  let sent = 0;
  const warnings = [...collector.warnings];
  if (finder) {
    const found = await finder.finish();
    transactions = found.transactions;
    incomingByBlock = found.incomingByBlock;
    sent = found.sent;
    warnings.push(...found.warnings);
  }
  lap("transactions");

  // 5. Native value that arrived without an event, located through the balance history; meanwhile the
  // times of the blocks known to hold flows.
  const blockTimes = readBlockTimestamps(rpc, [...new Set([fromBlock, toBlock, ...ledger.blocks()])], { concurrency });
  blockTimes.catch(() => {});
  const balanceAt = (block: bigint) =>
    rpc.request({ method: "eth_getBalance", params: [agent, numberToHex(block)] }).then((value) => BigInt(value));
  const [opening, closing] = await Promise.all([balanceAt(fromBlock - 1n), balanceAt(toBlock)]);
  const native = await findUnexplainedNativeTransfers({
    rpc,
    agent,
    addresses,
    fromBlock,
    toBlock,
    opening,
    closing,
    ledger,
    agentTransactions: transactions,
    incomingByBlock,
    concurrency,
    trace,
    onProgress: (done, open) => progress("balances", done, done + open, "locating balance changes"),
  });
  warnings.push(...native.warnings);
  lap("balances");

  // 6. Reconciliation, token by token.
  const tokenMeta = async (token: Address) => {
    const info = await getTokenInfo(reader, token);
    return { symbol: info.symbol, decimals: info.decimals };
  };
  const tokens = await reconcileBalances({
    rpc,
    agent,
    fromBlock,
    toBlock,
    ledger,
    extraTokens: addresses.testToken ? [addresses.testToken] : [],
    native: { opening, closing, unexplained: native.unexplained },
    tokenMeta,
    concurrency,
  });
  lap("reconcile");

  // 7. Trees linked with every parent known (receipts gave those of the jobs the agent created), and the
  // times of the blocks whose flows the balance history revealed.
  await trees;
  const jobRoots = linkJobTree(jobs);
  lap("trees");
  const times = await blockTimes;
  const late = ledger.blocks().filter((block) => !times.has(block));
  if (late.length > 0)
    for (const [block, time] of await readBlockTimestamps(rpc, late, { concurrency })) times.set(block, time);
  if (ledger.flows) for (const flow of ledger.flows) flow.timestamp = times.get(flow.block) as number;
  lap("timestamps");

  // 8. Transcripts.
  const transcripts = transcriptsDir
    ? await joinTranscripts({ dir: transcriptsDir, transactions: transactions.map((tx) => tx.hash) })
    : undefined;

  lap("transcripts");

  const contractLabels = new Map<string, string>([
    [addresses.escrow.toLowerCase(), "JobEscrow"],
    [addresses.evaluator.toLowerCase(), "StakedEvaluator"],
    [addresses.registry.toLowerCase(), "AgentRegistry"],
    ["network", "gas (network)"],
    [zeroAddress, "mint or burn (0x0)"],
    [agent.toLowerCase(), "self"],
  ]);
  for (const token of tokens)
    if (token.token !== zeroAddress) contractLabels.set(token.token.toLowerCase(), `${token.symbol} token`);
  const label = (key: string) => labels.get(key.toLowerCase()) ?? contractLabels.get(key.toLowerCase());

  const credits: CreditSummary[] = [...collector.credits.entries()].map(([token, entry]) => ({
    token,
    credited: entry.credited,
    withdrawn: entry.withdrawn,
    withdrawnToSelf: entry.withdrawnToSelf,
    outstanding: entry.credited - entry.withdrawn,
  }));
  const stakeRows: StakeRow[] = [...stakes.values()].sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
  const jobRows = [...jobs.values()].sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
  const flows = ledger.flows?.sort((a, b) =>
    a.block !== b.block
      ? a.block < b.block
        ? -1
        : 1
      : (a.logIndex ?? -1) - (b.logIndex ?? -1) || a.txHash.localeCompare(b.txHash),
  );
  const failed = transactions.filter((tx) => !tx.ok).length;
  const requests: Record<string, number> = Object.fromEntries(rpc.counts);

  const report: AuditReport = {
    agent: { address: agent, name: name ?? collector.registeredName, kind },
    chainId: reader.connection.chainId,
    contracts: { escrow: addresses.escrow, evaluator: addresses.evaluator, registry: addresses.registry },
    range: { fromBlock, toBlock, fromTimestamp: times.get(fromBlock) ?? 0, toTimestamp: times.get(toBlock) ?? 0 },
    generatedAt: new Date().toISOString(),
    reconciled: tokens.every((token) => token.reconciliation.status === "reconciled"),
    tokens,
    counterparties: counterpartyRows(ledger, label),
    periods: { hour: ledger.periods(times, 3_600), day: ledger.periods(times, 86_400) },
    jobs: jobRows,
    jobRoots,
    stakes: stakeRows,
    credits,
    transactions: {
      sent,
      failed,
      gas: transactions.reduce((sum, tx) => sum + tx.fee, 0n),
      foundByEvents: transactions.filter((tx) => tx.foundBy === "events").length,
      foundByNonce: transactions.filter((tx) => tx.foundBy === "nonce").length,
      incomingFound: native.found,
    },
    transcripts,
    flows,
    warnings,
    stats: { durationMs: Math.round(performance.now() - started), phasesMs, logs: collector.logs + factLogs, requests },
  };
  log.info(
    {
      reconciled: report.reconciled,
      jobs: jobRows.length,
      transactions: transactions.length,
      ms: report.stats.durationMs,
    },
    "audit done",
  );
  return report;
}
