import {
  getAddress,
  getContract,
  maxUint256,
  parseAbi,
  zeroAddress,
  type Abi,
  type Address,
  type Hash,
  type Hex,
  type PublicClient,
  type TestClient,
  type TransactionReceipt,
} from "viem";
import { afterEach, beforeEach } from "vitest";
import { agentRegistryAbi } from "../../../src/contracts/AgentRegistry.js";
import { guildTestTokenAbi } from "../../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../../src/contracts/StakedEvaluator.js";
import { configurableTokenAbi, configurableTokenBytecode } from "../contracts/ConfigurableToken.js";
import { feeOnTransferTokenAbi, feeOnTransferTokenBytecode } from "../contracts/FeeOnTransferToken.js";
import { receiverMockAbi, receiverMockBytecode } from "../contracts/ReceiverMock.js";
import { reentrantTokenAbi, reentrantTokenBytecode } from "../contracts/ReentrantToken.js";
import { startInProcessChain } from "../inProcessChain.js";
import type { DeployGuildOnParameters, GuildChain, TestWallet } from "../testChain.js";

/** A payment token as the escrow sees it: `address(0)` is native ETH. */
export type Asset = { label: string; token: Address };

export const NATIVE: Address = zeroAddress;

const mintAbi = parseAbi([
  "function mint(address to, uint256 amount)",
  "function approve(address spender, uint256 amount) returns (bool)",
  "function balanceOf(address account) view returns (uint256)",
]);

/**
 * One in-process chain with Guild deployed and named parties. Tests reset it between cases with
 * {@link useChainSnapshot} instead of building a new chain.
 */
export type GuildFixture = Awaited<ReturnType<typeof createGuildFixture>>;

/**
 * Deploys Guild on a fresh in-process chain and names the parties: wallets[1] client, [2] provider,
 * [3] evaluator (an EOA), [4] a stranger, [5..9] stakers.
 *
 * @example
 * const f = await createGuildFixture();
 * const receipt = await f.tx(f.escrowAs(f.client).write.withdraw([NATIVE]));
 */
