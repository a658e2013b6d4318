import type { BaseChatModel } from "@langchain/core/language_models/chat_models";
import { ChatOpenAI } from "@langchain/openai";
import type { GuildConfig } from "../config/loadConfig.js";
import { silentLogger, type Logger } from "../log/createLogger.js";
import { OfflinePlanner } from "./offlinePlanner.js";

export type ChatModelProvider = "openai" | "offline";

export type CreateChatModelParameters = {
  config: Pick<GuildConfig, "openai">;
  logger?: Logger;
  /** Retries of a failed request (429 with Retry-After, 5xx, network errors). Default 3. */
  maxRetries?: number;
  /** Timeout of one request in milliseconds. Default 60 000. */
  timeoutMs?: number;
};

export type CreateChatModelReturnType = {
  model: BaseChatModel;
  provider: ChatModelProvider;
  /** One line for people, e.g. "gpt-4o-mini via http://127.0.0.1:11434"; never contains the API key. */
  description: string;
};

/** What the log and the CLI say when no LLM is configured. */
export const NO_LLM_MESSAGE =
  "No LLM in use: OPENAI_API_KEY is not set, so the deterministic offline planner decides " +
  "(it follows fixed plans for the supported task forms)";

/**
 * Picks the agent's chat model from the configuration.
 *
 * - `openai` when `OPENAI_API_KEY` is set: `ChatOpenAI` with `GUILD_MODEL`, talking to `OPENAI_BASE_URL` when given,
 *   so any server that speaks Chat Completions works (OpenAI, Ollama, vLLM, llama.cpp). Temperature 0, never
 *   `streaming: true` (with `invoke()` it makes js-tiktoken fetch data from the internet); use `.stream()` to stream.
 * - `offline` otherwise: the deterministic {@link OfflinePlanner}, announced once at warn level.
 *
 * Retries are LangChain's (the OpenAI SDK's own are off): 5xx and network errors back off 1-2 s, doubling; a 429 is
 * retried only when it carries a Retry-After of at most 60 s (the longer of the two waits applies); a 429 without one
 * fails at once.
 *
 * @example
 * const { model, provider } = createChatModel({ config: loadConfig(), logger });
 * const reply = await model.bindTools!(tools).invoke(messages);
 */
export function createChatModel({
  config,
  logger = silentLogger(),
  maxRetries = 3,
  timeoutMs = 60_000,
}: CreateChatModelParameters): CreateChatModelReturnType {
  const log = logger.child({ module: "llm/createChatModel" });
  const { apiKey, baseUrl, model } = config.openai;
  if (!apiKey) {
    log.warn({ provider: "offline" }, NO_LLM_MESSAGE);
    return { model: new OfflinePlanner(), provider: "offline", description: "offline planner (no LLM in use)" };
  }
  const endpoint = baseUrl === undefined ? "https://api.openai.com" : originOf(baseUrl);
  const chat = new ChatOpenAI({
    apiKey,
    model,
    temperature: 0,
    maxRetries,
    timeout: timeoutMs,
    ...(baseUrl === undefined ? {} : { configuration: { baseURL: baseUrl } }),
  });
  log.info({ provider: "openai", model, endpoint, maxRetries, timeoutMs }, "using an OpenAI-compatible chat model");
  return { model: chat, provider: "openai", description: `${model} via ${endpoint}` };
}

/** Scheme, host and port only: paths and queries of provider URLs can carry keys. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid OPENAI_BASE_URL)";
  }
}
