import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, parseUnits, zeroAddress, type TransactionReceipt } from "viem";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { approveDelivery } from "../../src/chain/actions/approveDelivery.js";
import { claimRefund } from "../../src/chain/actions/claimRefund.js";
import { claimStake } from "../../src/chain/actions/claimStake.js";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { declineJob } from "../../src/chain/actions/declineJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { getBalances } from "../../src/chain/actions/getBalances.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { registerAgent } from "../../src/chain/actions/registerAgent.js";
import { sendPayment } from "../../src/chain/actions/sendPayment.js";
import { settleCheck } from "../../src/chain/actions/settleCheck.js";
import { stakeOnCheck } from "../../src/chain/actions/stakeOnCheck.js";
import { withdrawCredits } from "../../src/chain/actions/withdrawCredits.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { ContractRevertedError } from "../../src/errors/transaction.js";
import { InvalidInputError } from "../../src/errors/input.js";
import { DEV_KEYS, type GuildNode, NODE_KINDS, startGuildNode } from "../support/nodes.js";
import type { GuildOnChain } from "../support/testChain.js";

async function gasCost(client: GuildClient, hash: `0x${string}`): Promise<bigint> {
  const receipt: TransactionReceipt = await client.connection.publicClient.getTransactionReceipt({ hash });
  return receipt.gasUsed * receipt.effectiveGasPrice;
}

async function nativeBalance(client: GuildClient): Promise<bigint> {
  return client.connection.publicClient.getBalance({ address: client.account.address });
}

async function timeTravel(client: GuildClient, seconds: number): Promise<void> {
  await client.connection.publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await client.connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
}

