import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A local HTTP server that speaks just enough of the OpenAI Chat Completions API for the real `@langchain/openai`
 * client: `POST /v1/chat/completions` (and `/chat/completions`), answering plain JSON when `stream` is false and
 * Server-Sent Events (tool-call arguments split across several deltas, then `data: [DONE]`) when it is true.
 *
 * Each request takes the next scripted step from a queue. It records every request (body, path, the Authorization
 * header) so tests can assert what the client sent. It never prints anything, so the API key cannot leak from here.
 */

/** One tool call the fake model makes. `arguments` is sent as is, so it may be invalid JSON on purpose. */
export type FakeToolCall = { name: string; arguments: string; id?: string };

/** What the fake model answers for one request. */
export type FakeStep =
  | { kind: "text"; content: string }
  | { kind: "toolCalls"; calls: FakeToolCall[]; content?: string }
  /** Answers `status` (429, 500, ...) for the next `times` requests, then the queue moves on. */
  | { kind: "fail"; status: number; times: number; retryAfter?: string; message?: string };

/** A request the server received. */
export type FakeRequest = {
  method: string;
  path: string;
  /** The Authorization header as received; compare it, do not print it. */
  authorization: string | undefined;
  /** The parsed JSON body (undefined if it was not JSON). */
  body: ChatCompletionsBody | undefined;
  /** The status the server answered with. */
  status: number;
};

/** The parts of a Chat Completions request body the tests look at. */
export type ChatCompletionsBody = {
  model?: string;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  temperature?: number;
  tools?: Array<{
    type: string;
    function: { name: string; description?: string; parameters?: Record<string, unknown> };
  }>;
  messages: Array<{
    role: string;
    content?: unknown;
    tool_call_id?: string;
    tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
  }>;
  [key: string]: unknown;
};

export type FakeOpenAIServer = {
  /** Base URL including `/v1`, for `OPENAI_BASE_URL`. */
  url: string;
  /** Every request received, in order. */
  requests: FakeRequest[];
  /** Requests that reached the completions endpoint, in order. */
  completionRequests(): FakeRequest[];
  /** Appends steps to the queue. */
  enqueue(...steps: FakeStep[]): void;
  /** Steps not consumed yet. */
  pending(): number;
  close(): Promise<void>;
};

/** A text answer. */
export function textStep(content: string): FakeStep {
  return { kind: "text", content };
}

/** One tool call with JSON arguments. */
export function toolCallStep(name: string, args: Record<string, unknown>, id?: string): FakeStep {
  return { kind: "toolCalls", calls: [{ name, arguments: JSON.stringify(args), ...(id ? { id } : {}) }] };
}

/** A tool call whose arguments are not valid JSON (cut off mid-object), as small models sometimes produce. */
export function malformedToolCallStep(
  name: string,
  rawArguments = '{"jobId": "7", "pass": tru',
  id?: string,
): FakeStep {
  return { kind: "toolCalls", calls: [{ name, arguments: rawArguments, ...(id ? { id } : {}) }] };
}

/** `times` failures with `status` before the next step. */
export function failStep(status: number, times = 1, retryAfter?: string): FakeStep {
  return { kind: "fail", status, times, ...(retryAfter === undefined ? {} : { retryAfter }) };
}

/**
 * Starts the server on 127.0.0.1 with a free port.
 *
 * @example
 * const server = await startFakeOpenAIServer([toolCallStep("get_job", { jobId: "7" }), textStep("done")]);
 * const config = loadConfig({ OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url });
 * // ... createChatModel({ config, logger }) ...
 * await server.close();
 */
