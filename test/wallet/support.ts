import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PACKAGE_ROOT, probeChainId } from "../../src/chain/embeddedChain.js";
import { freePort, type TestNode } from "../support/nodes.js";

/** scrypt cost for tests: milliseconds instead of seconds. */
export const TEST_SCRYPT_N = 1024;

/** A fresh GUILD_HOME under the OS temp folder; `cleanup()` removes it. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "guild-wallet-"));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}

/** Anvil with a chain id of our choosing (a stand-in for a non-dev chain: it still holds the dev accounts). */
export async function startAnvilWithChainId(chainId: number): Promise<TestNode> {
  const port = await freePort();
  const bin = join(PACKAGE_ROOT, "node_modules", "@foundry-rs", "anvil-linux-amd64", "bin", "anvil");
  const child = spawn(
    bin,
    ["--host", "127.0.0.1", "--port", `${port}`, "--silent", "--hardfork", "prague", "--chain-id", `${chainId}`],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`anvil exited: ${stderr}`);
    const answered = await probeChainId(url, 500);
    if (answered !== undefined) {
      return {
        kind: "anvil",
        url,
        chainId: answered,
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
