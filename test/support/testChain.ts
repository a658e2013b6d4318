/*
 * The shape every test chain has, whichever harness started it: the in-process Hardhat network
 * (./inProcessChain.ts) or a real node process, Hardhat or Anvil (./nodes.ts). Tests written against this
 * shape run on either.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Account, Address, Chain, PublicClient, TestClient, Transport, WalletClient } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainConnection } from "../../src/chain/createConnection.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import {
  DEV_CHECK_LIMITS,
  deployContracts,
  type DeployContractsParameters,
  type GuildAddresses,
} from "../../src/chain/deployContracts.js";
import { writeDeployment } from "../../src/chain/deployments.js";
import type { GuildClient, GuildReader } from "../../src/chain/GuildClient.js";
import { guildPaths, loadConfig, type GuildConfig } from "../../src/config/loadConfig.js";
import { silentLogger, type Logger } from "../../src/log/createLogger.js";

export type TestWallet = WalletClient<Transport, Chain, Account>;

/** The two EVM node processes tests run against. */
export type NodeKind = "hardhat" | "anvil";
export type ChainKind = "in-process" | NodeKind;

/** A running test chain with its funded dev accounts. */
export type TestChain = {
  kind: ChainKind;
  /** The node's RPC URL; undefined for the in-process network (no port). */
  url: string | undefined;
  chainId: number;
  /** Guild's own connection to the chain, made the way commands make it (`createConnection`). */
  connection: ChainConnection;
  publicClient: PublicClient;
  testClient: TestClient;
  /** The chain's funded dev accounts as wallet clients; [0] deploys Guild. */
  wallets: TestWallet[];
  /** Stops the chain (and removes Guild's temp home, when one was deployed). */
  stop: () => Promise<void>;
};

/** Guild deployed on a test chain, with a temp GUILD_HOME that records the deployment. */
export type GuildOnChain = {
  home: string;
  /** Configuration as a command would load it for `home` (and the node's URL). */
  config: GuildConfig;
  reader: GuildReader;
  addresses: GuildAddresses & { testToken: Address };
  /** A Guild client acting as `key` (its own transaction sender). */
  clientFor: (key: `0x${string}`, options?: { timeoutMs?: number }) => GuildClient;
};

/** A test chain with Guild deployed on it. */
export type GuildChain<C extends TestChain = TestChain> = C & { guild: GuildOnChain };

export type DeployGuildOnParameters = DeployContractsParameters & { logger?: Logger };

/**
 * Deploys Guild's contracts and the test token from `chain.wallets[0]` with dev-chain check limits (any
 * `params` override them), records the deployment in a fresh temp GUILD_HOME, and hands out agent clients.
 *
 * @example
 * const guild = await deployGuildOn(chain);
 * const alice = guild.clientFor(DEV_KEYS[1]);
 */
export async function deployGuildOn(
  chain: Pick<TestChain, "url" | "connection" | "publicClient" | "wallets">,
  { logger = silentLogger(), ...params }: DeployGuildOnParameters = {},
): Promise<GuildOnChain> {
  const deployer = chain.wallets[0];
  if (!deployer) throw new Error("The test chain has no accounts.");
  const deployed = await deployContracts(deployer, chain.publicClient, {
    withTestToken: true,
    checkLimits: DEV_CHECK_LIMITS,
    ...params,
  });
  if (!deployed.testToken) throw new Error("The test token was not deployed.");
  const home = mkdtempSync(join(tmpdir(), "guild-test-"));
  const config = loadConfig({ GUILD_HOME: home, ...(chain.url ? { GUILD_RPC_URL: chain.url } : {}) });
  const addresses = {
    escrow: deployed.escrow,
    evaluator: deployed.evaluator,
    registry: deployed.registry,
    testToken: deployed.testToken,
  };
  const { chainId } = chain.connection;
  const { fromBlock } = deployed;
  writeDeployment(guildPaths(home).deployments, {
    chainId,
    ...addresses,
    fromBlock,
    deployedAt: new Date().toISOString(),
  });
  const reader: GuildReader = { connection: chain.connection, addresses, fromBlock, logger };
  return {
    home,
    config,
    reader,
    addresses,
    clientFor: (key, options = {}) =>
      createGuildClient(reader, {
        account: privateKeyToAccount(key),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
  };
}

/** Deploys Guild on `chain` (see {@link deployGuildOn}); stopping the chain also removes Guild's temp home. */
export async function withGuild<C extends TestChain>(
  chain: C,
  params: DeployGuildOnParameters = {},
): Promise<GuildChain<C>> {
  let guild: GuildOnChain;
  try {
    guild = await deployGuildOn(chain, params);
  } catch (error) {
    await chain.stop();
    throw error;
  }
  const { home } = guild;
  return {
    ...chain,
    guild,
    stop: async () => {
      await chain.stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
