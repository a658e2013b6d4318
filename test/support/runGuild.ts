import { spawn } from "node:child_process";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";

/** The `guild` entry point, run as a user runs it. */
export const GUILD_BIN = join(PACKAGE_ROOT, "bin", "guild.js");

/** How a `guild` child process ended: its exit code, stdout (the result) and stderr (progress and errors). */
export type GuildRun = { code: number | null; stdout: string; stderr: string };

/**
 * Runs `guild <args>` in a child process with `env`, killing it after `timeoutMs`.
 *
 * @example
 * const { code, stdout } = await runGuild(["jobs", "--json"], env);
 */
export function runGuild(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<GuildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GUILD_BIN, ...args], {
      cwd: PACKAGE_ROOT,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`guild ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
