/*
 * Shared setup of the MCP tests: `guild mcp` spawned as a host spawns it (the real CLI entry, bin/guild.js,
 * over stdio), the SDK's own Client connected to it, and small helpers to read what the server wrote.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  type CallToolResult,
  type ClientCapabilities,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  type Progress,
} from "@modelcontextprotocol/sdk/types.js";
import { type Address, erc20Abi, type Hash, type LocalAccount } from "viem";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import { readJobTexts } from "../../src/chain/reads/readJobTexts.js";
import type { TranscriptEntry } from "../../src/agent/transcript.js";
import { guildPaths } from "../../src/config/loadConfig.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { decodeJobSpec, type JobSpec } from "../../src/skills/jobSpec.js";
import { GUILD_BIN, type TestGuild } from "../daemon/support.js";

/**
 * A session as a host saw it, one line per message: `->` the host's requests, `<-` the server's answers,
 * `..` progress notifications, `<=`/`=>` an approval question from the server and the person's answer.
 * The docs' transcript (docs/mcp.md) is this, from a real run.
 */
export type SessionRecord = { lines: string[]; add: (line: string) => void };

/** Long JSON cut for the record, marked as cut. */
export function clip(text: string, length = 240): string {
  return text.length > length ? `${text.slice(0, length)} …` : text;
}

export function sessionRecord(): SessionRecord {
  const lines: string[] = [];
  return { lines, add: (line) => void lines.push(line) };
}

/** A connected MCP session with `guild mcp`, and what the server printed on stderr. */
export type McpConnection = {
  client: Client;
  transport: StdioClientTransport;
  stderr: () => string;
  /** Questions the server asked through elicitation, in order. */
  elicitations: ElicitRequest["params"][];
  record: SessionRecord | undefined;
  close: () => Promise<void>;
};

export type ConnectOptions = {
  /** Extra `guild mcp` arguments (--budget, --trust). */
  args?: string[];
  env?: Record<string, string>;
  /** How this client answers an approval question; undefined: it does not support elicitation at all. */
  elicit?: (params: ElicitRequest["params"]) => ElicitResult;
  /** Writes the session down as it goes (see {@link SessionRecord}). */
  record?: SessionRecord;
};

/** The argv a host runs: `node bin/guild.js mcp --as <agent>` (what `npx guild mcp --as <agent>` runs). */
export function mcpArgs(agent: string, extra: string[] = []): string[] {
  return [GUILD_BIN, "mcp", "--as", agent, ...extra];
}

/** Spawns `guild mcp --as <agent>` over stdio and connects the SDK's Client to it. */
export async function connectMcp(
  guild: TestGuild,
  agent: string,
  options: ConnectOptions = {},
): Promise<McpConnection> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: mcpArgs(agent, options.args),
    env: guild.env(options.env) as Record<string, string>,
    cwd: PACKAGE_ROOT,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const capabilities: ClientCapabilities = options.elicit ? { elicitation: { form: {} } } : {};
  const client = new Client({ name: "guild-test-host", version: "1.0.0" }, { capabilities });
  const elicitations: ElicitRequest["params"][] = [];
  if (options.elicit) {
    const answer = options.elicit;
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      elicitations.push(request.params);
      options.record?.add(`<= elicitation/create: ${request.params.message}`);
      const result = answer(request.params);
      options.record?.add(`=> ${result.action}${result.content ? ` ${JSON.stringify(result.content)}` : ""}`);
      return result;
    });
  }
  try {
    await client.connect(transport, { timeout: 120_000 });
  } catch (error) {
    throw new Error(`guild mcp did not start: ${String(error)}\n${stderr}`);
  }
  const record = options.record;
  if (record) {
    const server = client.getServerVersion();
    record.add(`-> initialize (client guild-test-host 1.0.0, elicitation: ${options.elicit ? "form" : "none"})`);
    record.add(`<- ${server?.name} ${server?.version}, ${JSON.stringify(client.getServerCapabilities())}`);
    for (const line of (client.getInstructions() ?? "").split("\n")) record.add(`   instructions: ${line}`);
  }
  return { client, transport, stderr: () => stderr, elicitations, record, close: () => client.close() };
}

