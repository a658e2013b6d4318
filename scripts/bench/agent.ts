/**
 * What the agent loop costs, apart from the model and the chain, and what a whole hire takes offline.
 *
 *   npm run bench:agent [-- --runs 20 --loop-runs 300 --calls 10]
 *
 * (a) Loop overhead per tool call: runAgent with a scripted in-memory model (replays prepared tool calls,
 *     no work of its own) and tools whose invoke returns at once, with Guild's real argument schemas.
 *     What is left is the loop: LangChain tool binding, zod validation, runTool, the ToolMessage JSON,
 *     the transcript line (a real file append). The time inside the model's invoke (LangChain's chat-model
 *     machinery around a model that does nothing) is measured and reported apart.
 * (b) A hire -> deliver -> verify -> approve round trip with the offline planner on the in-process Hardhat
 *     network (EDR, no port), a provider delivering from a loop in the same process. Median of `--runs`,
 *     split into the agent's JSON-RPC time, the wait for the provider, the tools' own work and the loop.
 */
import hre from "hardhat";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import { BaseChatModel, type BindToolsInput } from "@langchain/core/language_models/chat_models";
import { AIMessage, type BaseMessage } from "@langchain/core/messages";
import type { ChatResult } from "@langchain/core/outputs";
import { parseEther, type EIP1193Provider, type Hash } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { createAgent } from "../../src/agent/createAgent.js";
import { runAgent } from "../../src/agent/runAgent.js";
import { fileTranscript, memoryTranscript } from "../../src/agent/transcript.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { deployGuild } from "../../src/chain/connectGuild.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import type { GuildReader } from "../../src/chain/GuildClient.js";
import { readJobTexts } from "../../src/chain/reads/readJobTexts.js";
import { loadConfig } from "../../src/config/loadConfig.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { denyAll } from "../../src/guard/approvers.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { decodeJobSpec } from "../../src/skills/jobSpec.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import { defineTool, type GuildTool, type ToolContext, type ToolResult } from "../../src/tools/GuildTool.js";
import { runTool, serializeToolResult } from "../../src/tools/runTool.js";
import { addressSchema, amountSchema, jobIdSchema, tokenSchema } from "../../src/tools/schemas.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";
import { median, quantile } from "./stats.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "20" },
    "loop-runs": { type: "string", default: "300" },
    calls: { type: "string", default: "10" },
  },
});
const ROUND_TRIPS = Number(values.runs);
const LOOP_RUNS = Number(values["loop-runs"]);
const CALLS = Number(values.calls);
const logger = silentLogger();

const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
const p90 = (xs: number[]) => quantile(xs, 0.9);

// ------------------------------------------------------------------------------------------------
// (a) The loop's own overhead
// ------------------------------------------------------------------------------------------------

/** A chat model that replays prepared replies instantly and times its own invoke. */
class ScriptedModel extends BaseChatModel {
  private replies: AIMessage[] = [];
  private next = 0;
  /** Milliseconds spent inside invoke (LangChain's machinery around a model doing nothing). */
  invokeMs = 0;

  load(replies: AIMessage[]): void {
    this.replies = replies;
    this.next = 0;
    this.invokeMs = 0;
  }

  _llmType(): string {
    return "scripted";
  }

  override bindTools(_tools: BindToolsInput[]): this {
    return this;
  }

  override async invoke(...args: Parameters<BaseChatModel["invoke"]>): ReturnType<BaseChatModel["invoke"]> {
    const started = performance.now();
    try {
      return await super.invoke(...args);
    } finally {
      this.invokeMs += performance.now() - started;
    }
  }

  async _generate(
    _messages: BaseMessage[],
    _options: this["ParsedCallOptions"],
    _run?: CallbackManagerForLLMRun,
  ): Promise<ChatResult> {
    const message = this.replies[this.next++] ?? new AIMessage("out of script");
    return { generations: [{ text: typeof message.content === "string" ? message.content : "", message }] };
  }
}

const HASH = `0x${"ab".repeat(32)}` as Hash;
const PAYEE = privateKeyToAccount(DEV_ACCOUNT_KEYS[9]).address;

