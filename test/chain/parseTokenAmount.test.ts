import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTokenAmount } from "../../src/chain/parseTokenAmount.js";
import { InvalidAmountError, InvalidInputError } from "../../src/errors/input.js";
import { type GuildNode, startGuildNode } from "../support/nodes.js";
import type { GuildOnChain } from "../support/testChain.js";

describe("parseTokenAmount", () => {
  let node: GuildNode;
  let guild: GuildOnChain;
  beforeAll(async () => {
    node = await startGuildNode("anvil");
    guild = node.guild;
  });
  afterAll(async () => node?.stop());

  it("reads native and token amounts with their decimals", async () => {
    expect(await parseTokenAmount(guild.reader, "0.01")).toMatchObject({
      amount: 10n ** 16n,
      token: { symbol: "ETH" },
    });
    expect(await parseTokenAmount(guild.reader, "0.01 ETH")).toMatchObject({ amount: 10n ** 16n });
    const usd = await parseTokenAmount(guild.reader, "12.5 gUSD", "budget");
    expect(usd.amount).toBe(12_500_000n);
    expect(usd.token.address).toBe(guild.reader.addresses.testToken);
    expect(await parseTokenAmount(guild.reader, "2", "budget", "gUSD")).toMatchObject({ amount: 2_000_000n });
  });

  it("refuses too many decimals for the token, and unknown tokens, naming the field", async () => {
    await expect(parseTokenAmount(guild.reader, "1.1234567 gUSD", "budget")).rejects.toThrow(InvalidAmountError);
    await expect(parseTokenAmount(guild.reader, "1.1234567 gUSD", "budget")).rejects.toThrow(
      /has 7 decimals but the token has 6/,
    );
    await expect(parseTokenAmount(guild.reader, "1 DOGE", "budget")).rejects.toBeInstanceOf(InvalidInputError);
    await expect(parseTokenAmount(guild.reader, "1 ETH extra", "budget")).rejects.toMatchObject({ field: "budget" });
  });
});
