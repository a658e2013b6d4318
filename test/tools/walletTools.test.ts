import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erc20Abi, formatEther, formatUnits, parseEther, parseEventLogs, parseUnits, type Address } from "viem";
import { agentRegistryAbi } from "../../src/contracts/AgentRegistry.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { ALL_TOOLS } from "../../src/tools/allTools.js";
import type { ToolContext, ToolResult } from "../../src/tools/GuildTool.js";
import { runTool } from "../../src/tools/runTool.js";
import {
  breakChecksum,
  chainState,
  contextFor,
  expectNothingSent,
  gasPaid,
  newAgent,
  startHarness,
  type Harness,
  type TestAgent,
} from "./harness.js";

/** Runs a tool from ALL_TOOLS by name, as the loop does. */
function run(context: ToolContext, name: string, args: unknown): Promise<ToolResult> {
  const tool = ALL_TOOLS.find((candidate) => candidate.name === name);
  if (!tool) throw new Error(`ALL_TOOLS has no ${name}`);
  return runTool(tool, args, context);
}

describe("wallet tools on anvil: get_balance, pay, spending_report, register_self, find_agents", () => {
  let h: Harness;
  let alice: TestAgent;
  let bob: TestAgent;
  let aliceTools: ToolContext;

  beforeAll(async () => {
    h = await startHarness("anvil");
    alice = await newAgent(h, { eth: "10", gusd: "1000" });
    bob = await newAgent(h, { eth: "1", gusd: "0" });
    aliceTools = await contextFor(h, alice.client);
  });
  afterAll(async () => h?.stop());

  describe("get_balance", () => {
    it("answers the wallet's balances as the chain has them", async () => {
      const [state] = await chainState(h, [alice.address]);
      const result = await run(aliceTools, "get_balance", {});
      expect(result.ok).toBe(true);
      expect(result.message).toBe(
        `Wallet ${alice.address} holds ${formatEther(state!.eth)} ETH, ${formatUnits(state!.gusd, 6)} gUSD.`,
      );
      expect(result.txHashes ?? []).toEqual([]);
      expect(result.data).toMatchObject({ address: alice.address });
    });

    it("answers one token, named by symbol or by address", async () => {
      const [state] = await chainState(h, [alice.address]);
      expect((await run(aliceTools, "get_balance", { token: "gUSD" })).message).toBe(
        `Wallet ${alice.address} holds ${formatUnits(state!.gusd, 6)} gUSD.`,
      );
      expect((await run(aliceTools, "get_balance", { token: h.token.toLowerCase() })).message).toBe(
        `Wallet ${alice.address} holds ${formatUnits(state!.gusd, 6)} gUSD.`,
      );
      expect((await run(aliceTools, "get_balance", { token: "ETH" })).message).toBe(
        `Wallet ${alice.address} holds ${formatEther(state!.eth)} ETH.`,
      );
    });

    it("answers an unknown token symbol with ok:false", async () => {
      const result = await run(aliceTools, "get_balance", { token: "DOGE" });
      expect(result).toMatchObject({ ok: false });
      expect(result.message).toMatch(/"DOGE" is not a token Guild knows on this chain/);
    });
  });

  describe("pay", () => {
    it("pays ETH: one sentence, the hash, and the chain shows exactly that transfer", async () => {
      const [aliceBefore, bobBefore] = await chainState(h, [alice.address, bob.address]);
      const result = await run(aliceTools, "pay", { to: bob.address, amount: "0.01" });
      expect(result.ok).toBe(true);
      expect(result.message).toBe(`Paid 0.01 ETH to ${bob.address}.`);
      expect(result.txHashes).toHaveLength(1);
      const hash = result.txHashes![0]!;
      const client = h.guild.reader.connection.publicClient;
      const [tx, receipt] = await Promise.all([
        client.getTransaction({ hash }),
        client.getTransactionReceipt({ hash }),
      ]);
      expect(receipt.status).toBe("success");
      expect(tx.from.toLowerCase()).toBe(alice.address.toLowerCase());
      expect(tx.to?.toLowerCase()).toBe(bob.address.toLowerCase());
      expect(tx.value).toBe(parseEther("0.01"));
      const [aliceAfter, bobAfter] = await chainState(h, [alice.address, bob.address]);
      expect(bobAfter!.eth - bobBefore!.eth).toBe(parseEther("0.01"));
      expect(aliceBefore!.eth - aliceAfter!.eth).toBe(parseEther("0.01") + (await gasPaid(h, [hash])));
      expect(aliceAfter!.nonce).toBe(aliceBefore!.nonce + 1);
      // Native payments leave no log: the guard's ledger keeps the hash so the period can count it.
      expect(aliceTools.guard.ledger.hashes()).toContain(hash);
    });

    it("pays an ERC-20 token to an all-lowercase address", async () => {
      const [bobBefore] = await chainState(h, [bob.address]);
      const result = await run(aliceTools, "pay", { to: bob.address.toLowerCase(), amount: "12.5", token: "gUSD" });
      expect(result.ok).toBe(true);
      expect(result.message).toBe(`Paid 12.5 gUSD to ${bob.address}.`);
      const receipt = await h.guild.reader.connection.publicClient.getTransactionReceipt({
        hash: result.txHashes![0]!,
      });
      const [transfer] = parseEventLogs({ abi: erc20Abi, eventName: "Transfer", logs: receipt.logs });
      expect(transfer?.address.toLowerCase()).toBe(h.token.toLowerCase());
      expect(transfer?.args).toEqual({ from: alice.address, to: bob.address, value: parseUnits("12.5", 6) });
      const [bobAfter] = await chainState(h, [bob.address]);
      expect(bobAfter!.gusd - bobBefore!.gusd).toBe(parseUnits("12.5", 6));
    });

    const badInputs: [string, Record<string, unknown>, RegExp][] = [
      [
        "a malformed address",
        { to: "0x1234", amount: "0.01" },
        /Invalid to: "0x1234" is not 0x followed by 40 hex digits/,
      ],
      [
        "a name instead of an address",
        { to: "bob", amount: "0.01" },
        /Invalid to: "bob" is not 0x followed by 40 hex digits/,
      ],
      ["a missing address", { to: undefined, amount: "0.01" }, /Invalid to for pay/],
      ["a negative amount", { amount: "-0.01" }, /Invalid amount: "-0.01" is negative/],
      ["a negative number", { amount: -1 }, /Invalid amount: "-1" is negative/],
      ["NaN as text", { amount: "NaN" }, /Invalid amount: "NaN" is not a decimal number/],
      ["NaN as a number", { amount: Number.NaN }, /Invalid amount for pay: expected an amount as a decimal string/],
      ["an exponent", { amount: "1e18" }, /Invalid amount: "1e18" is not a decimal number/],
      ["a huge number printed with an exponent", { amount: 1e21 }, /Invalid amount: "1e\+21" is not a decimal number/],
      ["more decimals than ETH has", { amount: "0.0000000000000000001" }, /has 19 decimals but the token has 18/],
      ["more decimals than gUSD has", { amount: "0.0000001", token: "gUSD" }, /has 7 decimals but the token has 6/],
      ["zero", { amount: "0" }, /Invalid amount: "0" is zero/],
      ["an unknown token symbol", { amount: "1", token: "DOGE" }, /"DOGE" is not a token Guild knows on this chain/],
      [
        "an amount over the per-transaction cap",
        { amount: "1" },
        /Refused by the spending policy: 1 ETH is above the per-transaction limit of 0.05 ETH\. Nothing was sent\./,
      ],
      [
        "a token amount over its cap",
        { amount: "50.000001", token: "gUSD" },
        /above the per-transaction limit of 50 gUSD/,
      ],
    ];

    it.each(badInputs)("answers %s with ok:false and sends nothing", async (_, args, message) => {
      const result = await expectNothingSent(h, [alice.address, bob.address], () =>
        run(aliceTools, "pay", { to: bob.address, ...args }),
      );
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(message);
      expect(result.txHashes ?? []).toEqual([]);
    });

    it("answers a checksum-invalid mixed-case address with ok:false and sends nothing", async () => {
      const broken = breakChecksum(bob.address);
      expect(broken.toLowerCase()).toBe(bob.address.toLowerCase());
      const result = await expectNothingSent(h, [alice.address, bob.address], () =>
        run(aliceTools, "pay", { to: broken, amount: "0.01" }),
      );
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/fails its EIP-55 checksum/);
    });

    it("says which spending rule refused, in data.refusedBy", async () => {
      const result = await run(aliceTools, "pay", { to: bob.address, amount: "0.06" });
      expect(result.data).toMatchObject({ error: "SpendingRefusedError", refusedBy: "per-transaction" });
    });
  });

  describe("spending_report", () => {
    it("reports what the chain shows this agent spent, per token, against its limits", async () => {
      const spender = await newAgent(h, { eth: "1", gusd: "100" });
      const tools = await contextFor(h, spender.client);
      expect((await run(tools, "spending_report", {})).message).toBe(
        "In the last 24 h this agent spent 0 ETH of 0.5 ETH allowed per 24 h; 0 gUSD of 500 gUSD allowed per 24 h.",
      );
      for (const args of [{ amount: "0.01" }, { amount: "0.02" }, { amount: "5", token: "gUSD" }]) {
        expect((await run(tools, "pay", { to: bob.address, ...args })).ok).toBe(true);
      }
      const report = await run(tools, "spending_report", {});
      expect(report.ok).toBe(true);
      expect(report.message).toBe(
        "In the last 24 h this agent spent 0.03 ETH of 0.5 ETH allowed per 24 h; 5 gUSD of 500 gUSD allowed per 24 h.",
      );
      expect(report.data).toEqual({ sinceHours: 24, spent: { ETH: "0.03", gUSD: "5" } });
      expect(report.txHashes ?? []).toEqual([]);
      expect((await run(tools, "spending_report", { sinceHours: 1 })).data).toEqual({
        sinceHours: 1,
        spent: { ETH: "0.03", gUSD: "5" },
      });
    });

    it("answers a bad period with ok:false", async () => {
      const result = await run(aliceTools, "spending_report", { sinceHours: -1 });
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/Invalid sinceHours for spending_report/);
    });
  });

  describe("register_self", () => {
    it("registers, then answers 'already listed' without a transaction, then updates", async () => {
      const carol = await newAgent(h, { eth: "1", gusd: "0" });
      const tools = await contextFor(h, carol.client);
      const first = await run(tools, "register_self", {
        name: "carol",
        skills: ["word-count", "sort"],
        price: "0.001",
      });
      expect(first.ok).toBe(true);
      expect(first.message).toBe("Registered carol for word-count, sort at 0.001 ETH per job.");
      expect(first.txHashes).toHaveLength(1);
      const receipt = await h.guild.reader.connection.publicClient.getTransactionReceipt({ hash: first.txHashes![0]! });
      const [registered] = parseEventLogs({ abi: agentRegistryAbi, eventName: "AgentRegistered", logs: receipt.logs });
      expect(registered?.args).toMatchObject({ agent: carol.address, name: "carol", price: parseEther("0.001") });

      const again = await expectNothingSent(h, [carol.address], () =>
        run(tools, "register_self", { name: "carol", skills: ["sort", "word-count"], price: "0.001" }),
      );
      expect(again).toMatchObject({
        ok: true,
        message: "Already listed carol for sort, word-count at 0.001 ETH per job.",
        txHashes: [],
      });

      const updated = await run(tools, "register_self", {
        name: "carol",
        skills: ["word-count"],
        price: "2",
        token: "gUSD",
      });
      expect(updated.message).toBe("Updated carol for word-count at 2 gUSD per job.");
      const updateReceipt = await h.guild.reader.connection.publicClient.getTransactionReceipt({
        hash: updated.txHashes![0]!,
      });
      const [update] = parseEventLogs({ abi: agentRegistryAbi, eventName: "AgentUpdated", logs: updateReceipt.logs });
      expect(update?.args).toMatchObject({ agent: carol.address, priceToken: h.token, price: 2_000_000n });
    });

    it.each([
      ["a bad name", { name: "Carol!", skills: ["sort"], price: "0.001" }, /"Carol!" is not a valid agent name/],
      ["no skills", { name: "carol", skills: [], price: "0.001" }, /Invalid skills for register_self/],
      ["a negative price", { name: "carol", skills: ["sort"], price: "-1" }, /Invalid price: "-1" is negative/],
      ["an unknown token", { name: "carol", skills: ["sort"], price: "1", token: "DOGE" }, /"DOGE" is not a token/],
    ])("answers %s with ok:false and sends nothing", async (_, args, message) => {
      const result = await expectNothingSent(h, [alice.address], () => run(aliceTools, "register_self", args));
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(message);
    });
  });

  describe("find_agents", () => {
    let cheap: Address;
    let dear: Address;
    let inUsd: Address;

    beforeAll(async () => {
      const [a, b, c] = await Promise.all([
        newAgent(h, { gusd: "0" }),
        newAgent(h, { gusd: "0" }),
        newAgent(h, { gusd: "0" }),
      ]);
      await registerAgent(a!.client, { name: "cheap", skills: ["sha256"], price: parseEther("0.001") });
      await registerAgent(b!.client, { name: "dear", skills: ["sha256", "sort"], price: parseEther("0.002") });
      await registerAgent(c!.client, { name: "usd", skills: ["sha256"], price: 1_000_000n, priceToken: h.token });
      [cheap, dear, inUsd] = [a!.address, b!.address, c!.address];
    });

    it("ranks the sellers of a skill (equal reputation: cheapest first)", async () => {
      const result = await run(aliceTools, "find_agents", { skill: "sha256" });
      expect(result.ok).toBe(true);
      expect(result.message).toMatch(
        new RegExp(
          `^Found 2 agent\\(s\\) for sha256; best: cheap \\(${cheap}\\) at 0.001 ETH, reputation \\d\\.\\d\\d\\.$`,
        ),
      );
      const agents = (result.data as { agents: { address: string; price: string }[] }).agents;
      expect(agents.map((agent) => [agent.address, agent.price])).toEqual([
        [cheap, "0.001"],
        [dear, "0.002"],
      ]);
    });

    it("filters by price and token", async () => {
      const under = await run(aliceTools, "find_agents", { skill: "sha256", maxPrice: "0.0015" });
      expect((under.data as { agents: { address: string }[] }).agents.map((agent) => agent.address)).toEqual([cheap]);
      const none = await run(aliceTools, "find_agents", { skill: "sha256", maxPrice: "0.0005" });
      expect(none).toMatchObject({
        ok: true,
        message: "No active agent sells sha256 in ETH for at most 0.0005 ETH.",
        data: { agents: [] },
      });
      const usd = await run(aliceTools, "find_agents", { skill: "sha256", token: "gUSD" });
      expect((usd.data as { agents: { address: string; price: string; token: string }[] }).agents).toEqual([
        expect.objectContaining({ address: inUsd, price: "1", token: "gUSD" }),
      ]);
    });

    it.each([
      ["an empty skill", { skill: "" }, /Invalid skill for find_agents/],
      [
        "a malformed price",
        { skill: "sha256", maxPrice: "cheap" },
        /Invalid maxPrice: "cheap" is not a decimal number/,
      ],
      ["an unknown token", { skill: "sha256", token: "DOGE" }, /"DOGE" is not a token/],
    ])("answers %s with ok:false", async (_, args, message) => {
      const result = await run(aliceTools, "find_agents", args);
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(message);
    });
  });
});