describe.each(NODE_KINDS)("chain actions on %s", (kind) => {
  let node: GuildNode;
  let guild: GuildOnChain;
  let alice: GuildClient;
  let bob: GuildClient;
  let carol: GuildClient;
  let dave: GuildClient;

  beforeAll(async () => {
    node = await startGuildNode(kind);
    guild = node.guild;
    [alice, bob, carol, dave] = [1, 2, 3, 4].map((i) => guild.clientFor(DEV_KEYS[i]!)) as [
      GuildClient,
      GuildClient,
      GuildClient,
      GuildClient,
    ];
  });
  afterAll(async () => node?.stop());

  it("runs a native job with a staked check: bond, pass and fail stakes, settle, claims", async () => {
    const budget = parseEther("0.01");
    const { jobId, hash } = await createAndFundJob(alice, {
      provider: bob.account.address,
      budget,
      description: "word-count: count the words in 'a b c'",
      check: { windowSeconds: 600n, minStakeBps: 1_000n, bondBps: 5_000n },
    });
    expect(hash).toMatch(/^0x[0-9a-f]{64}$/);
    let job = await readJob(alice, { jobId });
    expect(job.status).toBe("Funded");
    expect(job.budget).toBe(budget);
    expect(job.check?.bond).toBe(parseEther("0.005"));

    await deliverJob(bob, { jobId, content: '{"words":3}' });
    await stakeOnCheck(bob, { jobId, pass: true, amount: parseEther("0.005") });
    await stakeOnCheck(carol, { jobId, pass: true, amount: parseEther("0.002") });
    await stakeOnCheck(dave, { jobId, pass: false, amount: parseEther("0.003") });
    job = await readJob(alice, { jobId });
    expect(job.check?.passTotal).toBe(parseEther("0.007"));
    expect(job.check?.failTotal).toBe(parseEther("0.003"));

    await timeTravel(alice, 601);
    const bobBefore = await nativeBalance(bob);
    const settled = await settleCheck(alice, { jobId });
    expect(settled.passed).toBe(true);
    expect((await readJob(alice, { jobId })).status).toBe("Completed");
    expect(await nativeBalance(bob)).toBe(bobBefore + budget);

    // Winners share the 0.003 fail stake pro rata: bob 5/7, carol the remainder.
    const bobClaim = await claimStake(bob, { jobId });
    const carolClaim = await claimStake(carol, { jobId });
    const daveClaim = await claimStake(dave, { jobId });
    const bobReward = (parseEther("0.005") * parseEther("0.003")) / parseEther("0.007");
    expect(bobClaim.amount).toBe(parseEther("0.005") + bobReward);
    expect(carolClaim.amount).toBe(parseEther("0.002") + parseEther("0.003") - bobReward);
    expect(daveClaim.amount).toBe(0n);
    expect(bobClaim.amount + carolClaim.amount).toBe(parseEther("0.01"));
  });

  it("runs an ERC-20 job, approving exactly the budget first, and the client approves early", async () => {
    const token = guild.reader.addresses.testToken!;
    const amount = parseUnits("12.5", 6);
    await alice.sender.send({
      to: token,
      data: (await import("viem")).encodeFunctionData({
        abi: guildTestTokenAbi,
        functionName: "mint",
        args: [alice.account.address, amount],
      }),
      label: "mint",
    });
    const { jobId, approveHash } = await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: amount,
      token,
      description: "sort: sort 3 1 2",
    });
    expect(approveHash).toBeDefined();
    await deliverJob(bob, { jobId, content: "1 2 3" });
    const before = await getBalances(bob, { address: bob.account.address, tokens: [token] });
    await approveDelivery(alice, { jobId });
    const after = await getBalances(bob, { address: bob.account.address, tokens: [token] });
    expect(after[1]!.balance - before[1]!.balance).toBe(amount);
    expect(after[1]!.symbol).toBe("gUSD");
    expect(after[1]!.decimals).toBe(6);
  });

  it("declines a job and refunds the client at once", async () => {
    const budget = parseEther("0.001");
    const { jobId, hash } = await createAndFundJob(alice, {
      provider: bob.account.address,
      budget,
      description: "translate: hello",
    });
    const afterFunding = await nativeBalance(alice);
    await declineJob(bob, { jobId });
    expect((await readJob(alice, { jobId })).status).toBe("Rejected");
    expect(await nativeBalance(alice)).toBe(afterFunding + budget);
    expect(await gasCost(alice, hash)).toBeGreaterThan(0n);
  });

  it("refunds an undelivered job after its deadline", async () => {
    const budget = parseEther("0.001");
    const { jobId } = await createAndFundJob(alice, {
      provider: bob.account.address,
      budget,
      deadlineSeconds: 60n,
      description: "hash: abc",
    });
    await expect(claimRefund(carol, { jobId })).rejects.toMatchObject({ errorName: "EscrowNotRefundable" });
    await timeTravel(alice, 61);
    const before = await nativeBalance(alice);
    await claimRefund(carol, { jobId });
    expect(await nativeBalance(alice)).toBe(before + budget);
    expect((await readJob(alice, { jobId })).status).toBe("Expired");
  });

  it("returns a typed revert before spending gas, and moves no funds", async () => {
    const { jobId } = await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: parseEther("0.001"),
      description: "word-count: x",
    });
    const nonce = await carol.connection.publicClient.getTransactionCount({ address: carol.account.address });
    const balance = await nativeBalance(carol);
    const error = await deliverJob(carol, { jobId, content: "stolen" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRevertedError);
    expect((error as ContractRevertedError).errorName).toBe("EscrowUnauthorized");
    expect((error as ContractRevertedError).errorArgs[0]).toBe(jobId);
    expect((error as Error).message).toContain(`not the party allowed to do this on job ${jobId}`);
    expect(await carol.connection.publicClient.getTransactionCount({ address: carol.account.address })).toBe(nonce);
    expect(await nativeBalance(carol)).toBe(balance);
  });

  it("says a hallucinated job id does not exist", async () => {
    const error = await readJob(alice, { jobId: 987_654n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContractRevertedError);
    expect((error as ContractRevertedError).errorName).toBe("EscrowJobNotFound");
    expect((error as Error).message).toContain("Job 987654 does not exist");
  });

  it("refuses bad input before touching the chain", async () => {
    await expect(
      createAndFundJob(alice, { provider: bob.account.address, budget: 0n, description: "x" }),
    ).rejects.toBeInstanceOf(InvalidInputError);
    await expect(
      createAndFundJob(alice, { provider: alice.account.address, budget: 1n, description: "x" }),
    ).rejects.toMatchObject({ field: "provider" });
  });

  it("registers an agent idempotently", async () => {
    const first = await registerAgent(carol, {
      name: "carol",
      skills: ["word-count", "sort"],
      price: parseEther("0.001"),
    });
    expect(first.action).toBe("registered");
    const again = await registerAgent(carol, {
      name: "carol",
      skills: ["sort", "word-count"],
      price: parseEther("0.001"),
    });
    expect(again).toEqual({ hash: undefined, action: "unchanged" });
    const changed = await registerAgent(carol, { name: "carol", skills: ["sort"], price: parseEther("0.002") });
    expect(changed.action).toBe("updated");
    const renamed = await registerAgent(carol, { name: "carol-2", skills: ["sort"], price: parseEther("0.002") });
    expect(renamed.action).toBe("updated");
  });

  it("refuses to register under a name another agent holds, before sending anything", async () => {
    await registerAgent(carol, { name: "carol-3", skills: ["sort"], price: parseEther("0.002") });
    const nonce = await dave.connection.publicClient.getTransactionCount({ address: dave.account.address });
    const error = await registerAgent(dave, { name: "carol-3", skills: ["sort"], price: 1n }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ field: "name" });
    expect(await dave.connection.publicClient.getTransactionCount({ address: dave.account.address })).toBe(nonce);
  });

  it("keeps one nonce sequence when many payments are sent at once", async () => {
    const start = await dave.connection.publicClient.getTransactionCount({ address: dave.account.address });
    const payments = await Promise.all(
      Array.from({ length: 25 }, (_, i) => sendPayment(dave, { to: carol.account.address, amount: BigInt(i + 1) })),
    );
    expect(new Set(payments.map((p) => p.hash)).size).toBe(25);
    expect(await dave.connection.publicClient.getTransactionCount({ address: dave.account.address })).toBe(start + 25);
  });

  it("recovers when another program used the account's nonce", async () => {
    // A second sender for the same key, as another process would have: it takes the next nonce.
    const twin = guild.clientFor(DEV_KEYS[4]!);
    await sendPayment(dave, { to: carol.account.address, amount: 1n });
    await sendPayment(twin, { to: carol.account.address, amount: 2n });
    await sendPayment(twin, { to: carol.account.address, amount: 3n });
    // dave's cached nonce is now stale; the sender must resynchronise instead of failing.
    const { hash } = await sendPayment(dave, { to: carol.account.address, amount: 4n });
    const tx = await dave.connection.publicClient.getTransaction({ hash });
    expect(tx.value).toBe(4n);
  });

  it("withdraws nothing when no payout was credited", async () => {
    const result = await withdrawCredits(bob, { token: zeroAddress });
    expect(result).toEqual({ amount: 0n, hash: undefined });
  });
});
