/*
 * A host's session with `guild mcp`, end to end: the MCP SDK's own Client spawns the real CLI over stdio,
 * lists the tools (their schemas are the zod records' own) and resources, hires a worker daemon running as
 * its own process, waits for the delivery and the check's close with progress notifications, and reads
 * the job and the audit resources; the audit's figures are those `guild audit --json` prints.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Progress } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { z } from "zod";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import { runGuild } from "../support/runGuild.js";
import { type DaemonHandle, startDaemonProcess, startTestGuild, type TestGuild } from "../daemon/support.js";
import {
  callTool,
  chainState,
  clip,
  connectMcp,
  type McpConnection,
  mcpTranscripts,
  readJsonResource,
  sessionRecord,
  textOf,
} from "./support.js";

const INPUT = "agents with wallets hire each other";

describe("guild mcp over stdio, driven by the MCP SDK's Client", () => {
  let guild: TestGuild;
  let bob: DaemonHandle;
  let mcp: McpConnection;
  /** The session as the host saw it: docs/mcp.md shows it (GUILD_UPDATE_DOCS=1 rewrites it). */
  const record = sessionRecord();

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice", "bob"] });
    bob = await startDaemonProcess(guild, "bob", ["--skills", "word-count", "--roles", "worker", "--price", "0.001"]);
    // A host whose user approves when asked (the last test shows a question).
    mcp = await connectMcp(guild, "alice", {
      record,
      elicit: () => ({ action: "accept", content: { approve: true } }),
    });
  }, 240_000);
  afterAll(async () => {
    await mcp?.close();
    await guild?.stop();
  });

  it("lists every Guild tool with the JSON schema and description of its zod record", async () => {
    record.add("-> tools/list");
    const { tools } = await mcp.client.listTools();
    record.add(`<- ${tools.length} tools: ${tools.map((tool) => tool.name).join(", ")}`);
    const shown = tools.find((tool) => tool.name === "pay");
    record.add(`   pay: ${clip(JSON.stringify(shown), 600)}`);
    expect(tools.map((tool) => tool.name)).toEqual(ALL_TOOLS.map((tool) => tool.name));
    for (const record of ALL_TOOLS) {
      const listed = tools.find((tool) => tool.name === record.name)!;
      expect(listed.description).toBe(record.description);
      const { $schema: _, ...schema } = z.toJSONSchema(record.schema, { io: "input", unrepresentable: "any" });
      expect(listed.inputSchema).toEqual({ ...schema, type: "object" });
      expect(listed.annotations?.destructiveHint).toBe(record.moves === "value");
    }
    // The descriptions the model reads say the unit of amounts.
    const pay = tools.find((tool) => tool.name === "pay")!;
    expect(JSON.stringify(pay.inputSchema)).toContain("Not wei");
    const info = mcp.client.getServerVersion();
    expect(info?.name).toBe("guild");
    expect(mcp.client.getInstructions()).toMatch(/may spend at most 0\.05 ETH and 50 gUSD in all/);
  });

  it("lists the registered agents, the job and audit templates, and the agent's own audit", async () => {
    record.add("-> resources/list");
    const { resources } = await mcp.client.listResources();
    record.add(`<- ${resources.map((resource) => resource.uri).join(", ")}`);
    expect(resources.map((resource) => resource.uri)).toEqual(["guild://agents", "guild://audit/alice"]);
    record.add("-> resources/templates/list");
    const { resourceTemplates } = await mcp.client.listResourceTemplates();
    record.add(`<- ${resourceTemplates.map((template) => template.uriTemplate).join(", ")}`);
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual([
      "guild://audit/{agent}",
      "guild://jobs/{id}",
    ]);
    const agents = await readJsonResource<{ agents: { name: string; address: string; skills: string[] }[] }>(
      mcp,
      "guild://agents",
      (value) => JSON.stringify(value),
    );
    expect(agents.agents).toEqual([
      expect.objectContaining({
        name: "bob",
        address: guild.address("bob"),
        skills: ["word-count"],
        price: "0.001",
        token: "ETH",
      }),
    ]);
  });

  it("hires bob, waits for the delivery and the check's close with progress, and the job resource shows its events", async () => {
    const [aliceBefore] = await chainState(guild, [guild.address("alice")]);
    const found = await callTool(mcp, "find_agents", { skill: "word-count" });
    expect(found.isError).toBeUndefined();
    expect(found.structuredContent.agents).toEqual([expect.objectContaining({ address: guild.address("bob") })]);

    const hired = await callTool(mcp, "hire_agent", {
      skill: "word-count",
      input: INPUT,
      budget: "0.002",
      checkWindowMinutes: 0.25,
    });
    expect(hired.isError, textOf(hired)).toBeUndefined();
    const jobId = hired.structuredContent.jobId as string;
    expect(textOf(hired)).toMatch(
      new RegExp(`^Hired bob \\(${guild.address("bob")}\\) for word-count as job ${jobId}`),
    );
    expect(hired.structuredContent).toMatchObject({ ok: true, provider: guild.address("bob"), budget: "0.002" });
    expect(hired.structuredContent.txHash).toMatch(/^0x[0-9a-f]{64}$/);

    const waiting: Progress[] = [];
    const delivered = await callTool(
      mcp,
      "wait_for_delivery",
      { jobId, timeoutSeconds: 120 },
      {
        onprogress: (progress) => waiting.push(progress),
      },
    );
    expect(delivered.isError, textOf(delivered)).toBeUndefined();
    expect(delivered.structuredContent).toMatchObject({ status: "Submitted", content: "6" });

    const verified = await callTool(mcp, "verify_delivery", { jobId });
    expect(verified.structuredContent).toMatchObject({ verdict: "pass" });

    const closing: Progress[] = [];
    const settled = await callTool(
      mcp,
      "settle_job",
      { jobId, timeoutSeconds: 180 },
      {
        onprogress: (progress) => closing.push(progress),
      },
    );
    expect(settled.isError, textOf(settled)).toBeUndefined();
    expect(settled.structuredContent).toMatchObject({ status: "Completed", outcome: "paid" });
    // The check window was open for several seconds: the host saw the wait, in increasing progress.
    expect(closing.length).toBeGreaterThan(0);
    expect(closing[0]!.message).toMatch(new RegExp(`waiting for the check window of job ${jobId} to close`));
    for (let i = 1; i < closing.length; i++) expect(closing[i]!.progress).toBeGreaterThan(closing[i - 1]!.progress);
    // bob delivers within a poll or two; when the wait was long enough to report, it said what it waited for.
    for (const note of waiting) expect(note.message).toMatch(new RegExp(`waiting for job ${jobId} to be delivered`));

    const job = await readJsonResource<{
      status: string;
      content: string;
      events: { event: string; args: Record<string, unknown> }[];
    }>(
      mcp,
      `guild://jobs/${jobId}`,
      (value) =>
        `${clip(JSON.stringify({ ...value, events: undefined }))}; events: ${value.events.map((event) => event.event).join(", ")}`,
    );
    expect(job.status).toBe("Completed");
    expect(job.content).toBe("6");
    const names = job.events.map((event) => event.event);
    for (const name of ["JobCreated", "JobFunded", "JobSubmitted", "CheckSettled", "JobCompleted", "PaymentReleased"]) {
      expect(names).toContain(name);
    }
    expect(job.events.every((event) => event.args.jobId === jobId)).toBe(true);
    const funded = job.events.find((event) => event.event === "JobFunded")!;
    expect(funded.args).toMatchObject({ client: guild.address("alice"), amount: parseEther("0.002").toString() });

    // The listing of the agent's jobs names this one.
    const { resources } = await mcp.client.listResources();
    expect(resources.map((resource) => resource.uri)).toContain(`guild://jobs/${jobId}`);

    // Alice paid the budget and gas, nothing else.
    const [aliceAfter] = await chainState(guild, [guild.address("alice")]);
    expect(aliceBefore!.eth - aliceAfter!.eth).toBeGreaterThan(parseEther("0.002"));
    expect(aliceBefore!.eth - aliceAfter!.eth).toBeLessThan(parseEther("0.0025"));

    // The session's transcript names each call and the transactions it sent.
    const [transcript] = mcpTranscripts(guild, "alice");
    const calls = transcript!.filter((entry) => entry.type === "tool");
    expect(calls.map((entry) => entry.type === "tool" && entry.name)).toEqual([
      "find_agents",
      "hire_agent",
      "wait_for_delivery",
      "verify_delivery",
      "settle_job",
    ]);
    const hireLine = calls[1]!;
    expect(hireLine.type === "tool" && hireLine.txHashes).toContain(hired.structuredContent.txHash);
  });

  it("the audit resource is the guild.audit/v1 JSON `guild audit alice --json` prints, figure for figure", async () => {
    const fromMcp = await readJsonResource<Record<string, unknown>>(mcp, "guild://audit/alice", (value) => {
      const { tokens, jobs } = value as { tokens: { symbol: string; outflow: string; gas: string }[]; jobs: unknown[] };
      const native = tokens.find((token) => token.symbol === "ETH");
      return `${value.schema}, reconciled: ${value.reconciled}, jobs: ${jobs.length}, ETH out ${native?.outflow} wei (gas ${native?.gas} wei), …`;
    });
    const fromCli = JSON.parse(await guildAuditJson(guild, "alice")) as Record<string, unknown>;
    expect(fromMcp.schema).toBe("guild.audit/v1");
    expect(fromMcp.reconciled).toBe(true);
    // Everything but when it was generated, up to which block (bob's daemon may have mined since) and how
    // long each phase took.
    const { generatedAt: _a, range: _r, stats: _t, ...mcpFigures } = fromMcp;
    const { generatedAt: _b, range: _s, stats: _u, ...cliFigures } = fromCli;
    expect(mcpFigures).toEqual(cliFigures);
    const jobs = fromMcp.jobs as { outcome: string; budget: string; roles: string[] }[];
    expect(jobs).toEqual([
      expect.objectContaining({ outcome: "paid", budget: parseEther("0.002").toString(), roles: ["client"] }),
    ]);

    // `guild audit --transcripts` names the MCP call that sent each of alice's transactions.
    const joined = JSON.parse(await guildAuditJson(guild, "alice", ["--transcripts"])) as {
      transcripts: { attributed: { tool: string; task: string | null }[]; unattributed: string[] };
    };
    expect(joined.transcripts.unattributed).toEqual([]);
    // The hire, and alice's settle when hers was mined first: bob's daemon settles a passing check too.
    const tools = joined.transcripts.attributed.map((cause) => cause.tool);
    expect(tools[0]).toBe("hire_agent");
    expect(tools.slice(1).every((tool) => tool === "settle_job")).toBe(true);
    expect(tools.length).toBeLessThanOrEqual(2);
    expect(joined.transcripts.attributed[0]!.task).toBe("MCP session from guild-test-host 1.0.0");
  });

  it("a payment to an address the host's model supplied is asked of the person, who approves it", async () => {
    const payee = privateKeyToAccount(generatePrivateKey()).address;
    const paid = await callTool(mcp, "pay", { to: payee, amount: "0.001" });
    expect(paid.isError, textOf(paid)).toBeUndefined();
    expect(mcp.elicitations.map((question) => question.message)).toEqual([
      expect.stringContaining(`pay 0.001 ETH to ${payee}`),
    ]);
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(parseEther("0.001"));
    expect(bob.running()).toBe(true); // bob's daemon served the job as a separate process all along
    if (process.env.GUILD_UPDATE_DOCS === "1") writeDocsTranscript(record.lines);
  });
});

/** Replaces the transcript block of docs/mcp.md with this run's session. */
function writeDocsTranscript(lines: string[]): void {
  const path = join(PACKAGE_ROOT, "docs", "mcp.md");
  const start = "<!-- mcp-session:start (GUILD_UPDATE_DOCS=1 npx vitest run test/mcp/stdioSession.test.ts) -->";
  const end = "<!-- mcp-session:end -->";
  const text = readFileSync(path, "utf8");
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`docs/mcp.md has no transcript markers`);
  const block = ["```text", ...lines, "```"].join("\n");
  writeFileSync(path, `${text.slice(0, from + start.length)}\n${block}\n${text.slice(to)}`);
}

/** Runs `guild audit <agent> --json` as a user would and returns its stdout. */
async function guildAuditJson(guild: TestGuild, agent: string, extra: string[] = []): Promise<string> {
  const { code, stdout, stderr } = await runGuild(["audit", agent, "--json", ...extra], guild.env());
  if (code !== 0) throw new Error(`guild audit exited ${code}: ${stderr}`);
  return stdout;
}
