import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { ensureEmbeddedChain, PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";

/** The two EVM nodes every chain-layer test runs against. */
export type NodeKind = "hardhat" | "anvil";
export const NODE_KINDS: NodeKind[] = ["hardhat", "anvil"];

/** Private keys of the first dev accounts of both nodes (the well-known "test test ... junk" mnemonic). */
export const DEV_KEYS = DEV_ACCOUNT_KEYS;

export type TestNode = {
  kind: NodeKind;
  url: string;
  chainId: number;
  stop: () => Promise<void>;
};

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
 * Starts a fresh node of `kind` on a free port; `stop()` kills it. `chainId` (Anvil only) makes a chain that
 * is not a dev chain by its id, though it still holds the dev accounts.
 */
export async function startTestNode(kind: NodeKind, { chainId }: { chainId?: number } = {}): Promise<TestNode> {
  const port = await freePort();
  if (kind === "hardhat") {
    if (chainId !== undefined) throw new Error("startTestNode: a chain id can only be chosen for Anvil");
    const chain = await ensureEmbeddedChain({ port });
    return { kind, url: chain.url, chainId: chain.chainId, stop: chain.stop };
  }
  return startAnvil(port, chainId);
}

async function startAnvil(port: number, chainId: number | undefined): Promise<TestNode> {
  const bin = join(PACKAGE_ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  const args = ["--host", "127.0.0.1", "--port", `${port}`, "--silent", "--hardfork", "prague"];
  if (chainId !== undefined) args.push("--chain-id", `${chainId}`);
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anvil exited: ${stderr}`);
    const chainId = await probeChainId(url, 500);
    if (chainId !== undefined) {
      return {
        kind: "anvil",
        url,
        chainId,
        stop: async () => {
          if (child.exitCode !== null) return;
          const done = new Promise<void>((resolve) => child.once("exit", () => resolve()));
          child.kill("SIGTERM");
          await done;
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill("SIGKILL");
  throw new Error("anvil did not answer within 20 s");
}