export async function startFakeOpenAIServer(steps: FakeStep[] = []): Promise<FakeOpenAIServer> {
  const queue: FakeStep[] = [...steps];
  const requests: FakeRequest[] = [];
  let completionCount = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: "fake server failure", type: "server_error" } });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: ChatCompletionsBody | undefined;
    try {
      body = JSON.parse(raw) as ChatCompletionsBody;
    } catch {
      body = undefined;
    }
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const record: FakeRequest = {
      method: req.method ?? "",
      path,
      authorization: req.headers.authorization,
      body,
      status: 0,
    };
    requests.push(record);
    const answer = (status: number, json: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      sendJson(res, status, json, headers);
    };

    if (req.method !== "POST" || (path !== "/v1/chat/completions" && path !== "/chat/completions")) {
      // 404 is not retried by the client, so a wrong URL fails fast.
      answer(404, { error: { message: `fake server: no route ${req.method} ${path}`, type: "invalid_request_error" } });
      return;
    }
    if (!body || !Array.isArray(body.messages)) {
      answer(400, {
        error: { message: "fake server: body is not a chat completions request", type: "invalid_request_error" },
      });
      return;
    }

    const step = queue[0];
    if (!step) {
      // 400, not 500: the client must not retry a test that ran out of script.
      answer(400, { error: { message: "fake server: no scripted response left", type: "invalid_request_error" } });
      return;
    }
    if (step.kind === "fail") {
      step.times -= 1;
      if (step.times <= 0) queue.shift();
      const type = step.status === 429 ? "rate_limit_exceeded" : "server_error";
      answer(
        step.status,
        { error: { message: step.message ?? `fake server: scripted ${step.status}`, type, code: type } },
        step.retryAfter === undefined ? {} : { "retry-after": step.retryAfter },
      );
      return;
    }
    queue.shift();
    completionCount += 1;
    const id = `chatcmpl-fake-${completionCount}`;
    const model = body.model ?? "fake-model";
    const calls =
      step.kind === "toolCalls"
        ? step.calls.map((call, index) => ({ ...call, id: call.id ?? `call_fake_${completionCount}_${index}` }))
        : [];
    record.status = 200;
    if (body.stream === true) {
      streamAnswer(res, { id, model, step, calls, includeUsage: body.stream_options?.include_usage === true });
    } else {
      sendJson(res, 200, {
        id,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: step.kind === "text" ? step.content : (step.content ?? null),
              ...(calls.length > 0
                ? {
                    tool_calls: calls.map((call) => ({
                      id: call.id,
                      type: "function",
                      function: { name: call.name, arguments: call.arguments },
                    })),
                  }
                : {}),
            },
            logprobs: null,
            finish_reason: calls.length > 0 ? "tool_calls" : "stop",
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
      });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    completionRequests: () => requests.filter((r) => r.path.endsWith("/chat/completions")),
    enqueue: (...more) => {
      queue.push(...more);
    },
    pending: () => queue.length,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function streamAnswer(
  res: ServerResponse,
  {
    id,
    model,
    step,
    calls,
    includeUsage,
  }: { id: string; model: string; step: FakeStep; calls: Required<FakeToolCall>[]; includeUsage: boolean },
): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);

  send(chunk({ role: "assistant", content: calls.length > 0 ? null : "" }));
  const text = step.kind === "text" ? step.content : step.kind === "toolCalls" ? (step.content ?? "") : "";
  for (const piece of splitInto(text, 3)) send(chunk({ content: piece }));
  calls.forEach((call, index) => {
    // The first delta names the call; the arguments follow in several pieces, as OpenAI sends them.
    send(
      chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }),
    );
    for (const piece of splitInto(call.arguments, 4))
      send(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  send(chunk({}, calls.length > 0 ? "tool_calls" : "stop"));
  if (includeUsage) {
    send({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
    });
  }
  res.write("data: [DONE]\n\n");
  res.end();
}

/** Splits `text` into up to `parts` non-empty pieces. */
function splitInto(text: string, parts: number): string[] {
  if (text.length === 0) return [];
  const size = Math.max(1, Math.ceil(text.length / parts));
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}

function sendJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  const payload = JSON.stringify(json);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
