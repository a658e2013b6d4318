import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther, type Address } from "viem";
import { generatePrivateKey, mnemonicToAccount, privateKeyToAccount } from "viem/accounts";
import { guildTestTokenAbi, guildTestTokenBytecode } from "../../src/contracts/GuildTestToken.js";
import { FundingError, FundingRequiredError } from "../../src/errors/wallet.js";
import { DEV_ACCOUNT_KEYS, DEV_MNEMONIC, isDevChain } from "../../src/wallet/devAccounts.js";
import { DEFAULT_NATIVE_TARGET, fundFromDevAccount } from "../../src/wallet/fundFromDevAccount.js";
import { DEV_KEYS, NODE_KINDS, startTestNode, type TestNode } from "../support/nodes.js";

const freshAddress = (): Address => privateKeyToAccount(generatePrivateKey()).address;

function clients(node: TestNode) {
  // The deployer is dev account 1, so funding (dev account 0) and deployment never share a nonce.
  const deployer = node.wallets[1];
  if (!deployer) throw new Error("the node has no dev account 1");
  return { publicClient: node.publicClient, deployer };
}

async function deployTestToken(node: TestNode): Promise<Address> {
  const { publicClient, deployer } = clients(node);
  const hash = await deployer.deployContract({ abi: guildTestTokenAbi, bytecode: guildTestTokenBytecode });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (!receipt.contractAddress) throw new Error("token deployment failed");
  return receipt.contractAddress;
}

describe("dev accounts", () => {
  it("are the keys of the public test mnemonic, the same the test nodes use", () => {
    expect(DEV_ACCOUNT_KEYS).toEqual(DEV_KEYS);
    DEV_ACCOUNT_KEYS.forEach((key, index) => {
      expect(mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).address).toBe(privateKeyToAccount(key).address);
    });
    expect([31337, 1337].map(isDevChain)).toEqual([true, true]);
    expect([1, 8453, 11155111].map(isDevChain)).toEqual([false, false, false]);
  });
});

