import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatEther, parseEther } from "viem";
import { Writable } from "node:stream";
import type { CliContext } from "../../src/cli/cliContext.js";
import { askCommand, type AskOptions } from "../../src/cli/commands/askCommand.js";
import type { GuildConfig } from "../../src/config/loadConfig.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { readDeployment } from "../../src/chain/deployments.js";
import { probeChainId } from "../../src/chain/embeddedChain.js";
import { guildPaths, loadConfig } from "../../src/config/loadConfig.js";
import { denyAll } from "../../src/guard/approvers.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { walletFile } from "../../src/wallet/walletFile.js";
import { freePort } from "../support/nodes.js";
import { chainState, newAgent, startHarness, startProvider, type Harness, type TestAgent } from "../tools/harness.js";
import { expectWellFormed, readTranscript } from "./support.js";

const PASSWORD = "correct horse battery staple";

/** A CLI context over `config` whose stdout and stderr are collected. */
function collectingContext(config: GuildConfig): {
  ctx: CliContext;
  stdout: () => string;
  stderr: () => string;
} {
  const text = { stdout: "", stderr: "" };
  const sink = (name: keyof typeof text) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text[name] += chunk.toString();
        done();
      },
    });
  const stdout = sink("stdout");
  const stderr = sink("stderr");
  const ctx: CliContext = {
    config,
    logger: silentLogger(),
    json: false,
    stdout,
    stderr,
    print: (human) => void stdout.write(`${human}\n`),
    progress: (message) => void stderr.write(`${message}\n`),
  };
  return { ctx, stdout: () => text.stdout, stderr: () => text.stderr };
}

