import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/**
 * A JSON-RPC proxy in front of a real node, for testing what happens when the network misbehaves:
 * `down()` closes the port (connection refused), `up()` reopens it on the same port, and
 * `dropResponseOnce(method)` forwards the next such request to the node but cuts the connection
 * before the answer comes back (the node acted; the caller does not know). `fail(method, times)` answers the next
 * `times` such requests (every one, without `times`) with HTTP 503 and does not forward them (a flaky provider);
 * `heal()` ends every `fail`.
 */
export type RpcProxy = {
  url: string;
  down: () => Promise<void>;
  up: () => Promise<void>;
  dropResponseOnce: (method: string) => void;
  fail: (method: string, times?: number) => void;
  heal: () => void;
  /** JSON-RPC methods seen, in order. */
  seen: string[];
  close: () => Promise<void>;
};

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const drops = new Set<string>();
  const failing = new Map<string, number>();
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | undefined;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    let methods: string[] = [];
    try {
      const parsed = JSON.parse(body) as { method: string } | { method: string }[];
      methods = Array.isArray(parsed) ? parsed.map((p) => p.method) : [parsed.method];
    } catch {
      // forward as is
    }
    seen.push(...methods);
    const failed = methods.find((method) => (failing.get(method) ?? 0) > 0);
    if (failed) {
      failing.set(failed, failing.get(failed)! - 1);
      res.writeHead(503, { "content-type": "text/plain" });
      res.end("service unavailable");
      return;
    }
    const upstream = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
    const answer = await upstream.text();
    const dropped = methods.find((method) => drops.has(method));
    if (dropped) {
      drops.delete(dropped);
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, { "content-type": "application/json" });
    res.end(answer);
  };

  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((req, res) => {
        handle(req, res).catch(() => req.socket.destroy());
      });
      server.on("connection", (socket) => {
        sockets.add(socket);
        socket.on("close", () => sockets.delete(socket));
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server!.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
      server = undefined;
    });

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    down: stop,
    up: listen,
    dropResponseOnce: (method) => drops.add(method),
    fail: (method, times = Number.POSITIVE_INFINITY) => failing.set(method, times),
    heal: () => failing.clear(),
    seen,
    close: stop,
  };
}