/** Instant tools with Guild's real argument schemas and result shapes. */
const instantTools = [
  defineTool({
    name: "pay",
    moves: "value",
    description: "Pays an address (instant stand-in).",
    schema: z.object({ to: addressSchema, amount: amountSchema, token: tokenSchema }),
    async invoke({ to, amount }): Promise<ToolResult> {
      return {
        ok: true,
        message: `Paid ${amount} ETH to ${to}.`,
        txHashes: [HASH],
        data: { to, amount, token: "ETH" },
      };
    },
  }),
  defineTool({
    name: "get_job",
    moves: "none",
    description: "Shows a job (instant stand-in).",
    schema: z.object({ jobId: jobIdSchema }),
    async invoke({ jobId }): Promise<ToolResult> {
      return {
        ok: true,
        message: `Job ${jobId} is Submitted: budget 0.002 ETH, client ${PAYEE}, provider ${PAYEE}.`,
        data: {
          jobId: jobId.toString(),
          status: "Submitted",
          budget: "0.002",
          token: "ETH",
          description: '{"v":1,"skill":"word-count","input":"a b c"}',
        },
      };
    },
  }),
];

function script(calls: number): AIMessage[] {
  const replies: AIMessage[] = [];
  for (let i = 0; i < calls; i++) {
    const call =
      i % 2 === 0
        ? { id: `call_${i}`, name: "pay", args: { to: PAYEE, amount: "0.001" }, type: "tool_call" as const }
        : { id: `call_${i}`, name: "get_job", args: { jobId: String(i) }, type: "tool_call" as const };
    replies.push(new AIMessage({ content: "", tool_calls: [call] }));
  }
  replies.push(new AIMessage("done"));
  return replies;
}

async function benchLoop(kind: "file" | "memory"): Promise<{ perCallUs: number[]; modelPerTurnUs: number[] }> {
  const model = new ScriptedModel({});
  const dir = mkdtempSync(join(tmpdir(), "guild-bench-transcripts-"));
  const context = { logger } as unknown as ToolContext;
  const perCallUs: number[] = [];
  const modelPerTurnUs: number[] = [];
  for (let run = 0; run < LOOP_RUNS + 20; run++) {
    model.load(script(CALLS));
    const transcript = kind === "file" ? fileTranscript(dir) : memoryTranscript();
    const started = performance.now();
    const result = await runAgent({
      task: "bench",
      model,
      tools: instantTools,
      context,
      systemPrompt: "You are a bench.",
      transcript,
      logger,
    });
    const total = performance.now() - started;
    if (result.toolCalls !== CALLS || !result.finished) throw new Error("the scripted run did not go as planned");
    if (run < 20) continue; // warm-up
    perCallUs.push(((total - model.invokeMs) / CALLS) * 1000);
    modelPerTurnUs.push((model.invokeMs / (CALLS + 1)) * 1000);
  }
  return { perCallUs, modelPerTurnUs };
}

/** µs per operation of `fn`, over `n` calls after a warm-up. */
async function micro(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < 1_000; i++) await fn(i);
  const started = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - started) / n) * 1000;
}

// ------------------------------------------------------------------------------------------------
// (b) A hire round trip on the in-process network
// ------------------------------------------------------------------------------------------------

/** Wraps an EIP-1193 provider to measure the wall time during which at least one request is open. */
function timingProvider(inner: EIP1193Provider) {
  let open = 0;
  let since = 0;
  const busy = { outsideWait: 0, insideWait: 0 };
  const state = { waiting: false };
  const provider = {
    ...inner,
    on: inner.on.bind(inner),
    removeListener: inner.removeListener.bind(inner),
    request: (async (args: Parameters<EIP1193Provider["request"]>[0]) => {
      if (open++ === 0) since = performance.now();
      try {
        return await inner.request(args as never);
      } finally {
        if (--open === 0) busy[state.waiting ? "insideWait" : "outsideWait"] += performance.now() - since;
      }
    }) as EIP1193Provider["request"],
  } as EIP1193Provider;
  return { provider, busy, state };
}

