import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getAddress, isAddressEqual, parseEther, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveDelivery } from "../../src/chain/actions/approveDelivery.js";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { PACKAGE_ROOT } from "../../src/chain/embeddedChain.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { writeContract } from "../../src/chain/tx/writeContract.js";
import { guildPaths, loadConfig } from "../../src/config/loadConfig.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { encodeJobSpec } from "../../src/skills/jobSpec.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import {
  delegate,
  GUILD_BIN,
  guildEvents,
  hireSentence,
  named,
  startDaemonProcess,
  startTestGuild,
  TEST_PASSWORD,
  waitFor,
  type DaemonHandle,
  type TestGuild,
} from "./support.js";

// Rows of issue 10's table, each with daemons as real `guild start` processes on a Hardhat node:
// - registry names are not unique: a second wallet cannot list itself as "bob";
// - reputation counts every completed job the same: a farmer's self-hires and a tanking client's self-judged
//   rejections do not make a client daemon hire the farmer;
// - the transaction sender treats any error while asking whether a transaction is known as "not ours": a checker
//   daemon whose stake's answer is lost, while the node cannot be asked about it, stakes once.

const SPEC = encodeJobSpec({ skill: "word-count", input: "one two three" });
const ZERO_REASON = `0x${"0".repeat(64)}` as const;
const guilds: TestGuild[] = [];
const homes: string[] = [];
afterAll(async () => {
  for (const guild of guilds) await guild.stop();
  for (const home of homes) rmSync(home, { recursive: true, force: true });
});

/** A test-side client for wallet `name` of the test guild, straight to the node. */
async function clientOf(guild: TestGuild, name: string): Promise<GuildClient> {
  const config = loadConfig({ GUILD_HOME: guild.home, GUILD_KEYSTORE_PASSWORD: TEST_PASSWORD });
  const { account } = await loadAccount({ config, name });
  return createGuildClient(guild.reader, { account });
}

/**
 * `guild <args>` as a process; resolves with its exit code and output. One still running after `timeoutMs` (a daemon
 * that started) is killed and reported with code null.
 */
function guildCommand(env: NodeJS.ProcessEnv, args: string[], timeoutMs = 60_000) {
  const child = spawn(process.execPath, [GUILD_BIN, ...args], { cwd: PACKAGE_ROOT, env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, stdout, stderr });
    }),
  );
}

