import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { sendPayment } from "../../src/chain/actions/sendPayment.js";
import { collectToolCallTransactions, recordToolCallTransaction } from "../../src/tools/toolCallTransactions.js";
import { DEV_KEYS, type GuildNode, startGuildNode } from "../support/nodes.js";
import type { GuildOnChain } from "../support/testChain.js";

describe("transactions credited to the tool call that sent them", () => {
  let node: GuildNode;
  let guild: GuildOnChain;
  beforeAll(async () => {
    node = await startGuildNode("anvil");
    guild = node.guild;
  });
  afterAll(async () => node?.stop());

  it("keeps concurrent calls on one shared client apart, and credits nothing outside a call", async () => {
    const client = createGuildClient(guild.reader, {
      account: privateKeyToAccount(DEV_KEYS[3]!),
      onSubmitted: (tx) => recordToolCallTransaction(tx.hash),
    });
    const to = privateKeyToAccount(DEV_KEYS[4]!).address;
    const pay = (amount: bigint) => sendPayment(client, { to, amount }).then((r) => r.hash);
    const [first, second] = await Promise.all([
      collectToolCallTransactions(async () => [await pay(1n), await pay(2n), await pay(3n)]),
      collectToolCallTransactions(async () => [await pay(10n), await pay(20n)]),
    ]);
    expect(first.sent).toEqual(first.value);
    expect(second.sent).toEqual(second.value);
    // Outside any call nothing is collected (and nothing fails).
    const outside = await pay(5n);
    expect([...first.sent, ...second.sent]).not.toContain(outside);
  });
});
