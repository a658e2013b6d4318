/*
 * How `guild mcp` lives with its hosts: Streamable HTTP behind the control API's bearer token (an
 * elicitation travels on the call's own stream), a long wait the host cancels (MCP cancellation stops it),
 * and a host that disconnects in the middle of a hire: the server finishes the hire, so the job is on
 * chain and funded, ends cleanly, and a later session picks the job up and settles it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ElicitRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { readJob } from "../../src/chain/actions/readJob.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { guildPaths } from "../../src/config/loadConfig.js";
import type { McpHttpFile } from "../../src/mcp/mcpHttpToken.js";
import { fundFromDevAccount } from "../../src/wallet/fundFromDevAccount.js";
import { type DaemonHandle, startDaemonProcess, startTestGuild, type TestGuild, waitFor } from "../daemon/support.js";
import { callTool, connectMcp, jobCount, mcpArgs, mcpTranscripts, textOf } from "./support.js";

describe("guild mcp's lifecycle: HTTP, cancellation, a host that disconnects mid-hire", () => {
  let guild: TestGuild;
  let bob: DaemonHandle;
  /** A registered agent that never delivers (no daemon runs for it). */
  const sleepy = privateKeyToAccount(generatePrivateKey());
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice", "bob"] });
    bob = await startDaemonProcess(guild, "bob", ["--skills", "word-count", "--roles", "worker", "--price", "0.001"]);
    await fundFromDevAccount({ rpcUrl: guild.node.url, address: sleepy.address, nativeTarget: parseEther("1") });
    const client = createGuildClient(guild.reader, { account: sleepy });
    await registerAgent(client, { name: "sleepy", skills: ["sort"], price: parseEther("0.001") });
  }, 240_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await guild?.stop();
  });

  function spawnMcp(args: string[] = []) {
    const child = spawn(process.execPath, mcpArgs("alice", args), {
      cwd: PACKAGE_ROOT,
      env: guild.env(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    return { child, stdout: () => stdout, stderr: () => stderr, exited };
  }

  it("serves Streamable HTTP behind the bearer token; an elicitation travels on the call's stream", async () => {
    const server = spawnMcp(["--http", "0"]);
    const file = join(guildPaths(guild.home).agent("alice"), "mcp.json");
    const info = await waitFor(
      "guild mcp --http to write mcp.json",
      async () => {
        if (server.child.exitCode !== null) throw new Error(`guild mcp exited early:\n${server.stderr()}`);
        if (!existsSync(file)) return undefined;
        const written = JSON.parse(readFileSync(file, "utf8")) as McpHttpFile;
        return written.pid === server.child.pid ? written : undefined;
      },
      120_000,
      250,
    );
    expect(info.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    expect(server.stderr()).toContain(`at ${info.url} (Streamable HTTP); bearer token: ${file}`);
    expect(server.stderr()).not.toContain(info.token);

    const initialize = {
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "curl", version: "1" } },
    };
    const post = (authorization?: string) =>
      fetch(info.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          accept: "application/json, text/event-stream",
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify(initialize),
      });
    expect((await post()).status).toBe(401);
    expect((await post(`Bearer ${info.token.slice(0, -1)}x`)).status).toBe(401);
    expect((await post(`Basic ${info.token}`)).status).toBe(401);

    const client = new Client(
      { name: "guild-test-http-host", version: "1.0.0" },
      { capabilities: { elicitation: { form: {} } } },
    );
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: "accept", content: { approve: true } };
    });
    const transport = new StreamableHTTPClientTransport(new URL(info.url), {
      requestInit: { headers: { authorization: `Bearer ${info.token}` } },
    });
    await client.connect(transport, { timeout: 60_000 });
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toContain("hire_agent");
    const payee = privateKeyToAccount(generatePrivateKey()).address;
    const paid = (await client.callTool({ name: "pay", arguments: { to: payee, amount: "0.001" } }, undefined, {
      timeout: 120_000,
    })) as { isError?: boolean; content: { type: string; text: string }[] };
    expect(paid.isError, paid.content[0]?.text).toBeUndefined();
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain(`pay 0.001 ETH to ${payee}`);
    expect(await guild.connection.publicClient.getBalance({ address: payee })).toBe(parseEther("0.001"));
    await transport.terminateSession();
    await client.close();

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(existsSync(file)).toBe(false); // the token file goes with the server
  });

  it("a long wait the host cancels stops waiting; the session goes on", async () => {
    const mcp = await connectMcp(guild, "alice");
    try {
      const hired = await callTool(mcp, "hire_agent", {
        skill: "sort",
        input: "3 1 2",
        budget: "0.001",
        provider: sleepy.address,
      });
      expect(hired.isError, textOf(hired)).toBeUndefined();
      const jobId = hired.structuredContent.jobId as string;
      const controller = new AbortController();
      const waiting = callTool(
        mcp,
        "wait_for_delivery",
        { jobId, timeoutSeconds: 3_600 },
        {
          signal: controller.signal,
          onprogress: () => controller.abort("the user pressed stop"),
        },
      );
      await expect(waiting).rejects.toThrow();
      // The server noticed: the wait returned (long before its hour) and the transcript says it was cancelled.
      const line = await waitFor(
        "the cancelled wait in the transcript",
        async () =>
          mcpTranscripts(guild, "alice")
            .at(-1)
            ?.find((entry) => entry.type === "tool" && entry.name === "wait_for_delivery"),
        60_000,
      );
      expect(line).toMatchObject({ ok: false, data: { cancelled: true } });
      expect(line.type === "tool" && line.message).toMatch(
        /^Cancelled by the host while wait_for_delivery was waiting/,
      );
      const job = await callTool(mcp, "get_job", { jobId });
      expect(job.structuredContent).toMatchObject({ status: "Funded", provider: sleepy.address });
    } finally {
      await mcp.close();
    }
  });

  it("a host that disconnects mid-hire: the hire finishes on chain, the server exits 0, a later session settles it", async () => {
    const server = spawnMcp();
    const send = (message: unknown) => server.child.stdin?.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "flaky-host", version: "1" } },
    });
    await waitFor("the initialize response", async () => server.stdout().includes('"id":1'), 120_000);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const jobsBefore = await jobCount(guild);
    send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: {
        name: "hire_agent",
        arguments: { skill: "word-count", input: "one two three", budget: "0.002", checkWindowMinutes: 0.25 },
      },
    });
    server.child.stdin?.end(); // the host goes away without waiting for the answer
    expect(await server.exited).toBe(0);
    expect(server.stdout()).not.toContain('"id":2'); // nobody was there to answer

    // The hire is on chain, whole: one new job, alice's, funded for bob.
    expect(await jobCount(guild)).toBe(jobsBefore + 1n);
    const jobId = jobsBefore + 1n;
    const job = await readJob(guild.reader, { jobId });
    expect(job).toMatchObject({
      client: guild.address("alice"),
      provider: guild.address("bob"),
      budget: parseEther("0.002"),
    });
    expect(["Funded", "Submitted"]).toContain(job.status);
    const [session] = mcpTranscripts(guild, "alice").filter((entries) =>
      entries.some((entry) => entry.type === "run" && entry.task.includes("flaky-host")),
    );
    const hire = session?.find((entry) => entry.type === "tool");
    expect(hire).toMatchObject({ name: "hire_agent", ok: true, data: { jobId: jobId.toString() } });
    expect(session?.at(-1)?.type).toBe("end");

    // A later session picks it up: bob delivers, the check closes, it is settled and bob is paid.
    const mcp = await connectMcp(guild, "alice");
    try {
      const delivered = await callTool(mcp, "wait_for_delivery", { jobId: jobId.toString(), timeoutSeconds: 120 });
      expect(delivered.structuredContent).toMatchObject({ status: "Submitted", content: "3" });
      const settled = await callTool(mcp, "settle_job", { jobId: jobId.toString(), timeoutSeconds: 180 });
      expect(settled.structuredContent, textOf(settled)).toMatchObject({ status: "Completed", outcome: "paid" });
    } finally {
      await mcp.close();
    }
    expect(bob.running()).toBe(true);
  });

  it("a host killed mid-hire (every pipe closed at once): the hire still finishes on chain, whole", async () => {
    const server = spawnMcp();
    const send = (message: unknown) => server.child.stdin?.write(`${JSON.stringify(message)}\n`);
    send({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "killed-host", version: "1" } },
    });
    await waitFor("the initialize response", async () => server.stdout().includes('"id":1'), 120_000);
    send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const jobsBefore = await jobCount(guild);
    send({
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "hire_agent", arguments: { skill: "word-count", input: "four five", budget: "0.002" } },
    });
    // The host dies: its ends of stdin, stdout and stderr all close (later writes by the server get EPIPE).
    server.child.stdin?.destroy();
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    const code = await server.exited;
    expect(await jobCount(guild)).toBe(jobsBefore + 1n);
    const job = await readJob(guild.reader, { jobId: jobsBefore + 1n });
    expect(job).toMatchObject({ client: guild.address("alice"), budget: parseEther("0.002") });
    expect(["Funded", "Submitted"]).toContain(job.status);
    const [session] = mcpTranscripts(guild, "alice").filter((entries) =>
      entries.some((entry) => entry.type === "run" && entry.task.includes("killed-host")),
    );
    expect(session?.find((entry) => entry.type === "tool")).toMatchObject({ name: "hire_agent", ok: true });
    expect(code).toBe(0);
  });
});
