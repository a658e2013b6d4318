import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { ensureEmbeddedChain, PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";

/** The two EVM nodes every chain-layer test runs against. */
export type NodeKind = "hardhat" | "anvil";
export const NODE_KINDS: NodeKind[] = ["hardhat", "anvil"];

/** Private keys of the first dev accounts of both nodes (the well-known "test test ... junk" mnemonic). */
export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const satisfies readonly `0x${string}`[];

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

/** Starts a fresh node of `kind` on a free port; `stop()` kills it. */
export async function startTestNode(kind: NodeKind): Promise<TestNode> {
  const port = await freePort();
  if (kind === "hardhat") {
    const chain = await ensureEmbeddedChain({ port });
    return { kind, url: chain.url, chainId: chain.chainId, stop: chain.stop };
  }
  return startAnvil(port);
}

async function startAnvil(port: number): Promise<TestNode> {
  const bin = join(PACKAGE_ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  const child = spawn(bin, ["--host", "127.0.0.1", "--port", `${port}`, "--silent", "--hardfork", "prague"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
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