describe("askCommand (`guild ask`) against a Hardhat node", () => {
  let h: Harness;
  let bob: TestAgent;

  beforeAll(async () => {
    h = await startHarness("hardhat");
    bob = await newAgent(h, { eth: "1", gusd: "0" });
    await registerAgent(bob.client, { name: "bob", skills: ["word-count"], price: parseEther("0.001") });
  });
  afterAll(async () => h?.stop());

  /** Runs the command with `env` over a config for the test node; returns the exit code and the output. */
  async function ask(task: string, env: Record<string, string> = {}, extra: Partial<AskOptions> = {}) {
    const config = loadConfig({
      GUILD_HOME: h.guild.config.home,
      GUILD_RPC_URL: h.node.url,
      GUILD_KEYSTORE_PASSWORD: PASSWORD,
      ...env,
    });
    const { ctx, stdout, stderr } = collectingContext(config);
    const code = await askCommand(ctx, { as: "alice", task, approver: denyAll, scryptN: 1024, ...extra });
    return { code, stdout: stdout(), stderr: stderr() };
  }

  const transcriptOf = (stderr: string) => /Transcript: (\S+)/.exec(stderr)?.[1];

  it("on a chain without Guild, deploys it, creates and funds the agent's wallet, and answers (exit 0)", async () => {
    const home = mkdtempSync(join(tmpdir(), "guild-ask-"));
    const { code, stdout, stderr } = await ask("What is my balance?", { GUILD_HOME: home });
    expect(code).toBe(0);
    const address = /Created wallet alice (0x[0-9a-fA-F]{40})/.exec(stderr)?.[1];
    expect(address).toBeDefined();
    expect(existsSync(walletFile(home, "alice"))).toBe(true);
    expect(readDeployment(guildPaths(home).deployments, 31337)?.escrow).toMatch(/^0x/);
    expect(stderr).toContain(`Funded ${address} from dev account 0 on this local dev chain: 1 ETH and 100 gUSD.`);
    expect(stdout).toBe(`Wallet ${address} holds 1 ETH, 100 gUSD.\n`);
    expect(stderr).toMatch(/\+ get_balance: Wallet .* holds 1 ETH, 100 gUSD\./);
    const entries = readTranscript(transcriptOf(stderr));
    expectWellFormed(entries);
    expect(entries[0]).toMatchObject({
      type: "run",
      task: "What is my balance?",
      provider: "offline",
      agent: "alice",
      address,
    });
    expect(`${stdout}${stderr}${readFileSync(transcriptOf(stderr)!, "utf8")}`.includes(PASSWORD)).toBe(false);

    // The next run unlocks the same wallet and funds nothing.
    const again = await ask("What is my balance?", { GUILD_HOME: home });
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/Created wallet|Funded/);
    expect(again.stdout).toBe(`Wallet ${address} holds 1 ETH, 100 gUSD.\n`);
  });

  it("runs a hire end to end offline: a provider delivers, the agent verifies and approves (exit 0)", async () => {
    await ask("What is my balance?"); // creates and funds alice's wallet on the harness's deployment
    const provider = await startProvider(h, bob.client);
    const { code, stdout, stderr } = await ask(
      "Hire an agent for word-count to count the words in: the quick brown fox. Budget 0.002 ETH.",
    ).finally(() => provider.stop());
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Job \d+: hired bob \(0x[0-9a-fA-F]{40}\) for word-count with a budget of 0.002 ETH\. Delivered \(untrusted, quoted as received\): "4"\. .*Outcome: paid\. Transactions: /,
    );
    for (const tool of ["find_agents", "hire_agent", "wait_for_delivery", "verify_delivery", "approve_delivery"]) {
      expect(stderr).toContain(`+ ${tool}: `);
    }
    expect(provider.delivered).toHaveLength(1);
    const entries = readTranscript(transcriptOf(stderr));
    expectWellFormed(entries);
    expect(entries.filter((entry) => entry.type === "tool")).toHaveLength(5);
  });

  it("a refusal of the spending guard exits 1, with the refusal on stdout", async () => {
    const { code, stdout, stderr } = await ask(`Pay 1 ETH to ${bob.address}`);
    expect(code).toBe(1);
    expect(stdout).toBe(
      "Stopped: pay failed: Refused by the spending policy: 1 ETH is above the per-transaction limit of 0.05 ETH. Nothing was sent. Nothing was done before that.\n",
    );
    expect(stderr).toContain("x pay: Refused by the spending policy");
    expect(stderr).toContain("Refused by the spending policy: pay.");
  });

  it("a task that fails exits 1", async () => {
    const { code, stdout } = await ask("Settle job 999");
    expect(code).toBe(1);
    expect(stdout).toMatch(/^Stopped: settle_job failed: .*Job 999 does not exist\./);
  });

  it.each([
    ["no task", "  ", /^Usage: guild ask/],
    [
      "a task the offline planner does not understand",
      "make me a sandwich",
      /offline planner does not understand this task[\s\S]*Hire an agent for word-count/,
    ],
    [
      "an incomplete task",
      "Hire an agent for word-count to count the words in: a b c",
      /cannot do this hire task: .*For example: /,
    ],
  ])("bad usage exits 2 before connecting: %s", async (_, task, message) => {
    // An unreachable chain: exit 2 (not 1) shows nothing tried to connect.
    const { code, stdout, stderr } = await ask(task, { GUILD_RPC_URL: "http://127.0.0.1:9" });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(message);
  });

  it("an unreachable chain exits 3, as the README says", async () => {
    const { code, stdout, stderr } = await ask("What is my balance?", { GUILD_RPC_URL: "http://127.0.0.1:9" });
    expect(code).toBe(3);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^error: /m);
  });

  it("a bad agent name exits 2", async () => {
    const { code, stderr } = await ask(
      "What is my balance?",
      { GUILD_RPC_URL: "http://127.0.0.1:9" },
      { as: "Alice!" },
    );
    expect(code).toBe(2);
    expect(stderr).toMatch(/"Alice!" is not a wallet name/);
  });

  it("without a wallet or a password to create one, exits 2 (as every command) and says how to create it", async () => {
    const { code, stdout, stderr } = await ask(
      "What is my balance?",
      { GUILD_KEYSTORE_PASSWORD: "" },
      { as: "nobody" },
    );
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/No wallet named "nobody"/);
    expect(stderr).toMatch(/guild wallet new nobody.*GUILD_KEYSTORE_PASSWORD/);
  });

  it("asks for the new wallet's password twice when GUILD_KEYSTORE_PASSWORD is unset, and for it again to unlock", async () => {
    const asked: string[] = [];
    const promptPassword = async (message: string) => {
      asked.push(message);
      return PASSWORD;
    };
    const first = await ask("What is my balance?", { GUILD_KEYSTORE_PASSWORD: "" }, { as: "prompted", promptPassword });
    expect(first.code).toBe(0);
    expect(asked).toEqual(['New password for wallet "prompted": ', "Repeat the password: "]);
    const second = await ask(
      "What is my balance?",
      { GUILD_KEYSTORE_PASSWORD: "" },
      { as: "prompted", promptPassword },
    );
    expect(second.code).toBe(0);
    expect(asked.at(-1)).toBe('Password for wallet "prompted": ');
    expect(second.stdout).toBe(first.stdout);
  });

  it("without GUILD_RPC_URL starts the embedded chain for the run, deploys, answers, and stops it", async () => {
    const port = await freePort();
    const home = mkdtempSync(join(tmpdir(), "guild-ask-embedded-"));
    const config = loadConfig({ GUILD_HOME: home, GUILD_CHAIN_PORT: String(port), GUILD_KEYSTORE_PASSWORD: PASSWORD });
    const { ctx, stdout, stderr } = collectingContext(config);
    const code = await askCommand(ctx, { as: "alice", task: "Report my spending", approver: denyAll, scryptN: 1024 });
    expect(code).toBe(0);
    expect(stderr()).toContain(`Chain 31337 at http://127.0.0.1:${port} (embedded chain started for this run`);
    expect(stdout()).toBe(
      "In the last 24 h this agent spent 0 ETH of 0.5 ETH allowed per 24 h; 0 gUSD of 500 gUSD allowed per 24 h.\n",
    );
    expect(await probeChainId(`http://127.0.0.1:${port}`, 500)).toBeUndefined();
  });

  it("prints the agent's wallet balance as the chain has it", async () => {
    const { stdout, stderr } = await ask("What is my balance?");
    const address = /Agent alice \((0x[0-9a-fA-F]{40})\)/.exec(stderr)?.[1] as `0x${string}`;
    const [state] = await chainState(h, [address]);
    expect(stdout).toBe(`Wallet ${address} holds ${formatEther(state!.eth)} ETH, ${Number(state!.gusd) / 1e6} gUSD.\n`);
  });
});
