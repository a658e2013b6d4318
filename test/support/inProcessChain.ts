/*
 * The harness for the in-process Hardhat network (EDR, no port): the fastest chain, for the contracts' own tests.
 * Same shape as a node process (./nodes.ts, ./testChain.ts), with Guild deployed.
 */
import hre from "hardhat";
import type { EIP1193Provider, PublicClient } from "viem";
import { createConnection } from "../../src/chain/createConnection.js";
import {
  type DeployGuildOnParameters,
  type GuildChain,
  type TestChain,
  type TestWallet,
  withGuild,
} from "./testChain.js";

export type { TestWallet } from "./testChain.js";

/**
 * A fresh in-process Hardhat network with Guild's contracts and the test token deployed (dev-chain check limits;
 * `params` override them) and Hardhat's 20 funded dev accounts as wallet clients ([0] deployed).
 *
 * @example
 * const chain = await startInProcessChain({ defaultBondBps: 500n });
 * const escrow = chain.guild.addresses.escrow;
 * await chain.stop();
 */
export async function startInProcessChain(params: DeployGuildOnParameters = {}): Promise<GuildChain> {
  const network = await hre.network.create();
  let chain: TestChain;
  try {
    const publicClient = (await network.viem.getPublicClient()) as unknown as PublicClient;
    const connection = await createConnection({ provider: network.provider as unknown as EIP1193Provider });
    chain = {
      kind: "in-process",
      url: undefined,
      chainId: connection.chainId,
      connection,
      publicClient,
      testClient: (await network.viem.getTestClient()) as unknown as TestChain["testClient"],
      wallets: (await network.viem.getWalletClients()) as unknown as TestWallet[],
      stop: () => network.close(),
    };
  } catch (error) {
    await network.close();
    throw error;
  }
  return withGuild(chain, params);
}