async function benchRoundTrip() {
  const network = await hre.network.create();
  const raw = network.provider as unknown as EIP1193Provider;
  const timed = timingProvider(raw);
  const connection = await createConnection({ provider: timed.provider });
  const config = loadConfig({ GUILD_HOME: mkdtempSync(join(tmpdir(), "guild-bench-")), GUILD_LOG_LEVEL: "silent" });
  const record = await deployGuild(connection, config, logger);
  const { chainId: _chainId, deployedAt: _deployedAt, fromBlock, ...addresses } = record;
  const reader: GuildReader = { connection, addresses, fromBlock, logger };

  // The provider on its own (untimed) connection, as another process would be.
  const providerReader: GuildReader = { ...reader, connection: await createConnection({ provider: raw }) };
  const bob = createGuildClient(providerReader, { account: privateKeyToAccount(DEV_ACCOUNT_KEYS[2]) });
  await registerAgent(bob, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
  let stopped = false;
  const providerLoop = (async () => {
    let seen = 0n;
    while (!stopped) {
      const count = await providerReader.connection.publicClient.readContract({
        address: addresses.escrow,
        abi: jobEscrowAbi,
        functionName: "jobCount",
      });
      for (let jobId = seen + 1n; jobId <= count; jobId++) {
        const job = await readJob(providerReader, { jobId });
        if (job.status !== "Funded") continue;
        const spec = decodeJobSpec((await readJobTexts(providerReader, { jobId })).description ?? "");
        const skill = spec && BUILTIN_SKILLS.get(spec.skill);
        if (spec && skill) await deliverJob(bob, { jobId, content: await skill.run(spec.input) });
      }
      seen = count;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();

  // Each tool timed; wait_for_delivery flagged so its chain requests count as waiting for the provider.
  const toolMs = { all: 0, wait: 0 };
  const tools = ALL_TOOLS.map(
    (tool): GuildTool => ({
      ...tool,
      async invoke(args, context) {
        const started = performance.now();
        const waiting = tool.name === "wait_for_delivery";
        timed.state.waiting = waiting;
        try {
          return await tool.invoke(args, context);
        } finally {
          const ms = performance.now() - started;
          toolMs.all += ms;
          if (waiting) toolMs.wait += ms;
          timed.state.waiting = false;
        }
      },
    }),
  );
  const agent = await createAgent({
    config,
    logger,
    reader,
    name: "alice",
    account: privateKeyToAccount(DEV_ACCOUNT_KEYS[1]),
    approver: denyAll,
    tools,
  });
  const task = "Hire an agent for word-count to count the words in: the quick brown fox. Budget 0.002 ETH.";
  const rows: { total: number; rpc: number; wait: number; toolsOwn: number; loop: number; calls: number }[] = [];
  for (let run = 0; run < ROUND_TRIPS + 2; run++) {
    toolMs.all = 0;
    toolMs.wait = 0;
    timed.busy.outsideWait = 0;
    timed.busy.insideWait = 0;
    const started = performance.now();
    const result = await agent.ask(task);
    const total = performance.now() - started;
    if (!/Outcome: paid\./.test(result.answer)) throw new Error(`round trip ${run} did not end paid: ${result.answer}`);
    if (run < 2) continue; // warm-up
    rows.push({
      total,
      rpc: timed.busy.outsideWait,
      wait: toolMs.wait,
      toolsOwn: toolMs.all - toolMs.wait - timed.busy.outsideWait,
      loop: total - toolMs.all,
      calls: result.toolCalls,
    });
    console.error(`  round trip ${run - 1}/${ROUND_TRIPS}: ${total.toFixed(1)} ms`);
  }
  stopped = true;
  await providerLoop;
  await network.close();
  return rows;
}

// ------------------------------------------------------------------------------------------------

console.error(`(a) loop overhead: ${LOOP_RUNS} runs of ${CALLS} tool calls each (plus warm-up)`);
const fileLoop = await benchLoop("file");
const memoryLoop = await benchLoop("memory");
const [payTool] = instantTools;
if (!payTool) throw new Error("no instant tools to measure");
const context = { logger } as unknown as ToolContext;
const runToolUs = await micro(20_000, () => runTool(payTool, { to: PAYEE, amount: "0.001" }, context));
const sampleResult: ToolResult = {
  ok: true,
  message: `Paid 0.001 ETH to ${PAYEE}.`,
  txHashes: [HASH],
  data: { to: PAYEE, amount: "0.001", token: "ETH" },
};
const serializeUs = await micro(20_000, () => serializeToolResult(sampleResult));
const transcript = fileTranscript(mkdtempSync(join(tmpdir(), "guild-bench-line-")));
const transcriptUs = await micro(20_000, (i) =>
  transcript.write({
    type: "tool",
    step: i,
    callId: `call_${i}`,
    name: "pay",
    args: { to: PAYEE, amount: "0.001" },
    ok: true,
    message: sampleResult.message,
    txHashes: [HASH],
    data: sampleResult.data ?? {},
  }),
);

console.error(`(b) hire round trip on the in-process network: ${ROUND_TRIPS} runs (plus warm-up)`);
const trips = await benchRoundTrip();

const us = (x: number) => `${x.toFixed(1)} µs`;
const ms = (x: number) => `${x.toFixed(1)} ms`;
console.log(
  `\n## Agent loop overhead per tool call (${LOOP_RUNS} runs x ${CALLS} calls; scripted model, instant tools)\n`,
);
console.log("| measure | median | mean | p90 |");
console.log("| --- | ---: | ---: | ---: |");
console.log(
  `| loop per tool call, file transcript (zod, runTool, ToolMessage JSON, transcript append, LangChain tool binding) | ${us(median(fileLoop.perCallUs))} | ${us(mean(fileLoop.perCallUs))} | ${us(p90(fileLoop.perCallUs))} |`,
);
console.log(
  `| loop per tool call, in-memory transcript | ${us(median(memoryLoop.perCallUs))} | ${us(mean(memoryLoop.perCallUs))} | ${us(p90(memoryLoop.perCallUs))} |`,
);
console.log(
  `| (excluded) LangChain chat-model invoke around a model doing nothing, per turn | ${us(median(fileLoop.modelPerTurnUs))} | ${us(mean(fileLoop.modelPerTurnUs))} | ${us(p90(fileLoop.modelPerTurnUs))} |`,
);
console.log(`| of the loop: runTool (zod parse + instant invoke) | ${us(runToolUs)} | | |`);
console.log(`| of the loop: serializeToolResult | ${us(serializeUs)} | | |`);
console.log(`| of the loop: one transcript line (JSON, redaction, appendFileSync) | ${us(transcriptUs)} | | |`);

const col = (pick: (row: (typeof trips)[number]) => number) => trips.map(pick);
const calls = median(col((row) => row.calls));
console.log(
  `\n## Hire -> deliver -> verify -> approve, offline planner, in-process Hardhat network (${ROUND_TRIPS} runs, ${calls} tool calls each)\n`,
);
console.log("| part | median | mean | p90 |");
console.log("| --- | ---: | ---: | ---: |");
const line = (label: string, xs: number[]) =>
  console.log(`| ${label} | ${ms(median(xs))} | ${ms(mean(xs))} | ${ms(p90(xs))} |`);
line(
  "**round trip (agent.ask, task to answer)**",
  col((row) => row.total),
);
line(
  "chain: the agent's JSON-RPC requests (sends, receipts, reads, the guard's log reads), outside the wait",
  col((row) => row.rpc),
);
line(
  "waiting for the provider: wait_for_delivery (its deliver tx, the agent's 50 ms poll)",
  col((row) => row.wait),
);
line(
  "tools' own work outside RPC (signing, ABI encoding, zod, skills)",
  col((row) => row.toolsOwn),
);
line(
  "loop outside tools (offline planner, LangChain, ToolMessage JSON, transcript file)",
  col((row) => row.loop),
);
const chainShare = median(col((row) => (row.rpc + row.wait) / row.total)) * 100;
console.log(
  `\nChain and provider: ${chainShare.toFixed(0)}% of the median round trip; the agent's own code (tools' work plus loop): ${(100 - chainShare).toFixed(0)}%.`,
);
