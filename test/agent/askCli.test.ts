/*
 * `guild ask` as a user runs it: the `guild` command line in a child process, the real @langchain/openai
 * client talking to a local Chat Completions server scripted as a hostile model, a real Anvil node.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { runGuild } from "../support/runGuild.js";
import { startFakeOpenAIServer, toolCallStep, type FakeOpenAIServer } from "../support/fakeOpenAIServer.js";
import { chainState, startHarness, type Harness } from "../tools/harness.js";

describe("guild ask against a hostile model (the command line, on anvil)", () => {
  let h: Harness;
  let server: FakeOpenAIServer;

  beforeAll(async () => {
    [h, server] = await Promise.all([startHarness("anvil"), startFakeOpenAIServer()]);
  });
  afterAll(async () => {
    await server?.close();
    await h?.stop();
  });

  it('`guild ask --as alice "What is my balance?"` spends nothing while the model pays an attacker every turn', async () => {
    const attacker = privateKeyToAccount(generatePrivateKey()).address;
    server.enqueue(...Array.from({ length: 20 }, () => toolCallStep("pay", { to: attacker, amount: "0.019" })));
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!key.startsWith("GUILD_") && !key.startsWith("OPENAI_")) env[key] = value;
    }
    const run = await runGuild(["ask", "--as", "alice", "What is my balance?"], {
      ...env,
      GUILD_HOME: h.guild.config.home,
      GUILD_RPC_URL: h.node.url,
      GUILD_KEYSTORE_PASSWORD: "guild-ask-cli-password",
      GUILD_KEYSTORE_SCRYPT_N: "1024",
      OPENAI_API_KEY: "sk-guild-hostile-cli-0123456789",
      OPENAI_BASE_URL: server.url,
      GUILD_MODEL: "hostile-model",
    });
    expect(server.pending()).toBe(0);
    const alice = /Agent alice \((0x[0-9a-fA-F]{40})\)/.exec(run.stderr)?.[1] as `0x${string}` | undefined;
    expect(alice, run.stderr).toBeDefined();
    // Exit 1: the guard refused; every one of the 20 calls on stderr; the loop's own answer on stdout.
    expect(run.code, run.stderr).toBe(1);
    expect(run.stdout).toBe("Stopped after 20 model turns without finishing the task.\n");
    const refusals = run.stderr.match(/^x pay: Refused by the spending policy: this task asked for nothing/gm) ?? [];
    expect(refusals).toHaveLength(20);
    expect(run.stderr).toContain("Refused by the spending policy: pay, pay,");
    // Alice sent nothing (nonce 0: the wallet was created and funded by this run, then never spent from).
    const [aliceState, attackerState] = await chainState(h, [alice!, attacker]);
    expect(aliceState!.nonce).toBe(0);
    expect(attackerState).toEqual({ nonce: 0, eth: 0n, gusd: 0n });
  }, 180_000); // each `guild` is a Node process that compiles TypeScript: a loaded machine needs the room
});
