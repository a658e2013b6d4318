import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import {
  type AIMessageChunk,
  type BaseMessage,
  HumanMessage,
  SystemMessage,
  ToolMessage,
} from "@langchain/core/messages";
import { tool } from "@langchain/core/tools";
import { afterEach, describe, expect, it, type TestContext, vi } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config/loadConfig.js";
import { createChatModel } from "../../src/llm/createChatModel.js";
import {
  failStep,
  type FakeOpenAIServer,
  malformedToolCallStep,
  startFakeOpenAIServer,
  textStep,
  toolCallStep,
} from "../support/fakeOpenAIServer.js";

const API_KEY = "sk-guild-test-0123456789abcdef";

const getJob = tool(
  async ({ jobId }) => JSON.stringify({ ok: true, message: `Job ${jobId} is delivered.`, status: "delivered" }),
  {
    name: "get_job",
    description: "Reads one job of the escrow.",
    schema: z.object({ jobId: z.string().describe("job id, a decimal string such as 7") }),
  },
);
const stakeOnCheck = tool(async () => JSON.stringify({ ok: true, message: "Staked." }), {
  name: "stake_on_check",
  description: "Stakes on the quality check of a job.",
  schema: z.object({
    jobId: z.string().describe("job id"),
    pass: z.boolean().describe("true to stake that the delivery passes"),
    amount: z.string().describe("stake in token units, e.g. 0.001"),
  }),
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** The real ChatOpenAI, built by createChatModel from a config pointing at a fresh fake server. */
async function openaiAgainstFake(
  { onTestFinished }: TestContext,
  steps: Parameters<typeof startFakeOpenAIServer>[0],
  maxRetries = 2,
) {
  const server: FakeOpenAIServer = await startFakeOpenAIServer(steps);
  // The test's own hook (not afterEach or the global one): the retry tests run concurrently.
  onTestFinished(() => server.close());
  const config = loadConfig({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url, GUILD_MODEL: "llama3.1:8b" });
  const created = createChatModel({ config, maxRetries, timeoutMs: 10_000 });
  expect(created.provider).toBe("openai");
  const bound = (created.model as BaseChatModel).bindTools!([getJob, stakeOnCheck]);
  return { server, bound };
}

const conversation = (): BaseMessage[] => [
  new SystemMessage("You are a Guild agent."),
  new HumanMessage("Check the delivery of job 7"),
];

async function streamMerged(bound: Awaited<ReturnType<typeof openaiAgainstFake>>["bound"], messages: BaseMessage[]) {
  let merged: AIMessageChunk | undefined;
  const chunks: AIMessageChunk[] = [];
  for await (const chunk of await bound.stream(messages)) {
    chunks.push(chunk);
    merged = merged ? merged.concat(chunk) : chunk;
  }
  if (!merged) throw new Error("the stream was empty");
  return { merged, chunks };
}

describe("openai provider against a local Chat Completions server", () => {
  it("round-trips a tool call in plain JSON", async (ctx) => {
    const { server, bound } = await openaiAgainstFake(ctx, [
      toolCallStep("get_job", { jobId: "7" }, "call_1"),
      textStep("Job 7 is delivered."),
    ]);
    const messages = conversation();

    const first = await bound.invoke(messages);
    expect(first.tool_calls).toEqual([{ id: "call_1", name: "get_job", args: { jobId: "7" }, type: "tool_call" }]);
    expect(first.invalid_tool_calls ?? []).toEqual([]);

    messages.push(first);
    const call = first.tool_calls?.[0];
    if (!call) throw new Error("no tool call");
    const result = (await getJob.invoke({ ...call, type: "tool_call" })) as ToolMessage;
    messages.push(result);
    const second = await bound.invoke(messages);
    expect(second.content).toBe("Job 7 is delivered.");
    expect(second.tool_calls ?? []).toEqual([]);

    const [req1, req2] = server.completionRequests();
    expect(server.completionRequests()).toHaveLength(2);
    expect(req1?.path).toBe("/v1/chat/completions");
    expect(req1?.authorization === `Bearer ${API_KEY}`).toBe(true);
    expect(req1?.body?.model).toBe("llama3.1:8b");
    expect(req1?.body?.temperature).toBe(0);
    expect(req1?.body?.stream).toBe(false);
    // Tools go out with their JSON schemas and descriptions.
    const tools = req1?.body?.tools ?? [];
    expect(tools.map((t) => t.function.name)).toEqual(["get_job", "stake_on_check"]);
    expect(tools[0]?.function.description).toBe("Reads one job of the escrow.");
    expect(tools[0]?.function.parameters).toMatchObject({
      type: "object",
      properties: { jobId: { type: "string", description: "job id, a decimal string such as 7" } },
      required: ["jobId"],
    });
    expect(tools[1]?.function.parameters).toMatchObject({ properties: { pass: { type: "boolean" } } });
    // The second request carries the assistant's tool call and the tool's result.
    expect(req2?.body?.messages.map((m) => m.role)).toEqual(["system", "user", "assistant", "tool"]);
    expect(req2?.body?.messages[2]?.tool_calls?.[0]).toEqual({
      id: "call_1",
      type: "function",
      function: { name: "get_job", arguments: JSON.stringify({ jobId: "7" }) },
    });
    expect(req2?.body?.messages[3]).toMatchObject({ role: "tool", tool_call_id: "call_1" });
    expect(JSON.parse(String(req2?.body?.messages[3]?.content))).toEqual({
      ok: true,
      message: "Job 7 is delivered.",
      status: "delivered",
    });
  });

  it("streams tool-call deltas with stream() and merges them into one call", async (ctx) => {
    const args = { jobId: "7", pass: true, amount: "0.001" };
    const { server, bound } = await openaiAgainstFake(ctx, [
      toolCallStep("stake_on_check", args, "call_s"),
      textStep("Staked 0.001 on pass."),
    ]);

    const { merged, chunks } = await streamMerged(bound, conversation());
    expect(merged.tool_calls).toEqual([{ id: "call_s", name: "stake_on_check", args, type: "tool_call" }]);
    expect(merged.invalid_tool_calls ?? []).toEqual([]);
    // The arguments really arrived in pieces.
    const pieces = chunks
      .flatMap((c) => c.tool_call_chunks ?? [])
      .map((c) => c.args ?? "")
      .filter((a) => a.length > 0);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join("")).toBe(JSON.stringify(args));
    expect(server.completionRequests()[0]?.body?.stream).toBe(true);

    const text = await streamMerged(bound, conversation());
    expect(text.merged.content).toBe("Staked 0.001 on pass.");
    expect(text.chunks.length).toBeGreaterThan(2);
  });

  it("a malformed tool call does not throw: it shows up in invalid_tool_calls, and the loop can answer it", async (ctx) => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const raw = '{"jobId": "7" "pass": true}';
    const { server, bound } = await openaiAgainstFake(ctx, [
      malformedToolCallStep("get_job", raw, "call_bad"),
      toolCallStep("get_job", { jobId: "7" }, "call_good"),
    ]);
    const messages = conversation();
    const reply = await bound.invoke(messages);
    expect(reply.tool_calls ?? []).toEqual([]);
    expect(reply.invalid_tool_calls).toHaveLength(1);
    expect(reply.invalid_tool_calls?.[0]).toMatchObject({
      id: "call_bad",
      name: "get_job",
      args: raw,
      type: "invalid_tool_call",
    });
    expect(reply.invalid_tool_calls?.[0]?.error).toMatch(/not valid JSON/);
    // @langchain/openai 1.6.0 makes AIMessage print an "upgrade your packages" notice when every call is invalid.
    expect(warn).toHaveBeenCalled();

    // The loop answers the invalid call by id; the model then sends a valid one.
    messages.push(
      reply,
      new ToolMessage({ tool_call_id: "call_bad", status: "error", content: "The arguments were not valid JSON." }),
    );
    const retry = await bound.invoke(messages);
    expect(retry.tool_calls).toEqual([{ id: "call_good", name: "get_job", args: { jobId: "7" }, type: "tool_call" }]);
    const sent = server.completionRequests()[1]?.body?.messages ?? [];
    expect(sent[2]?.tool_calls?.[0]?.function).toEqual({ name: "get_job", arguments: raw });
    expect(sent[3]).toMatchObject({ role: "tool", tool_call_id: "call_bad" });
  });

  it("a malformed tool call in a stream shows up in invalid_tool_calls of the merged message", async (ctx) => {
    const { bound } = await openaiAgainstFake(ctx, [malformedToolCallStep("get_job", '{"jobId": "7",, }', "call_bad")]);
    const { merged } = await streamMerged(bound, conversation());
    expect(merged.tool_calls ?? []).toEqual([]);
    expect(merged.invalid_tool_calls).toEqual([
      {
        id: "call_bad",
        name: "get_job",
        args: '{"jobId": "7",, }',
        error: "Malformed args.",
        type: "invalid_tool_call",
      },
    ]);
  });

  it("truncated arguments: invoke() reports them invalid, stream() silently completes them", async (ctx) => {
    vi.spyOn(console, "warn").mockImplementation(() => {});
    const truncated = '{"jobId": "7", "pass": tru';
    const { bound } = await openaiAgainstFake(ctx, [
      malformedToolCallStep("stake_on_check", truncated),
      malformedToolCallStep("stake_on_check", truncated),
    ]);
    const invoked = await bound.invoke(conversation());
    expect(invoked.tool_calls ?? []).toEqual([]);
    expect(invoked.invalid_tool_calls?.[0]?.args).toBe(truncated);
    // LangChain parses streamed arguments as partial JSON, so a cut-off call becomes a valid-looking one.
    const { merged } = await streamMerged(bound, conversation());
    expect(merged.invalid_tool_calls ?? []).toEqual([]);
    expect(merged.tool_calls?.[0]?.args).toEqual({ jobId: "7", pass: true });
  });

  describe.concurrent("retries", () => {
    it("retries a 429 that carries Retry-After, then succeeds", async (ctx) => {
      const { server, bound } = await openaiAgainstFake(ctx, [
        failStep(429, 1, "0"),
        toolCallStep("get_job", { jobId: "7" }),
      ]);
      const reply = await bound.invoke(conversation());
      expect(reply.tool_calls?.[0]?.args).toEqual({ jobId: "7" });
      expect(server.completionRequests().map((r) => r.status)).toEqual([429, 200]);
      expect(server.completionRequests().every((r) => r.authorization === `Bearer ${API_KEY}`)).toBe(true);
    });

    it("retries a 500, then succeeds", async (ctx) => {
      const { server, bound } = await openaiAgainstFake(ctx, [failStep(500, 1), textStep("recovered")]);
      const reply = await bound.invoke(conversation());
      expect(reply.content).toBe("recovered");
      expect(server.completionRequests().map((r) => r.status)).toEqual([500, 200]);
    });

    it("gives up after maxRetries", async (ctx) => {
      const { server, bound } = await openaiAgainstFake(ctx, [failStep(500, 5), textStep("never")], 1);
      await expect(bound.invoke(conversation())).rejects.toMatchObject({ status: 500 });
      expect(server.completionRequests().map((r) => r.status)).toEqual([500, 500]);
    });

    it("does not retry a 429 without Retry-After (LangChain treats it as out of capacity)", async (ctx) => {
      const { server, bound } = await openaiAgainstFake(ctx, [failStep(429, 1), textStep("too late")]);
      await expect(bound.invoke(conversation())).rejects.toMatchObject({ name: "RateLimitCapacityError" });
      expect(server.completionRequests().map((r) => r.status)).toEqual([429]);
    });
  });
});
