import {
  createWalletClient,
  encodeAbiParameters,
  encodeFunctionData,
  http,
  keccak256,
  pad,
  parseEther,
  parseUnits,
  toHex,
  zeroAddress,
  type Address,
  type Hash,
  type Hex,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { approveDelivery } from "../../../src/chain/actions/approveDelivery.js";
import { claimRefund } from "../../../src/chain/actions/claimRefund.js";
import { claimStake } from "../../../src/chain/actions/claimStake.js";
import { createAndFundJob } from "../../../src/chain/actions/createAndFundJob.js";
import { declineJob } from "../../../src/chain/actions/declineJob.js";
import { deliverJob } from "../../../src/chain/actions/deliverJob.js";
import { registerAgent } from "../../../src/chain/actions/registerAgent.js";
import { sendPayment } from "../../../src/chain/actions/sendPayment.js";
import { settleCheck } from "../../../src/chain/actions/settleCheck.js";
import { stakeOnCheck } from "../../../src/chain/actions/stakeOnCheck.js";
import { createGuildClient } from "../../../src/chain/createGuildClient.js";
import type { GuildClient } from "../../../src/chain/GuildClient.js";
import { guildTestTokenAbi } from "../../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { receiverMockAbi, receiverMockBytecode } from "../../support/contracts/ReceiverMock.js";
import type { GuildOnNode } from "../../support/guildOnNode.js";
import { DEV_KEYS, type NodeKind } from "../../support/nodes.js";

/** What the history put in and took out of the audited agent's wallet, computed from the actions themselves. */
export type ExpectedFigures = {
  native: {
    hireOut: bigint;
    hireIn: bigint;
    refundIn: bigint;
    stakeOut: bigint;
    stakeIn: bigint;
    rewardIn: bigint;
    transferOut: bigint;
    transferIn: bigint;
    gas: bigint;
  };
  token: { hireOut: bigint; hireIn: bigint; transferOut: bigint; transferIn: bigint };
};

export type AuditHistory = {
  alice: GuildClient;
  /** Every transaction alice sent, the reverted one included. */
  aliceHashes: Hash[];
  revertedHash: Hash;
  /** The ReceiverMock that refused a payout and withdrew it later. */
  receiver: Address;
  receiverPayout: bigint;
  token: Address;
  expected: ExpectedFigures;
  jobs: {
    paid: bigint;
    failedCheck: bigint;
    declined: bigint;
    expired: bigint;
    asProvider: bigint;
    slashed: bigint;
    stakeWon: bigint;
    stakeLost: bigint;
    erc20: bigint;
    erc20AsProvider: bigint;
    toReceiver: bigint;
    /** alice hires bob, bob hires carol for it, carol hires dave for that. */
    chain: [bigint, bigint, bigint];
    /** frank hires alice, alice hires erin for it. */
    hiredFor: bigint;
    subHire: bigint;
  };
  /** Last block before the injected balance change, the block of the change, and the last block. */
  beforeCheat: bigint;
  cheatBlock: bigint;
  cheatAmount: bigint;
  /** The token balance change without a Transfer log, and where the node shows it. */
  tokenCheatBlock: bigint;
  tokenCheat: bigint;
  lastBlock: bigint;
  /** Direct native payment erin sent alice, and the internal transfer the mock made to her. */
  directIn: Hash;
  internalIn: Hash;
};

async function timeTravel(client: GuildClient, seconds: number): Promise<void> {
  await client.connection.publicClient.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
  await client.connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
}

/**
 * Builds, on a node with Guild deployed, a history in which alice (dev account 1) has every kind of flow:
 * as client a job paid, one refunded by a failed check, one declined, one expired and refunded on claim;
 * as provider a job paid and one whose bond was slashed; as checker a winning and a losing stake; ERC-20
 * jobs both ways; direct native and ERC-20 payments both ways; a transaction that reverted and still
 * paid gas; an internal transfer from a contract; a payout refused by a ReceiverMock, credited and
 * withdrawn later; a three-level delegation chain; then a balance change no flow explains.
 */
export async function buildAuditHistory(guild: GuildOnNode, kind: NodeKind): Promise<AuditHistory> {
  const aliceHashes: Hash[] = [];
  const alice = createGuildClient(guild.reader, {
    account: privateKeyToAccount(DEV_KEYS[1]!),
    onSubmitted: (submitted) => aliceHashes.push(submitted.hash),
  });
  const [deployer, bob, carol, dave, erin, frank] = [0, 2, 3, 4, 5, 6].map((index) =>
    guild.clientFor(DEV_KEYS[index]!),
  ) as [GuildClient, GuildClient, GuildClient, GuildClient, GuildClient, GuildClient];
  const token = guild.reader.addresses.testToken as Address;
  const publicClient = alice.connection.publicClient;
  const e = parseEther;
  const check = { windowSeconds: 600n, minStakeBps: 100n, bondBps: 0n };

  // The receiver: a contract account that refuses payouts, operated by the deployer. Deployed first, before
  // the deployer's sender caches a nonce.
  const deployerWallet = createWalletClient({
    account: privateKeyToAccount(DEV_KEYS[0]!),
    chain: alice.connection.chain,
    transport: http(alice.connection.url),
  });
  const deployHash = await deployerWallet.deployContract({ abi: receiverMockAbi, bytecode: receiverMockBytecode });
  const receiver = (await publicClient.waitForTransactionReceipt({ hash: deployHash })).contractAddress as Address;

  await registerAgent(alice, { name: "alice", skills: ["word-count"], price: e("0.001") });
  const mint = (to: Address, amount: bigint) =>
    deployer.sender.send({
      to: token,
      data: encodeFunctionData({ abi: guildTestTokenAbi, functionName: "mint", args: [to, amount] }),
      label: "mint",
    });
  const mintAmount = parseUnits("100", 6);
  await mint(alice.account.address, mintAmount);
  await mint(frank.account.address, parseUnits("100", 6));
  await mint(carol.account.address, parseUnits("10", 6));

  const operate = (data: Hex, value = 0n) =>
    deployer.sender.send({ to: receiver, data, value, label: "operate receiver" });
  const execute = (to: Address, value: bigint, data: Hex) =>
    operate(encodeFunctionData({ abi: receiverMockAbi, functionName: "execute", args: [to, value, data] }), value);
  const escrow = guild.reader.addresses.escrow;

  // Hours between stretches of activity, so the history spans several periods.
  const later = (hours: number) => timeTravel(alice, hours * 3_600);
  await later(2);

  // As client: paid.
  const paid = (
    await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: e("0.01"),
      description: "word-count: a b c",
      check,
    })
  ).jobId;
  await deliverJob(bob, { jobId: paid, content: '{"words":3}' });
  await approveDelivery(alice, { jobId: paid });

  await later(3);

  // As client: refunded by a failed check (dave stakes fail, nobody pass).
  const failedCheck = (
    await createAndFundJob(alice, {
      provider: carol.account.address,
      budget: e("0.002"),
      description: "sort: 3 1 2",
      check,
    })
  ).jobId;
  await deliverJob(carol, { jobId: failedCheck, content: "3 1 2" });
  await stakeOnCheck(dave, { jobId: failedCheck, pass: false, amount: e("0.0005") });

  // As client: declined.
  const declined = (
    await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: e("0.003"),
      description: "translate: hi",
      check,
    })
  ).jobId;
  await declineJob(bob, { jobId: declined });

  // As client: expired, refunded on alice's claim after the deadline.
  const expired = (
    await createAndFundJob(alice, {
      provider: erin.account.address,
      budget: e("0.004"),
      description: "hash: abc",
      deadlineSeconds: 60n,
      check,
    })
  ).jobId;

  // As provider: paid.
  const asProvider = (
    await createAndFundJob(bob, {
      provider: alice.account.address,
      budget: e("0.005"),
      description: "word-count: x y",
      check,
    })
  ).jobId;
  await deliverJob(alice, { jobId: asProvider, content: '{"words":2}' });
  await approveDelivery(bob, { jobId: asProvider });

  // As provider: bond posted and slashed (the fail side doubles it and takes the lead).
  const slashed = (
    await createAndFundJob(carol, {
      provider: alice.account.address,
      budget: e("0.006"),
      description: "sort: b a",
      check: { ...check, bondBps: 5_000n },
    })
  ).jobId;
  await deliverJob(alice, { jobId: slashed, content: "b a" });
  await stakeOnCheck(alice, { jobId: slashed, pass: true, amount: e("0.003") });
  await stakeOnCheck(dave, { jobId: slashed, pass: false, amount: e("0.006") });

  // As checker: a winning stake (frank is on the other side) and a losing one.
  const stakeWon = (
    await createAndFundJob(bob, {
      provider: carol.account.address,
      budget: e("0.01"),
      description: "word-count: q",
      check,
    })
  ).jobId;
  await deliverJob(carol, { jobId: stakeWon, content: '{"words":1}' });
  await stakeOnCheck(alice, { jobId: stakeWon, pass: true, amount: e("0.002") });
  await stakeOnCheck(frank, { jobId: stakeWon, pass: false, amount: e("0.001") });
  const stakeLost = (
    await createAndFundJob(bob, {
      provider: dave.account.address,
      budget: e("0.01"),
      description: "word-count: r",
      check,
    })
  ).jobId;
  await deliverJob(dave, { jobId: stakeLost, content: '{"words":1}' });
  await stakeOnCheck(alice, { jobId: stakeLost, pass: false, amount: e("0.001") });
  await stakeOnCheck(carol, { jobId: stakeLost, pass: true, amount: e("0.002") });

  await timeTravel(alice, 601);
  await settleCheck(bob, { jobId: failedCheck });
  await settleCheck(bob, { jobId: slashed });
  await settleCheck(bob, { jobId: stakeWon });
  await settleCheck(bob, { jobId: stakeLost });
  await claimRefund(alice, { jobId: expired });
  await claimStake(alice, { jobId: stakeWon });
  await claimStake(alice, { jobId: slashed }); // pays 0: the bond is lost
  // The losing stake on stakeLost is left unclaimed: the loss shows from the settlement.

  await later(4);

  // ERC-20 jobs, both ways.
  const erc20 = (
    await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: parseUnits("12.5", 6),
      token,
      description: "sort: z y",
      check,
    })
  ).jobId;
  await deliverJob(bob, { jobId: erc20, content: "y z" });
  await approveDelivery(alice, { jobId: erc20 });
  const erc20AsProvider = (
    await createAndFundJob(frank, {
      provider: alice.account.address,
      budget: parseUnits("3", 6),
      token,
      description: "hash: q",
      check,
    })
  ).jobId;
  await deliverJob(alice, { jobId: erc20AsProvider, content: "0x1" });
  await approveDelivery(frank, { jobId: erc20AsProvider });

  await later(2);

  // Direct payments.
  await sendPayment(alice, { to: dave.account.address, amount: e("0.0007") });
  const directIn = (await sendPayment(erin, { to: alice.account.address, amount: e("0.0009") })).hash;
  await sendPayment(alice, { to: carol.account.address, token, amount: parseUnits("1", 6) });
  await sendPayment(carol, { to: alice.account.address, token, amount: parseUnits("0.5", 6) });

  // An internal transfer: the mock forwards value to alice, no event.
  const internalIn = (await execute(alice.account.address, e("0.0002"), "0x")).transactionHash;

  // A transaction that reverts and still pays gas: alice delivers a job that is not hers, signed and sent
  // raw so no simulation stops it. (An automining Hardhat node mines it and answers with the revert.)
  const aliceAccount = privateKeyToAccount(DEV_KEYS[1]!);
  const fees = await publicClient.estimateFeesPerGas();
  const raw = await aliceAccount.signTransaction({
    chainId: alice.connection.chainId,
    type: "eip1559",
    to: escrow,
    data: encodeFunctionData({ abi: jobEscrowAbi, functionName: "deliver", args: [paid, "not mine"] }),
    gas: 120_000n,
    nonce: await publicClient.getTransactionCount({ address: alice.account.address, blockTag: "pending" }),
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  });
  const revertedHash = keccak256(raw);
  await publicClient.request({ method: "eth_sendRawTransaction", params: [raw] }).catch(() => undefined);
  const revertedReceipt = await publicClient.waitForTransactionReceipt({ hash: revertedHash });
  if (revertedReceipt.status !== "reverted") throw new Error("the reverting transaction succeeded");
  aliceHashes.push(revertedHash);

  // A payout the receiver refuses: credited, withdrawn later.
  const receiverPayout = e("0.0011");
  await operate(encodeFunctionData({ abi: receiverMockAbi, functionName: "setMode", args: [1] }));
  const toReceiver = (
    await createAndFundJob(alice, { provider: receiver, budget: receiverPayout, description: "word-count: m", check })
  ).jobId;
  await execute(
    escrow,
    0n,
    encodeFunctionData({ abi: jobEscrowAbi, functionName: "deliver", args: [toReceiver, '{"words":1}'] }),
  );
  await approveDelivery(alice, { jobId: toReceiver });

  await later(5);

  // A three-level delegation chain: alice hires bob, bob hires carol for it, carol hires dave for that.
  const top = (
    await createAndFundJob(alice, {
      provider: bob.account.address,
      budget: e("0.009"),
      description: "summarize: long text",
      check,
    })
  ).jobId;
  const middle = (
    await createAndFundJob(bob, {
      provider: carol.account.address,
      budget: e("0.006"),
      description: "summarize: part",
      parentJobId: top,
      check,
    })
  ).jobId;
  const bottom = (
    await createAndFundJob(carol, {
      provider: dave.account.address,
      budget: e("0.002"),
      description: "word-count: part",
      parentJobId: middle,
      check,
    })
  ).jobId;
  await deliverJob(dave, { jobId: bottom, content: '{"words":2}' });
  await approveDelivery(carol, { jobId: bottom });
  await deliverJob(carol, { jobId: middle, content: "summary" });
  await approveDelivery(bob, { jobId: middle });
  await deliverJob(bob, { jobId: top, content: "summary" });
  await approveDelivery(alice, { jobId: top });

  // alice, hired by frank, hires erin for that job.
  const hiredFor = (
    await createAndFundJob(frank, {
      provider: alice.account.address,
      budget: e("0.008"),
      description: "sort: big",
      check,
    })
  ).jobId;
  const subHire = (
    await createAndFundJob(alice, {
      provider: erin.account.address,
      budget: e("0.003"),
      description: "sort: half",
      parentJobId: hiredFor,
      check,
    })
  ).jobId;
  await deliverJob(erin, { jobId: subHire, content: "half" });
  await approveDelivery(alice, { jobId: subHire });
  await deliverJob(alice, { jobId: hiredFor, content: "big" });
  await approveDelivery(frank, { jobId: hiredFor });

  // The receiver withdraws its credit, now accepting payments.
  await operate(encodeFunctionData({ abi: receiverMockAbi, functionName: "setMode", args: [0] }));
  await execute(escrow, 0n, encodeFunctionData({ abi: jobEscrowAbi, functionName: "withdraw", args: [zeroAddress] }));

  // A balance change nothing explains. Nodes apply it to the head block's state (Hardhat) or the next
  // block's (possibly Anvil): the node itself says where it first shows.
  await publicClient.request({ method: "evm_mine" as never, params: [] as never });
  const head = await publicClient.getBlockNumber();
  const cheatAmount = e("1");
  const balance = await publicClient.getBalance({ address: alice.account.address, blockNumber: head });
  await publicClient.request({
    method: (kind === "anvil" ? "anvil_setBalance" : "hardhat_setBalance") as never,
    params: [alice.account.address, `0x${(balance + cheatAmount).toString(16)}`] as never,
  });
  // And a token balance changed without a Transfer: OpenZeppelin's ERC20 keeps balances in a mapping at slot 0.
  const tokenCheat = 7_000_000n;
  const balanceOf = (blockNumber: bigint) =>
    publicClient.readContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "balanceOf",
      args: [alice.account.address],
      blockNumber,
    });
  const tokenBalance = await balanceOf(head);
  await publicClient.request({
    method: (kind === "anvil" ? "anvil_setStorageAt" : "hardhat_setStorageAt") as never,
    params: [
      token,
      keccak256(encodeAbiParameters([{ type: "address" }, { type: "uint256" }], [alice.account.address, 0n])),
      pad(toHex(tokenBalance + tokenCheat)),
    ] as never,
  });
  await publicClient.request({ method: "evm_mine" as never, params: [] as never });
  const cheatBlock =
    (await publicClient.getBalance({ address: alice.account.address, blockNumber: head })) === balance
      ? head + 1n
      : head;
  const tokenCheatBlock = (await balanceOf(head)) === tokenBalance ? head + 1n : head;
  if ((await balanceOf(head + 1n)) !== tokenBalance + tokenCheat) throw new Error("the token balance did not change");
  const beforeCheat = (cheatBlock < tokenCheatBlock ? cheatBlock : tokenCheatBlock) - 1n;
  // One more flow after it, so the change sits in the middle of the history.
  await sendPayment(alice, { to: dave.account.address, amount: e("0.0001") });
  const lastBlock = await publicClient.getBlockNumber();

  let gas = 0n;
  for (const hash of aliceHashes) {
    const receipt = await publicClient.getTransactionReceipt({ hash });
    gas += receipt.gasUsed * receipt.effectiveGasPrice;
  }
  const expected: ExpectedFigures = {
    native: {
      hireOut: e("0.01") + e("0.002") + e("0.003") + e("0.004") + receiverPayout + e("0.009") + e("0.003"),
      hireIn: e("0.005") + e("0.008"),
      refundIn: e("0.002") + e("0.003") + e("0.004"),
      stakeOut: e("0.003") + e("0.002") + e("0.001"),
      stakeIn: e("0.002"),
      rewardIn: e("0.001"),
      transferOut: e("0.0007") + e("0.0001"),
      transferIn: e("0.0009") + e("0.0002"),
      gas,
    },
    token: {
      hireOut: parseUnits("12.5", 6),
      hireIn: parseUnits("3", 6),
      transferOut: parseUnits("1", 6),
      transferIn: parseUnits("0.5", 6) + mintAmount,
    },
  };
  return {
    alice,
    aliceHashes,
    revertedHash,
    receiver,
    receiverPayout,
    token,
    expected,
    jobs: {
      paid,
      failedCheck,
      declined,
      expired,
      asProvider,
      slashed,
      stakeWon,
      stakeLost,
      erc20,
      erc20AsProvider,
      toReceiver,
      chain: [top, middle, bottom],
      hiredFor,
      subHire,
    },
    beforeCheat,
    cheatBlock,
    cheatAmount,
    tokenCheatBlock,
    tokenCheat,
    lastBlock,
    directIn,
    internalIn,
  };
}