describe.each(NODE_KINDS)("fundFromDevAccount on a %s dev chain", (kind) => {
  let node: TestNode;
  let token: Address;
  beforeAll(async () => {
    node = await startTestNode(kind);
    token = await deployTestToken(node);
  });
  afterAll(async () => node?.stop());

  it("tops a new wallet up to the target, then sends nothing the second time", async () => {
    const address = freshAddress();
    const { publicClient } = node;
    const first = await fundFromDevAccount({ rpcUrl: node.url, address });
    expect(first.chainId).toBe(31337);
    expect(first.funder).toBe(privateKeyToAccount(DEV_ACCOUNT_KEYS[0]).address);
    expect(first.nativeSent).toBe(DEFAULT_NATIVE_TARGET);
    expect(first.transactions).toHaveLength(1);
    expect(await publicClient.getBalance({ address })).toBe(DEFAULT_NATIVE_TARGET);

    const second = await fundFromDevAccount({ rpcUrl: node.url, address });
    expect(second.nativeSent).toBe(0n);
    expect(second.transactions).toEqual([]);

    const third = await fundFromDevAccount({ rpcUrl: node.url, address, nativeTarget: parseEther("1.5") });
    expect(third.nativeSent).toBe(parseEther("0.5"));
    expect(await publicClient.getBalance({ address })).toBe(parseEther("1.5"));
  });

  it("mints the test token up to its target", async () => {
    const address = freshAddress();
    const { publicClient } = node;
    const result = await fundFromDevAccount({
      rpcUrl: node.url,
      address,
      token: { address: token, target: 250_000_000n },
    });
    expect(result.tokenMinted).toBe(250_000_000n);
    expect(result.transactions).toHaveLength(2);
    const balance = await publicClient.readContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "balanceOf",
      args: [address],
    });
    expect(balance).toBe(250_000_000n);
    const again = await fundFromDevAccount({
      rpcUrl: node.url,
      address,
      token: { address: token, target: 300_000_000n },
    });
    expect(again.tokenMinted).toBe(50_000_000n);
    expect(again.nativeSent).toBe(0n);
  });

  it("funds several wallets at once without nonce clashes", async () => {
    const addresses = [freshAddress(), freshAddress(), freshAddress(), freshAddress()];
    const { publicClient } = node;
    const results = await Promise.all(
      addresses.map((address) =>
        fundFromDevAccount({ rpcUrl: node.url, address, token: { address: token, target: 1n } }),
      ),
    );
    expect(results.every((r) => r.nativeSent === DEFAULT_NATIVE_TARGET && r.tokenMinted === 1n)).toBe(true);
    for (const address of addresses) expect(await publicClient.getBalance({ address })).toBe(DEFAULT_NATIVE_TARGET);
  });

  it("throws FundingError when the dev account cannot cover the top-up", async () => {
    const error = await fundFromDevAccount({
      rpcUrl: node.url,
      address: freshAddress(),
      nativeTarget: parseEther("1000000000"),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FundingError);
  });

  it("throws FundingError for a token address without a token, and when the mint reverts", async () => {
    const { publicClient } = node;
    const notAToken = freshAddress();
    await expect(
      fundFromDevAccount({ rpcUrl: node.url, address: freshAddress(), token: { address: notAToken, target: 1n } }),
    ).rejects.toBeInstanceOf(FundingError);

    // A token of its own, filled to the brim, so the next mint overflows and reverts.
    const full = await deployTestToken(node);
    const max = 2n ** 256n - 1n;
    await fundFromDevAccount({ rpcUrl: node.url, address: freshAddress(), token: { address: full, target: max } });
    const address = freshAddress();
    const error = await fundFromDevAccount({ rpcUrl: node.url, address, token: { address: full, target: 1n } }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FundingError);
    expect(
      await publicClient.readContract({
        address: full,
        abi: guildTestTokenAbi,
        functionName: "balanceOf",
        args: [address],
      }),
    ).toBe(0n);
  });
});

describe("fundFromDevAccount on a chain that is not a dev chain", () => {
  let node: TestNode;
  let token: Address;
  beforeAll(async () => {
    node = await startTestNode("anvil", { chainId: 8453 });
    token = await deployTestToken(node);
  });
  afterAll(async () => node?.stop());

  it("sends nothing and throws FundingRequiredError saying the address, the chain and how", async () => {
    const address = freshAddress();
    const { publicClient } = node;
    const devBalance = await publicClient.getBalance({ address: privateKeyToAccount(DEV_ACCOUNT_KEYS[0]).address });
    const error = await fundFromDevAccount({
      rpcUrl: node.url,
      address,
      token: { address: token, target: 5_000_000n },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FundingRequiredError);
    const funding = error as FundingRequiredError;
    expect(funding.address).toBe(address);
    expect(funding.chainId).toBe(8453);
    expect(funding.message).toContain(address);
    expect(funding.message).toContain("8453");
    expect(funding.message).toMatch(/Send at least 1 of chain 8453's native token/);
    expect(funding.message).toMatch(/Send at least 5 gUSD of token/);
    expect(funding.message).toMatch(/buy or bridge it/);
    expect(await publicClient.getBalance({ address })).toBe(0n);
    expect(await publicClient.getBalance({ address: privateKeyToAccount(DEV_ACCOUNT_KEYS[0]).address })).toBe(
      devBalance,
    );
  });

  it("returns quietly when the wallet already holds enough", async () => {
    const address = freshAddress();
    const { publicClient, deployer } = clients(node);
    const hash = await deployer.sendTransaction({ to: address, value: parseEther("2") });
    await publicClient.waitForTransactionReceipt({ hash });
    const result = await fundFromDevAccount({ rpcUrl: node.url, address });
    expect(result).toMatchObject({ chainId: 8453, nativeSent: 0n, funder: undefined, transactions: [] });
  });
});
