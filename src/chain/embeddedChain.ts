import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { GuildError } from "../errors/GuildError.js";
import type { Logger } from "../log/createLogger.js";
import { pollUntil } from "./pollUntil.js";
import { withLocalLock } from "./withLocalLock.js";

/** Root of the Guild package (where hardhat.config.ts lives). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export class EmbeddedChainError extends GuildError {
  override name = "EmbeddedChainError";
}

export type EmbeddedChain = {
  url: string;
  chainId: number;
  /** True when this call started the node; false when one was already answering at the address. */
  started: boolean;
  /** Stops the node if this call started it; does nothing for a reused node. */
  stop: () => Promise<void>;
};

export type EnsureEmbeddedChainParameters = {
  host?: string;
  port?: number;
  /** File that receives the node's output (it lists dev accounts, so keep it out of logs). */
  logFile?: string;
  logger?: Logger;
  /** Give up waiting for a started node after this long. Default 60 s. */
  readyTimeoutMs?: number;
};

/** Asks `url` for its chain id; undefined when nothing answers. */
export async function probeChainId(url: string, timeoutMs = 1_000): Promise<number | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await response.json()) as { result?: string };
    return body.result ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure a local Hardhat node answers at `host:port`: reuses one already running there, or starts one
 * (`hardhat node`, with this package's config) and waits until it answers. Two Guild processes that call this at
 * once for the same port start one chain: the second waits (a lock per host and port) and then reuses it.
 *
 * @example
 * const chain = await ensureEmbeddedChain({ port: 8545 });
 * // ... use chain.url ...
 * await chain.stop();
 */
export async function ensureEmbeddedChain({
  host = "127.0.0.1",
  port = 8545,
  logFile,
  logger,
  readyTimeoutMs = 60_000,
}: EnsureEmbeddedChainParameters = {}): Promise<EmbeddedChain> {
  return withLocalLock(
    { name: `chain-${host}-${port}`, timeoutMs: readyTimeoutMs + 10_000, ...(logger ? { logger } : {}) },
    () => startUnlessRunning({ host, port, logFile, logger, readyTimeoutMs }),
  );
}

async function startUnlessRunning({
  host,
  port,
  logFile,
  logger,
  readyTimeoutMs,
}: {
  host: string;
  port: number;
  logFile: string | undefined;
  logger: Logger | undefined;
  readyTimeoutMs: number;
}): Promise<EmbeddedChain> {
  const url = `http://${host}:${port}`;
  const existing = await probeChainId(url);
  if (existing !== undefined) {
    logger?.info({ url, chainId: existing }, "reusing the chain already running");
    return { url, chainId: existing, started: false, stop: async () => {} };
  }

  const cli = join(PACKAGE_ROOT, "node_modules", "hardhat", "dist", "src", "cli.js");
  const args = [
    cli,
    "node",
    "--config",
    join(PACKAGE_ROOT, "hardhat.config.ts"),
    "--hostname",
    host,
    "--port",
    `${port}`,
  ];
  logger?.info({ url }, "starting the embedded Hardhat chain");
  const child = spawn(process.execPath, args, {
    cwd: PACKAGE_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0" },
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let output = "";
  child.once("exit", (code, signal) => {
    exited = { code, signal };
  });
  const collect = (chunk: Buffer) => {
    if (output.length < 8_000) output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  if (logFile) {
    mkdirSync(dirname(logFile), { recursive: true });
    const sink = createWriteStream(logFile, { flags: "a" });
    child.stdout?.pipe(sink);
    child.stderr?.pipe(sink);
  }

  const { value: chainId } = await pollUntil(
    async () => {
      if (exited) {
        const tail = output
          .split("\n")
          .filter((line) => !/Private Key/i.test(line))
          .slice(-5)
          .join("\n");
        throw new EmbeddedChainError(`The embedded chain exited before answering at ${url}.`, {
          details: tail || `exit code ${exited.code}`,
          metaMessages: [`Is port ${port} free? Set GUILD_CHAIN_PORT to use another one.`],
        });
      }
      return probeChainId(url, 500);
    },
    (answered) => answered !== undefined,
    { intervalMs: 100, timeoutMs: readyTimeoutMs },
  );
  if (chainId !== undefined) {
    logger?.info({ url, chainId, pid: child.pid }, "embedded chain ready");
    return { url, chainId, started: true, stop: () => stopChild(child) };
  }
  await stopChild(child);
  throw new EmbeddedChainError(`The embedded chain did not answer at ${url} within ${readyTimeoutMs} ms.`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await done;
  clearTimeout(timer);
}
