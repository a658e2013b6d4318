import { randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import { createMcpSession, type McpAgent, type McpSession } from "./createMcpSession.js";

export type ServeHttpParameters = {
  /** Default 127.0.0.1: the bearer token is the only lock, so the port is not offered to the network. */
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** Every request must carry `Authorization: Bearer <token>`. */
  token: string;
};

export type McpHttpServer = {
  /** The MCP endpoint, e.g. http://127.0.0.1:7420/mcp. */
  url: string;
  port: number;
  sessions: () => number;
  /** Stops taking requests and ends every session (calls that already send finish first). */
  close: () => Promise<void>;
};

const MAX_BODY = 1024 * 1024;

/**
 * Serves MCP over Streamable HTTP at `/mcp`, every request behind the bearer token, as the daemon's
 * control API is (compared in constant time; anything else gets 401 and reaches no session). Each
 * client's `initialize` opens a session of its own: its own task (budget, verdicts) and transcript.
 * Host and Origin headers are checked against the address served (DNS-rebinding protection).
 *
 * @example
 * const server = await serveHttp(agent, { port: 7420, token });
 * // POST http://127.0.0.1:7420/mcp with Authorization: Bearer <token>
 */
export async function serveHttp(agent: McpAgent, { host = "127.0.0.1", port, token }: ServeHttpParameters) {
  const log = agent.logger.child({ module: "mcp-http" });
  const expected = Buffer.from(`Bearer ${token}`);
  const authorized = (req: IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; session: McpSession }>();
  let allowedHosts: string[] = [];

  const route = async (req: IncomingMessage, res: ServerResponse) => {
    if (!authorized(req)) {
      res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="guild"' });
      res.end(JSON.stringify({ error: "missing or wrong bearer token" }));
      return;
    }
    const path = new URL(req.url ?? "/", "http://localhost").pathname.replace(/\/+$/, "");
    if (path !== "/mcp") {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: "MCP is served at /mcp" }));
      return;
    }
    const body = req.method === "POST" ? await readJson(req) : undefined;
    const id = req.headers["mcp-session-id"];
    const existing = typeof id === "string" ? sessions.get(id) : undefined;
    if (existing) return existing.transport.handleRequest(req, res, body);
    if (id !== undefined || req.method !== "POST" || !isInitializeRequest(body)) {
      res.writeHead(id === undefined ? 400 : 404, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          jsonrpc: "2.0",
          error: {
            code: -32000,
            message:
              id === undefined
                ? "No session: start one with an initialize request."
                : "No such session (it ended): initialize again.",
          },
          id: null,
        }),
      );
      return;
    }
    const session = await createMcpSession(agent);
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableDnsRebindingProtection: true,
      allowedHosts,
      onsessioninitialized: (sessionId) => {
        sessions.set(sessionId, { transport, session });
        log.info({ sessions: sessions.size }, "MCP session opened");
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void session.close();
    };
    await session.mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof BodyError ? error.status : 500;
      if (status === 500) log.warn({ err: error }, "MCP HTTP request failed");
      if (!res.headersSent) res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: error instanceof Error ? error.message : String(error) }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  allowedHosts = [`${host}:${actual}`, `localhost:${actual}`, `127.0.0.1:${actual}`];
  return {
    url: `http://${host}:${actual}/mcp`,
    port: actual,
    sessions: () => sessions.size,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.allSettled([...sessions.values()].map(({ session }) => session.close()));
      server.closeAllConnections();
    },
  } satisfies McpHttpServer;
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new BodyError(413, "Body too large.");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new BodyError(400, "Body is not valid JSON.");
  }
}
