import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HumanMessage } from "@langchain/core/messages";
import { ChatOpenAI } from "@langchain/openai";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/loadConfig.js";
import { createChatModel } from "../../src/llm/createChatModel.js";
import { OfflinePlanner } from "../../src/llm/offlinePlanner.js";
import { createLogger, type LogLevel } from "../../src/log/createLogger.js";
import { clearSecrets } from "../../src/log/secrets.js";
import { startFakeOpenAIServer, textStep } from "../support/fakeOpenAIServer.js";

const API_KEY = "sk-guild-test-SECRET-0123456789abcdef";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "guild-llm-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  clearSecrets();
});

/** A Guild logger writing to a temp file, and a reader of its JSON lines. */
function fileLogger(level: LogLevel = "info") {
  const path = join(dir, "guild.log");
  const logger = createLogger({ level, destination: pino.destination({ dest: path, sync: true }) });
  const text = () => {
    try {
      return readFileSync(path, "utf8");
    } catch {
      return "";
    }
  };
  const lines = () =>
    text()
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as { level: number; msg: string; [key: string]: unknown });
  return { logger, text, lines };
}

describe("createChatModel", () => {
  it("picks the offline planner without an API key and says, once, that no LLM is in use", async () => {
    const log = fileLogger();
    const created = createChatModel({ config: loadConfig({}), logger: log.logger });
    expect(created.provider).toBe("offline");
    expect(created.model).toBeInstanceOf(OfflinePlanner);
    expect(created.description).toContain("no LLM");

    // Planning steps log nothing more.
    const reply = await created.model.bindTools!([{ name: "spending_report", description: "", schema: {} }]).invoke([
      new HumanMessage("Report spending"),
    ]);
    expect(reply.tool_calls?.[0]?.name).toBe("spending_report");

    const lines = log.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(40);
    expect(lines[0]?.msg).toMatch(
      /^No LLM in use: OPENAI_API_KEY is not set, so the deterministic offline planner decides/,
    );
    expect(lines[0]?.module).toBe("llm/createChatModel");
  });

  it("picks ChatOpenAI with the key, model and base URL, temperature 0 and no streaming", () => {
    const log = fileLogger();
    const config = loadConfig({
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: "http://127.0.0.1:11434/v1",
      GUILD_MODEL: "qwen2.5:7b",
    });
    const created = createChatModel({ config, logger: log.logger, maxRetries: 4, timeoutMs: 5_000 });
    expect(created.provider).toBe("openai");
    const model = created.model as ChatOpenAI;
    expect(model).toBeInstanceOf(ChatOpenAI);
    expect(model.model).toBe("qwen2.5:7b");
    expect(model.temperature).toBe(0);
    expect(model.streaming).toBe(false);
    expect(model.timeout).toBe(5_000);
    expect(created.description).toBe("qwen2.5:7b via http://127.0.0.1:11434");
    expect(log.lines().map((l) => l.msg)).toEqual(["using an OpenAI-compatible chat model"]);
    expect(log.text()).not.toContain("No LLM");
  });

  it("never writes the API key, even with redaction off and a real request at trace level", async () => {
    const server = await startFakeOpenAIServer([textStep("hello")]);
    try {
      const config = loadConfig({ OPENAI_API_KEY: API_KEY, OPENAI_BASE_URL: server.url });
      // Redaction would mask a leak; switch it off to see what the code itself writes.
      clearSecrets();
      const log = fileLogger("trace");
      const created = createChatModel({ config, logger: log.logger });
      const reply = await created.model.invoke([new HumanMessage("hi")]);
      expect(reply.content).toBe("hello");
      expect(server.requests[0]?.authorization === `Bearer ${API_KEY}`).toBe(true);
      expect(log.lines().length).toBeGreaterThan(0);
      expect(log.text().includes(API_KEY)).toBe(false);
      expect(created.description.includes(API_KEY)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("describes the endpoint by its origin only: a key in the base URL path stays out", () => {
    const pathKey = "abcdefghijklmnopqrstuvwxyz0123456789";
    const log = fileLogger("trace");
    const config = loadConfig({
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: `https://gateway.example.com/v1/${pathKey}`,
    });
    clearSecrets();
    const created = createChatModel({ config, logger: log.logger });
    expect(created.description).toBe("gpt-4o-mini via https://gateway.example.com");
    expect(log.text()).toContain("https://gateway.example.com");
    expect(log.text().includes(pathKey)).toBe(false);
  });
});
