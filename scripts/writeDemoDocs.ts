/**
 * Runs the demo (`npm start`) and writes what it printed into the README's demo block, so the block and every
 * figure in it come from one real run of the current code.
 *
 *   npm run docs:demo    # run the demo, rewrite the block between the demo markers in README.md
 *
 * The demo runs on its own embedded chain (a free port) with a fresh GUILD_HOME, so a chain or agents left
 * from earlier runs cannot change what it prints. The block is the demo's standard output as printed, with that
 * temporary GUILD_HOME written as `.guild`; nothing else is edited. A demo that fails (non-zero exit) writes
 * nothing.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { PACKAGE_ROOT } from "../src/chain/embeddedChain.js";
import { freePort } from "../test/support/nodes.js";

const BEGIN = /<!-- demo:begin[^>]*-->\n/;
const END = "<!-- demo:end -->";
const README = join(PACKAGE_ROOT, "README.md");

/** The demo's standard output and exit code, run with `env` added to this process's environment. */
async function runDemo(env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", join(PACKAGE_ROOT, "scripts", "demo.ts")], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    stdout += text;
    process.stderr.write(text);
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout };
}

/** The README with its demo block replaced by `lines`. */
function withDemoBlock(readme: string, lines: string): string {
  const begin = BEGIN.exec(readme);
  const end = readme.indexOf(END);
  if (!begin || end < begin.index)
    throw new Error(`README.md has no demo block: the markers "<!-- demo:begin ... -->" and "${END}" are missing.`);
  const start = begin.index + begin[0].length;
  return `${readme.slice(0, start)}\`\`\`text\n${lines}\`\`\`\n${readme.slice(end)}`;
}

const home = mkdtempSync(join(tmpdir(), "guild-docs-demo-"));
try {
  const port = await freePort();
  const { GUILD_RPC_URL: _ignored, ...env } = process.env;
  process.env = env;
  const { code, stdout } = await runDemo({ GUILD_HOME: home, GUILD_CHAIN_PORT: String(port) });
  if (code !== 0) {
    process.stderr.write(`The demo exited with ${code}: README.md is unchanged.\n`);
    process.exitCode = 1;
  } else {
    const lines = stripVTControlCharacters(stdout).replaceAll(home, ".guild");
    const readme = readFileSync(README, "utf8");
    const updated = withDemoBlock(readme, lines.endsWith("\n") ? lines : `${lines}\n`);
    writeFileSync(README, updated);
    process.stderr.write(`Wrote the demo block of README.md (${lines.split("\n").length - 1} lines).\n`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