/** Calls a tool with generous timeouts (a loaded machine), returning the protocol's result. */
export async function callTool(
  connection: McpConnection,
  name: string,
  args: Record<string, unknown>,
  options: { onprogress?: (progress: Progress) => void; signal?: AbortSignal } = {},
): Promise<CallToolResult & { structuredContent: Record<string, unknown> }> {
  const record = connection.record;
  record?.add(`-> tools/call ${name} ${JSON.stringify(args)}`);
  const onprogress = (progress: Progress) => {
    record?.add(`.. progress ${progress.progress}: ${progress.message ?? ""}`);
    options.onprogress?.(progress);
  };
  const result = (await connection.client.callTool({ name, arguments: args }, undefined, {
    timeout: 180_000,
    resetTimeoutOnProgress: true,
    ...(options.onprogress || record ? { onprogress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  })) as CallToolResult & { structuredContent: Record<string, unknown> };
  if (record) {
    record.add(
      `<- ${result.isError ? "isError: " : ""}${result.content.map((c) => (c.type === "text" ? c.text : c.type)).join(" ")}`,
    );
    record.add(`   structuredContent: ${clip(JSON.stringify(result.structuredContent))}`);
  }
  return result;
}

/** A JSON resource, parsed. */
export async function readJsonResource<T = Record<string, unknown>>(
  connection: McpConnection,
  uri: string,
  /** For the record: what to show of the resource (default its first 200 characters). */
  summary?: (value: T) => string,
): Promise<T> {
  connection.record?.add(`-> resources/read ${uri}`);
  const { contents } = await connection.client.readResource({ uri });
  const [first] = contents;
  if (contents.length !== 1 || !first || !("text" in first)) throw new Error(`${uri}: expected one text content`);
  if (first.mimeType !== "application/json") throw new Error(`${uri}: expected JSON, got ${first.mimeType}`);
  const value = JSON.parse(first.text) as T;
  connection.record?.add(`<- ${first.mimeType}: ${summary ? summary(value) : first.text.slice(0, 200)}`);
  return value;
}

/** The text of a tool result's one content block. */
export function textOf(result: CallToolResult): string {
  const [first] = result.content;
  if (result.content.length !== 1 || first?.type !== "text") throw new Error("expected one text block");
  return first.text;
}

/** The agent's transcripts written by MCP sessions (provider "mcp"), oldest first, parsed. */
export function mcpTranscripts(guild: TestGuild, agent: string): TranscriptEntry[][] {
  const dir = join(guildPaths(guild.home).agent(agent), "transcripts");
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return files
    .map((file) =>
      readFileSync(join(dir, file), "utf8")
        .trimEnd()
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as TranscriptEntry),
    )
    .filter((entries) => entries[0]?.type === "run" && entries[0].provider === "mcp");
}

/** Native and gUSD balances and the nonce of each address. */
export async function chainState(guild: TestGuild, addresses: Address[]) {
  const client = guild.connection.publicClient;
  const token = guild.reader.addresses.testToken!;
  return Promise.all(
    addresses.map(async (address) => ({
      nonce: await client.getTransactionCount({ address }),
      eth: await client.getBalance({ address }),
      gusd: await client.readContract({ address: token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    })),
  );
}

export async function jobCount(guild: TestGuild): Promise<bigint> {
  return guild.connection.publicClient.readContract({
    address: guild.reader.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "jobCount",
  });
}

/** Gas paid for `hashes`, in wei. */
export async function gasPaid(guild: TestGuild, hashes: readonly Hash[]): Promise<bigint> {
  let total = 0n;
  for (const hash of hashes) {
    const receipt = await guild.connection.publicClient.getTransactionReceipt({ hash });
    total += receipt.gasUsed * receipt.effectiveGasPrice;
  }
  return total;
}

/**
 * A provider outside any daemon (an attacker's own loop): delivers every Funded job addressed to it with
 * `content(spec)`, as a worker would, until stopped.
 */
export async function startProviderLoop(
  guild: TestGuild,
  provider: GuildClient & { account: LocalAccount },
  content: (spec: JobSpec) => string,
): Promise<{ stop: () => Promise<void>; delivered: bigint[] }> {
  let seen = await jobCount(guild);
  let stopped = false;
  let failure: unknown;
  const delivered: bigint[] = [];
  const done = (async () => {
    while (!stopped) {
      const count = await jobCount(guild);
      for (let jobId = seen + 1n; jobId <= count; jobId++) {
        const job = await readJob(provider, { jobId });
        if (job.status !== "Funded" || job.provider !== provider.account.address) continue;
        const { description } = await readJobTexts(provider, { jobId });
        const spec = description === undefined ? undefined : decodeJobSpec(description);
        if (!spec) continue;
        await deliverJob(provider, { jobId, content: content(spec) });
        delivered.push(jobId);
      }
      seen = count;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    delivered,
    stop: async () => {
      stopped = true;
      await done;
      if (failure) throw failure;
    },
  };
}
