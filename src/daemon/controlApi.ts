import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "../log/createLogger.js";

/** What the control API serves; each returns a JSON-serialisable value (or text for metrics). */
export type ControlHandlers = {
  health: () => Promise<unknown>;
  metrics: () => Promise<string>;
  jobs: () => Promise<unknown>;
  /** Starts a delegated task; returns its id at once. */
  createTask: (body: { task: string }) => Promise<{ id: string }>;
  task: (id: string) => Promise<unknown | undefined>;
  approvals: () => Promise<unknown>;
  /** False when there is no such pending request. */
  decideApproval: (id: string, approved: boolean) => Promise<boolean>;
};

export type ControlApi = { url: string; port: number; close: () => Promise<void> };

const MAX_BODY = 64 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The daemon's control API on 127.0.0.1, every route behind `Authorization: Bearer <token>` (compared in
 * constant time; anything else gets 401 and changes nothing):
 * `GET /health`, `GET /metrics` (Prometheus text), `GET /jobs`, `POST /tasks` `{ "task": "..." }`,
 * `GET /tasks/:id`, `GET /approvals`, `POST /approvals/:id` `{ "approved": true|false }`.
 */
export async function startControlApi({
  host = "127.0.0.1",
  port,
  token,
  handlers,
  logger,
}: {
  host?: string;
  port: number;
  token: string;
  handlers: ControlHandlers;
  logger: Logger;
}): Promise<ControlApi> {
  const expected = Buffer.from(`Bearer ${token}`);
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req)) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="guild"' });
      res.end(JSON.stringify({ error: "missing or wrong bearer token" }));
      return;
    }
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname.replace(/\/+$/, "") || "/";
    const method = req.method ?? "GET";
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body, (_, value) => (typeof value === "bigint" ? value.toString() : value)));
    };
    if (method === "GET" && path === "/health") return json(200, await handlers.health());
    if (method === "GET" && path === "/metrics") {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(await handlers.metrics());
      return;
    }
    if (method === "GET" && path === "/jobs") return json(200, await handlers.jobs());
    if (method === "POST" && path === "/tasks") {
      const body = (await readJson(req)) as { task?: unknown };
      if (typeof body.task !== "string" || body.task.trim() === "") {
        throw new HttpError(400, 'Body must be {"task": "<what to do>"}.');
      }
      return json(202, await handlers.createTask({ task: body.task }));
    }
    const [, taskId] = /^\/tasks\/([\w-]+)$/.exec(path) ?? [];
    if (method === "GET" && taskId !== undefined) {
      const task = await handlers.task(taskId);
      return task === undefined ? json(404, { error: "no such task" }) : json(200, task);
    }
    if (method === "GET" && path === "/approvals") return json(200, await handlers.approvals());
    const [, approvalId] = /^\/approvals\/([\w-]+)$/.exec(path) ?? [];
    if (method === "POST" && approvalId !== undefined) {
      const body = (await readJson(req)) as { approved?: unknown };
      if (typeof body.approved !== "boolean")
        throw new HttpError(400, 'Body must be {"approved": true} or {"approved": false}.');
      const found = await handlers.decideApproval(approvalId, body.approved);
      return found
        ? json(200, { id: approvalId, approved: body.approved })
        : json(404, { error: "no such pending approval" });
    }
    json(404, { error: `no route ${method} ${path}` });
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : 500;
      if (status === 500) logger.warn({ err: error, path: req.url }, "control API request failed");
      if (!res.headersSent) res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new HttpError(413, "Body too large.");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  } catch {
    throw new HttpError(400, "Body is not valid JSON.");
  }
}
