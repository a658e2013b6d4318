import { maxUint256 } from "viem";
import { keccak256, stringToHex, zeroAddress, type Address } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentRegistryAbi } from "../../src/contracts/AgentRegistry.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import { createGuildFixture, useChainSnapshot, type GuildFixture } from "../support/contracts-helpers/fixture.js";
import type { TestWallet } from "../support/inProcessChain.js";

const skillId = (name: string) => keccak256(stringToHex(name));

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

/** Each wallet's own default name (names are unique in the registry). */
const defaultName = (wallet: TestWallet) => `agent-${wallet.account.address.slice(2, 10).toLowerCase()}`;

async function register(
  wallet: TestWallet,
  skills: string[],
  { name = defaultName(wallet), priceToken = zeroAddress as Address, price = 1_000n, uri = "ipfs://meta" } = {},
) {
  return f.tx(f.registryAs(wallet).write.register([name, skills, priceToken, price, uri]));
}

describe("AgentRegistry", () => {
  it("registers the caller with its listing and emits one SkillListed per skill", async () => {
    const agent = f.provider.account.address;
    const skills = ["word-count", "summarise", "translate"];
    const receipt = await register(f.provider, skills, {
      name: "wordsmith",
      priceToken: f.erc20.token,
      price: 2_500_000n,
    });
    expect(eventNamesOf(receipt, agentRegistryAbi, f.addresses.registry)).toEqual([
      "SkillListed",
      "SkillListed",
      "SkillListed",
      "AgentRegistered",
      "AgentActiveSet",
    ]);
    expect(eventsOf(receipt, agentRegistryAbi, "SkillListed", f.addresses.registry)).toEqual(
      skills.map((skill) => ({ skill: skillId(skill), agent })),
    );
    expect(eventsOf(receipt, agentRegistryAbi, "AgentRegistered", f.addresses.registry)).toEqual([
      { agent, name: "wordsmith", skills, priceToken: f.erc20.token, price: 2_500_000n, metadataURI: "ipfs://meta" },
    ]);
    expect(eventsOf(receipt, agentRegistryAbi, "AgentActiveSet", f.addresses.registry)).toEqual([
      { agent, active: true },
    ]);
    expect(await f.registry.read.getAgent([agent])).toEqual([
      true,
      true,
      f.erc20.token,
      2_500_000n,
      skills.map(skillId),
    ]);
    expect(await f.registry.read.hasSkill([agent, skillId("summarise")])).toBe(true);
    expect(await f.registry.read.hasSkill([agent, skillId("Summarise")])).toBe(false);
    expect(await f.registry.read.agentCount()).toBe(1n);
  });

  it("an unknown agent reads as all zero", async () => {
    expect(await f.registry.read.getAgent([f.stranger.account.address])).toEqual([false, false, zeroAddress, 0n, []]);
    expect(await f.registry.read.hasSkill([f.stranger.account.address, skillId("x")])).toBe(false);
  });

  it("refuses a second registration of the same agent", async () => {
    await register(f.provider, ["a"]);
    await expectRevert(
      f.registryAs(f.provider).write.register(["again", ["b"], zeroAddress, 1n, ""]),
      "RegistryAlreadyRegistered",
      [f.provider.account.address],
    );
    expect(await f.registry.read.agentCount()).toBe(1n);
  });

  it("refuses an empty name, an empty or duplicate skill, and more than MAX_SKILLS skills", async () => {
    const registry = f.registryAs(f.provider);
    await expectRevert(registry.write.register(["", ["a"], zeroAddress, 1n, ""]), "RegistryEmptyName", []);
    await expectRevert(registry.write.register(["n", ["a", "", "c"], zeroAddress, 1n, ""]), "RegistryEmptySkill", [1n]);
    await expectRevert(registry.write.register(["n", ["a", "b", "a"], zeroAddress, 1n, ""]), "RegistryDuplicateSkill", [
      "a",
    ]);
    const max = await f.registry.read.MAX_SKILLS();
    expect(max).toBe(16n);
    const tooMany = Array.from({ length: 17 }, (_, i) => `skill-${i}`);
    await expectRevert(registry.write.register(["n", tooMany, zeroAddress, 1n, ""]), "RegistryTooManySkills", [
      17n,
      16n,
    ]);
    expect(await f.registry.read.agentCount()).toBe(0n);
    // Exactly MAX_SKILLS, and no skills at all, are fine.
    await f.tx(registry.write.register(["n", tooMany.slice(0, 16), zeroAddress, 1n, ""]));
    expect((await f.registry.read.getAgent([f.provider.account.address]))[4]).toHaveLength(16);
    await register(f.stranger, []);
    expect((await f.registry.read.getAgent([f.stranger.account.address]))[0]).toBe(true);
  });

  it("update replaces the listing; only a registered agent may update or set itself active", async () => {
    const agent = f.provider.account.address;
    await expectRevert(
      f.registryAs(f.provider).write.update(["n", ["a"], zeroAddress, 1n, ""]),
      "RegistryNotRegistered",
      [agent],
    );
    await expectRevert(f.registryAs(f.provider).write.setActive([false]), "RegistryNotRegistered", [agent]);
    await register(f.provider, ["old-skill", "kept"]);

    const receipt = await f.tx(
      f.registryAs(f.provider).write.update(["renamed", ["kept", "new-skill"], f.erc20.token, 7n, "ipfs://v2"]),
    );
    expect(eventNamesOf(receipt, agentRegistryAbi, f.addresses.registry)).toEqual([
      "SkillListed",
      "SkillListed",
      "AgentUpdated",
    ]);
    expect(eventsOf(receipt, agentRegistryAbi, "AgentUpdated", f.addresses.registry)).toEqual([
      {
        agent,
        name: "renamed",
        skills: ["kept", "new-skill"],
        priceToken: f.erc20.token,
        price: 7n,
        metadataURI: "ipfs://v2",
      },
    ]);
    expect(await f.registry.read.getAgent([agent])).toEqual([
      true,
      true,
      f.erc20.token,
      7n,
      [skillId("kept"), skillId("new-skill")],
    ]);
    expect(await f.registry.read.hasSkill([agent, skillId("old-skill")])).toBe(false);
    expect(await f.registry.read.agentCount()).toBe(1n);
    await expectRevert(
      f.registryAs(f.provider).write.update(["", ["a"], zeroAddress, 1n, ""]),
      "RegistryEmptyName",
      [],
    );
    await expectRevert(
      f.registryAs(f.provider).write.update(["n", ["a", "a"], zeroAddress, 1n, ""]),
      "RegistryDuplicateSkill",
      ["a"],
    );
  });

  it("setActive turns the listing off and on; an update reactivates it", async () => {
    const agent = f.provider.account.address;
    await register(f.provider, ["a"]);
    const off = await f.tx(f.registryAs(f.provider).write.setActive([false]));
    expect(eventsOf(off, agentRegistryAbi, "AgentActiveSet", f.addresses.registry)).toEqual([{ agent, active: false }]);
    expect((await f.registry.read.getAgent([agent]))[1]).toBe(false);
    expect(await f.registry.read.findAgents([skillId("a"), 0n, 10n])).toEqual([]);

    const updated = await f.tx(f.registryAs(f.provider).write.update(["n", ["a"], zeroAddress, 1n, ""]));
    expect(eventsOf(updated, agentRegistryAbi, "AgentActiveSet", f.addresses.registry)).toEqual([
      { agent, active: true },
    ]);
    expect(await f.registry.read.findAgents([skillId("a"), 0n, 10n])).toEqual([agent]);
    const again = await f.tx(f.registryAs(f.provider).write.update(["n", ["a"], zeroAddress, 1n, ""]));
    expect(eventsOf(again, agentRegistryAbi, "AgentActiveSet", f.addresses.registry)).toEqual([]);
  });

  it("findAgents pages through all agents and returns the active ones with the skill", async () => {
    // Agents 0..7 (wallets 1..8); even ones list "review", every third is deactivated.
    const agents = f.wallets.slice(1, 9);
    for (const [i, wallet] of agents.entries()) {
      await register(wallet, i % 2 === 0 ? ["review", `own-${i}`] : [`own-${i}`]);
      if (i % 3 === 0) await f.tx(f.registryAs(wallet).write.setActive([false]));
    }
    const expectedMatch = (i: number) => i % 2 === 0 && i % 3 !== 0;
    const review = skillId("review");
    const addressAt = (i: number) => agents[i]!.account.address;
    expect(await f.registry.read.agentCount()).toBe(8n);

    const pages: Address[][] = [];
    for (let offset = 0n; offset < 8n; offset += 3n) {
      pages.push([...(await f.registry.read.findAgents([review, offset, 3n]))]);
    }
    // Pages [0,3) [3,6) [6,8): matches are agents 2 and 4 only (0 and 6 are inactive).
    expect(pages).toEqual([[addressAt(2)], [addressAt(4)], []]);
    expect(pages.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].filter(expectedMatch).map(addressAt));
    expect(await f.registry.read.findAgents([review, 0n, 100n])).toEqual([addressAt(2), addressAt(4)]);
    expect(await f.registry.read.findAgents([review, 8n, 5n])).toEqual([]);
    expect(await f.registry.read.findAgents([review, 2n, 0n])).toEqual([]);
    expect(await f.registry.read.findAgents([skillId("own-7"), 7n, 1n])).toEqual([addressAt(7)]);
    expect(await f.registry.read.findAgents([skillId("nobody"), 0n, 8n])).toEqual([]);
    // No offset or limit can overflow the page arithmetic.
    expect(await f.registry.read.findAgents([review, 1n, maxUint256])).toEqual([addressAt(2), addressAt(4)]);
    expect(await f.registry.read.findAgents([review, maxUint256, maxUint256])).toEqual([]);
  });

  describe('names belong to one agent (attack: a second wallet registers as "bob" to be hired in bob\'s place)', () => {
    it("refuses a name another agent holds, in register and in update, and the impostor gets nothing", async () => {
      const bob = f.provider.account.address;
      await register(f.provider, ["word-count"], { name: "bob" });
      expect(await f.registry.read.agentByName(["bob"])).toBe(bob);
      await expectRevert(
        f.registryAs(f.stranger).write.register(["bob", ["word-count"], zeroAddress, 1n, ""]),
        "RegistryNameTaken",
        ["bob", bob],
      );
      expect(await f.registry.read.agentCount()).toBe(1n);
      expect((await f.registry.read.getAgent([f.stranger.account.address]))[0]).toBe(false);
      await register(f.stranger, ["word-count"], { name: "mallory" });
      await expectRevert(
        f.registryAs(f.stranger).write.update(["bob", ["word-count"], zeroAddress, 1n, ""]),
        "RegistryNameTaken",
        ["bob", bob],
      );
      expect(await f.registry.read.agentByName(["bob"])).toBe(bob);
      expect(await f.registry.read.agentByName(["mallory"])).toBe(f.stranger.account.address);
    });

    it("refuses other spellings: capitals, spaces, non-ASCII look-alikes, a leading - or _, more than 32 bytes", async () => {
      await register(f.provider, ["a"], { name: "bob" });
      const registry = f.registryAs(f.stranger);
      for (const name of ["Bob", "bob ", " bob", "b\u043eb", "bob\u200b", "-bob", "_bob", "bo.b", "a".repeat(33)]) {
        await expectRevert(registry.write.register([name, ["a"], zeroAddress, 1n, ""]), "RegistryInvalidName", [name]);
      }
      await f.tx(registry.write.register(["a".repeat(32), ["a"], zeroAddress, 1n, ""]));
      expect(await f.registry.read.agentByName(["a".repeat(32)])).toBe(f.stranger.account.address);
      await f.tx(f.registryAs(f.wallets[3]!).write.register(["b0b-2_x", ["a"], zeroAddress, 1n, ""]));
    });

    it("a deactivated agent keeps its name; a rename releases the old name to whoever claims it next", async () => {
      const bob = f.provider.account.address;
      await register(f.provider, ["a"], { name: "bob" });
      await f.tx(f.registryAs(f.provider).write.setActive([false]));
      await expectRevert(
        f.registryAs(f.stranger).write.register(["bob", ["a"], zeroAddress, 1n, ""]),
        "RegistryNameTaken",
        ["bob", bob],
      );
      // Updating under the same name is not a conflict with itself.
      await f.tx(f.registryAs(f.provider).write.update(["bob", ["a", "b"], zeroAddress, 2n, ""]));
      await f.tx(f.registryAs(f.provider).write.update(["robert", ["a"], zeroAddress, 2n, ""]));
      expect(await f.registry.read.agentByName(["bob"])).toBe(zeroAddress);
      expect(await f.registry.read.agentByName(["robert"])).toBe(bob);
      await register(f.stranger, ["a"], { name: "bob" });
      expect(await f.registry.read.agentByName(["bob"])).toBe(f.stranger.account.address);
      await expectRevert(
        f.registryAs(f.provider).write.update(["bob", ["a"], zeroAddress, 2n, ""]),
        "RegistryNameTaken",
        ["bob", f.stranger.account.address],
      );
    });
  });
});
