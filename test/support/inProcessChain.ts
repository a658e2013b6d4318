import hre from "hardhat";
import type { Account, Address, Chain, PublicClient, TestClient, Transport, WalletClient } from "viem";
import {
  DEV_CHECK_LIMITS,
  deployContracts,
  type DeployContractsParameters,
  type GuildAddresses,
} from "../../src/chain/deployContracts.js";

export type TestWallet = WalletClient<Transport, Chain, Account>;

export type InProcessChain = {
  publicClient: PublicClient;
  testClient: TestClient;
  /** Hardhat's 20 funded dev accounts as wallet clients; [0] deployed the contracts. */
  wallets: TestWallet[];
  addresses: GuildAddresses & { testToken: Address };
  /** EIP-1193 provider of the in-process network, for viem's `custom()` transport. */
  provider: Awaited<ReturnType<typeof hre.network.create>>["provider"];
  close: () => Promise<void>;
};

/**
 * A fresh in-process Hardhat network (EDR, no port) with Guild's contracts and the test token deployed.
 */
export async function createInProcessChain(params: DeployContractsParameters = {}): Promise<InProcessChain> {
  const connection = await hre.network.create();
  const publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
  const testClient = (await connection.viem.getTestClient()) as unknown as TestClient;
  const wallets = (await connection.viem.getWalletClients()) as unknown as TestWallet[];
  const deployer = wallets[0];
  if (!deployer) throw new Error("The in-process network has no accounts.");
  const deployed = await deployContracts(deployer, publicClient, {
    withTestToken: true,
    checkLimits: DEV_CHECK_LIMITS,
    ...params,
  });
  return {
    publicClient,
    testClient,
    wallets,
    addresses: {
      escrow: deployed.escrow,
      evaluator: deployed.evaluator,
      registry: deployed.registry,
      testToken: deployed.testToken as Address,
    },
    provider: connection.provider,
    close: () => connection.close(),
  };
}