export async function createGuildFixture(params: DeployGuildOnParameters = {}) {
  const chain: GuildChain = await startInProcessChain(params);
  const { publicClient, testClient, wallets } = chain;
  // Hardhat hands out lowercase account addresses; contracts' reads and events return checksummed ones.
  for (const w of wallets) w.account.address = getAddress(w.account.address);
  const wallet = (index: number): TestWallet => {
    const found = wallets[index];
    if (!found) throw new Error(`The in-process network has no account #${index}.`);
    return found;
  };
  const addresses = {
    escrow: getAddress(chain.guild.addresses.escrow),
    evaluator: getAddress(chain.guild.addresses.evaluator),
    registry: getAddress(chain.guild.addresses.registry),
    token: getAddress(chain.guild.addresses.testToken),
  };
  const clientsOf = (w: TestWallet) => ({ public: publicClient, wallet: w });

  /** Waits for a sent transaction, asserts it succeeded and returns its receipt. */
  async function tx(hash: Promise<Hash> | Hash): Promise<TransactionReceipt> {
    const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash, pollingInterval: 1 });
    if (receipt.status !== "success") throw new Error(`Transaction ${receipt.transactionHash} reverted.`);
    return receipt;
  }

  async function deploy(abi: Abi, bytecode: Hex, from: TestWallet = wallet(0)): Promise<Address> {
    const receipt = await tx(from.deployContract({ abi, bytecode, chain: from.chain }));
    if (!receipt.contractAddress) throw new Error("Deployment returned no contract address.");
    return getAddress(receipt.contractAddress);
  }

  const f = {
    chain,
    publicClient: publicClient as PublicClient,
    testClient: testClient as TestClient,
    wallets,
    deployer: wallet(0),
    client: wallet(1),
    provider: wallet(2),
    evaluator: wallet(3),
    stranger: wallet(4),
    stakers: [wallet(5), wallet(6), wallet(7), wallet(8), wallet(9)],
    addresses,
    native: { label: "native ETH", token: NATIVE } satisfies Asset,
    erc20: { label: "ERC-20 (gUSD, 6 decimals)", token: addresses.token } satisfies Asset,
    tx,
    deploy,

    escrowAs: (w: TestWallet) => getContract({ address: addresses.escrow, abi: jobEscrowAbi, client: clientsOf(w) }),
    stakedAs: (w: TestWallet) =>
      getContract({ address: addresses.evaluator, abi: stakedEvaluatorAbi, client: clientsOf(w) }),
    registryAs: (w: TestWallet) =>
      getContract({ address: addresses.registry, abi: agentRegistryAbi, client: clientsOf(w) }),
    tokenAs: (w: TestWallet, token: Address = addresses.token) =>
      getContract({ address: token, abi: guildTestTokenAbi, client: clientsOf(w) }),
    escrow: getContract({ address: addresses.escrow, abi: jobEscrowAbi, client: publicClient }),
    staked: getContract({ address: addresses.evaluator, abi: stakedEvaluatorAbi, client: publicClient }),
    registry: getContract({ address: addresses.registry, abi: agentRegistryAbi, client: publicClient }),

    /** Deploys a ReceiverMock (mode Accept) and returns a handle acting through `owner`. */
    async deployReceiver(owner: TestWallet = wallet(0)) {
      const address = await deploy(receiverMockAbi, receiverMockBytecode, owner);
      return getContract({ address, abi: receiverMockAbi, client: clientsOf(owner) });
    },
    async deployReentrantToken() {
      const address = await deploy(reentrantTokenAbi, reentrantTokenBytecode);
      return getContract({ address, abi: reentrantTokenAbi, client: clientsOf(wallet(0)) });
    },
    async deployFeeOnTransferToken() {
      const address = await deploy(feeOnTransferTokenAbi, feeOnTransferTokenBytecode);
      return getContract({ address, abi: feeOnTransferTokenAbi, client: clientsOf(wallet(0)) });
    },
    async deployConfigurableToken() {
      const address = await deploy(configurableTokenAbi, configurableTokenBytecode);
      return getContract({ address, abi: configurableTokenAbi, client: clientsOf(wallet(0)) });
    },

    /** Latest block's timestamp. */
    async now(): Promise<bigint> {
      return (await publicClient.getBlock({ blockTag: "latest" })).timestamp;
    },
    /** Moves the clock forward and mines a block at the new time. */
    async increaseTime(seconds: bigint | number): Promise<void> {
      await testClient.increaseTime({ seconds: Number(seconds) });
      await testClient.mine({ blocks: 1 });
    },
    /** Mines an empty block (consuming a pending {@link setNextTimestamp}). */
    async mine(): Promise<void> {
      await testClient.mine({ blocks: 1 });
    },
    /** The next mined block (a transaction's, with automine) has exactly `timestamp`; calls that revert
     * mine nothing, so the setting stays pending for the next transaction or {@link mine}. */
    async setNextTimestamp(timestamp: bigint): Promise<void> {
      await testClient.setNextBlockTimestamp({ timestamp });
    },

    /** Balance of `account` in `token` (`address(0)`: native wei). */
    async balanceOf(token: Address, account: Address): Promise<bigint> {
      if (token === NATIVE) return publicClient.getBalance({ address: account });
      return publicClient.readContract({ address: token, abi: mintAbi, functionName: "balanceOf", args: [account] });
    },
    /** Mints `amount` of a mintable test token to `wallet` and lets the escrow and the evaluator pull it. */
    async mintAndApprove(token: Address, w: TestWallet, amount: bigint): Promise<void> {
      await tx(
        wallet(0).writeContract({
          address: token,
          abi: mintAbi,
          functionName: "mint",
          args: [w.account.address, amount],
        }),
      );
      for (const spender of [addresses.escrow, addresses.evaluator]) {
        await tx(
          w.writeContract({ address: token, abi: mintAbi, functionName: "approve", args: [spender, maxUint256] }),
        );
      }
    },
  };
  return f;
}

/** Native cost of a mined transaction, for exact native balance checks. */
export function gasCost(receipt: TransactionReceipt): bigint {
  return receipt.gasUsed * receipt.effectiveGasPrice;
}

/**
 * Takes an EVM snapshot before each test and reverts to it after, so tests share one deployment but not
 * each other's state.
 */
export function useChainSnapshot(fixture: () => GuildFixture): void {
  let id: Hex | undefined;
  beforeEach(async () => {
    id = await fixture().testClient.snapshot();
  });
  afterEach(async () => {
    if (id !== undefined) await fixture().testClient.revert({ id });
    id = undefined;
  });
}