describe("daemons against adversaries", () => {
  describe("names and reputation", () => {
    let guild: TestGuild;
    let alice: DaemonHandle;
    beforeAll(async () => {
      guild = await startTestGuild({ wallets: ["alice", "bob", "farmer", "farmhand", "carol", "erin", "tanker"] });
      guilds.push(guild);
      const [bob, farmer, farmhand, carol, erin, tanker] = await Promise.all(
        ["bob", "farmer", "farmhand", "carol", "erin", "tanker"].map((name) => clientOf(guild, name)),
      );
      const judge = async (who: GuildClient, jobId: bigint, verdict: "complete" | "reject") =>
        writeContract(who, {
          address: guild.reader.addresses.escrow,
          abi: jobEscrowAbi,
          functionName: verdict,
          args: [jobId, ZERO_REASON],
          contract: "JobEscrow",
          label: `${verdict} job ${jobId}`,
        });
      const hire = async (client: GuildClient, provider: GuildClient, budget: bigint, evaluator?: Address) => {
        const { jobId } = await createAndFundJob(client, {
          provider: provider.account.address,
          budget,
          description: SPEC,
          ...(evaluator ? { evaluator } : { check: { bondBps: 0n } }),
        });
        await deliverJob(provider, { jobId, content: "3" });
        return jobId;
      };
      // bob's honest record: two clients, judged by the staked evaluator, approved and paid.
      for (const client of [carol!, erin!]) {
        await approveDelivery(client, { jobId: await hire(client, bob!, parseEther("0.002")) });
      }
      // The farmer hires itself five times for 1 wei (from a second wallet) and judges its own work.
      for (let i = 0; i < 5; i++)
        await judge(farmer!, await hire(farmhand!, farmer!, 1n, farmer!.account.address), "complete");
      // The tanking client names itself evaluator and rejects bob's correct work twice.
      for (let i = 0; i < 2; i++) {
        await judge(tanker!, await hire(tanker!, bob!, parseEther("0.002"), tanker!.account.address), "reject");
      }

      [alice] = await Promise.all([
        startDaemonProcess(guild, "alice", ["--roles", "client"]),
        startDaemonProcess(guild, "bob", ["--roles", "worker", "--skills", "word-count", "--price", "0.001"]),
        startDaemonProcess(guild, "farmer", ["--roles", "worker", "--skills", "word-count", "--price", "0.0001"]),
      ]);
    }, 240_000);

    it("reputation: the farmer's self-hires and the tanking client's self-judged rejections do not decide who is hired", async () => {
      // `guild agents` ranks bob above the farmer.
      const listed = await guildCommand(guild.env(), ["--json", "agents", "--skill", "word-count"]);
      expect(listed.code).toBe(0);
      const agents = JSON.parse(listed.stdout) as { name: string; address: string; reputation: { score: number } }[];
      expect(agents.map((agent) => agent.name)).toEqual(["bob", "farmer"]);
      expect(agents[0]!.reputation.score).toBeGreaterThan(agents[1]!.reputation.score);

      // alice's daemon, asked to hire for word-count, hires bob: not the farmer, who is cheaper.
      const before = await guild.connection.publicClient.getBlockNumber();
      await delegate(alice, hireSentence("word-count", "who gets hired", { windowSeconds: 5 }));
      const created = await waitFor(
        "alice's hire",
        async () =>
          named(await guildEvents(guild, { afterBlock: before }), "JobCreated", "client", guild.address("alice"))[0],
        60_000,
      );
      expect(getAddress(created.args.provider as Address)).toBe(guild.address("bob"));
    }, 120_000);

    it("names: a second wallet cannot list itself as bob, and guild agents shows one bob", async () => {
      // An impostor: another wallet, in another Guild home on the same deployment, starts a worker named "bob".
      const impostorHome = mkdtempSync(join(tmpdir(), "guild-impostor-"));
      homes.push(impostorHome);
      cpSync(guildPaths(guild.home).deployments, guildPaths(impostorHome).deployments, { recursive: true });
      const impostor = await guildCommand(
        guild.env({ GUILD_HOME: impostorHome }),
        ["start", "--name", "bob", "--roles", "worker", "--skills", "word-count", "--price", "0.0005"],
        45_000,
      );
      expect(impostor.code).toBe(2);
      expect(impostor.stderr).toContain('the registry name "bob" belongs to another agent');
      expect(impostor.stderr).toContain(guild.address("bob"));

      const listed = await guildCommand(guild.env(), ["--json", "agents", "--skill", "word-count"]);
      const agents = JSON.parse(listed.stdout) as { name: string; address: string }[];
      expect(agents.filter((agent) => agent.name === "bob").map((agent) => getAddress(agent.address))).toEqual([
        guild.address("bob"),
      ]);
    }, 120_000);
  });

  it("a checker whose stake's answer is lost while the node cannot say whether it has it stakes once", async () => {
    const guild = await startTestGuild({ wallets: ["alice", "bob", "carol"], proxy: true });
    guilds.push(guild);
    const proxy = guild.proxy!;
    const [alice, bob] = await Promise.all(["alice", "bob"].map((name) => clientOf(guild, name)));
    await startDaemonProcess(guild, "carol", ["--roles", "checker", "--skills", "word-count", "--stake-percent", "25"]);

    const { jobId } = await createAndFundJob(alice!, {
      provider: bob!.account.address,
      budget: parseEther("0.002"),
      description: SPEC,
      check: { windowSeconds: 30n, bondBps: 0n },
    });
    // carol's stake (her first transaction) reaches the node but its answer is lost; the resend is refused as a used
    // nonce, and for a while every question about a transaction gets a 503.
    proxy.dropResponseOnce("eth_sendRawTransaction");
    proxy.fail("eth_getTransactionByHash");
    await deliverJob(bob!, { jobId, content: "3" });
    const staked = await waitFor(
      "carol's stake",
      async () => {
        const stakes = named(await guildEvents(guild, { jobId }), "Staked", "staker", guild.address("carol"));
        return stakes.length > 0 ? stakes : undefined;
      },
      30_000,
    );
    // Give carol's daemon time to retry (it would sign again here) before the node answers again.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    proxy.heal();
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    const stakes = named(await guildEvents(guild, { jobId }), "Staked", "staker", guild.address("carol"));
    expect(stakes).toHaveLength(1);
    expect(stakes[0]!.transactionHash).toBe(staked[0]!.transactionHash);
    expect(stakes[0]!.args.amount).toBe(parseEther("0.0005"));
    expect(isAddressEqual(stakes[0]!.args.staker as Address, guild.address("carol"))).toBe(true);
    expect(await guild.connection.publicClient.getTransactionCount({ address: guild.address("carol") })).toBe(1);
  }, 180_000);
});
