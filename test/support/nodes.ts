/*
 * The harness for real node processes, Hardhat or Anvil: a fresh node on a free port per call (tests start one
 * per file, in beforeAll), with the same shape as the in-process network (./testChain.ts).
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { createTestClient, createWalletClient, type PublicClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createConnection, type ChainConnection } from "../../src/chain/createConnection.js";
import { ensureEmbeddedChain, PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { pollUntil } from "../../src/chain/pollUntil.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";
import {
  type DeployGuildOnParameters,
  type GuildChain,
  type NodeKind,
  type TestChain,
  type TestWallet,
  withGuild,
} from "./testChain.js";

export type { NodeKind } from "./testChain.js";
export const NODE_KINDS: NodeKind[] = ["hardhat", "anvil"];

/** Private keys of the first dev accounts of both nodes (the well-known "test test ... junk" mnemonic). */
export const DEV_KEYS = DEV_ACCOUNT_KEYS;

/** A node process: a {@link TestChain} with a URL. */
export type TestNode = TestChain & { kind: NodeKind; url: string };

/** A node process with Guild deployed on it. */
export type GuildNode = GuildChain<TestNode>;

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a fresh node of `kind` on a free port, with nothing deployed; `stop()` kills it. `chainId` (Anvil only)
 * makes a chain that is not a dev chain by its id, though it still holds the dev accounts.
 *
 * @example
 * const node = await startTestNode("anvil");
 * await fundFromDevAccount({ rpcUrl: node.url, address });
 * await node.stop();
 */
export async function startTestNode(kind: NodeKind, { chainId }: { chainId?: number } = {}): Promise<TestNode> {
  const port = await freePort();
  let node: { url: string; stop: () => Promise<void> };
  if (kind === "hardhat") {
    if (chainId !== undefined) throw new Error("startTestNode: a chain id can only be chosen for Anvil");
    node = await ensureEmbeddedChain({ port });
  } else {
    node = await startAnvil(port, chainId);
  }
  try {
    const clients = await nodeClients(node.url);
    const testClient = createTestClient({
      mode: kind,
      chain: clients.connection.chain,
      transport: clients.connection.transport,
    }) as unknown as TestChain["testClient"];
    return { kind, url: node.url, chainId: clients.connection.chainId, ...clients, testClient, stop: node.stop };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/**
 * Starts a fresh node of `kind` and deploys Guild on it (see {@link deployGuildOn}).
 *
 * @example
 * const chain = await startGuildNode("anvil");
 * const alice = chain.guild.clientFor(DEV_KEYS[1]);
 * await chain.stop();
 */
export async function startGuildNode(kind: NodeKind, params: DeployGuildOnParameters = {}): Promise<GuildNode> {
  return withGuild(await startTestNode(kind), params);
}

/** Guild's connection to the node at `url`, its public client and a wallet client per dev key. */
export async function nodeClients(
  url: string,
): Promise<{ connection: ChainConnection; publicClient: PublicClient; wallets: TestWallet[] }> {
  // Test nodes mine at once: poll fast even on a chain whose id is not a dev chain's.
  const connection = await createConnection({ url, pollingIntervalMs: 50 });
  const wallets = DEV_KEYS.map((key) =>
    createWalletClient({ account: privateKeyToAccount(key), chain: connection.chain, transport: connection.transport }),
  );
  return { connection, publicClient: connection.publicClient as PublicClient, wallets };
}

async function startAnvil(
  port: number,
  chainId: number | undefined,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = join(PACKAGE_ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  const args = ["--host", "127.0.0.1", "--port", `${port}`, "--silent", "--hardfork", "prague"];
  if (chainId !== undefined) args.push("--chain-id", `${chainId}`);
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const { done } = await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`anvil exited: ${stderr}`);
      return probeChainId(url, 500);
    },
    (chainId) => chainId !== undefined,
    { intervalMs: 100, timeoutMs: 20_000 },
  );
  if (!done) {
    child.kill("SIGKILL");
    throw new Error("anvil did not answer within 20 s");
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    },
  };
}
