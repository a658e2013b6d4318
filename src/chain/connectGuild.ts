import { join } from "node:path";
import { createWalletClient, type Address, type LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { ContractsNotDeployedError } from "../errors/transaction.js";
import type { Logger } from "../log/createLogger.js";
import { DEV_ACCOUNT_KEYS } from "../wallet/devAccounts.js";
import { createConnection, type ChainConnection } from "./createConnection.js";
import { DEV_CHECK_LIMITS, deployContracts, PUBLIC_CHECK_LIMITS } from "./deployContracts.js";
import { missingContracts, readDeployment, writeDeployment, type DeploymentRecord } from "./deployments.js";
import { ensureEmbeddedChain, type EmbeddedChain } from "./embeddedChain.js";
import type { GuildReader } from "./GuildClient.js";
import { toGuildError } from "./tx/toGuildError.js";
import { withLocalLock } from "./withLocalLock.js";

export type ConnectGuildParameters = {
  config: GuildConfig;
  logger: Logger;
  /**
   * Without GUILD_RPC_URL: start the embedded chain when none answers (default true). When false, a
   * missing local chain is an error (daemons join the chain that `guild chain` or the demo started).
   */
  startEmbeddedChain?: boolean;
};

export type GuildConnection = GuildReader & {
  /** The embedded chain, when this call started it (stop it with `close`). */
  embedded: EmbeddedChain | undefined;
  /** Stops what this call started. */
  close: () => Promise<void>;
};

/**
 * Connects to Guild: the chain from GUILD_RPC_URL, or the embedded local chain (started or reused); then
 * the contracts from the environment, the deployments file, or, on a local dev chain, a fresh deployment
 * recorded for next time. On another chain without contracts it throws {@link ContractsNotDeployedError}.
 *
 * @example
 * const guild = await connectGuild({ config: loadConfig(), logger });
 * // ... guild.addresses.escrow ...
 * await guild.close();
 */
export async function connectGuild({
  config,
  logger,
  startEmbeddedChain = true,
}: ConnectGuildParameters): Promise<GuildConnection> {
  const log = logger.child({ module: "chain/connect" });
  let embedded: EmbeddedChain | undefined;
  let url = config.rpcUrl;
  if (!url) {
    url = `http://${config.chainHost}:${config.chainPort}`;
    if (startEmbeddedChain) {
      embedded = await ensureEmbeddedChain({
        host: config.chainHost,
        port: config.chainPort,
        logFile: join(config.home, "chain.log"),
        logger: log,
      });
    }
  }
  const connection = await createConnection({ url });
  try {
    const record = await resolveDeployment(connection, config, log);
    const { chainId, deployedAt: _deployedAt, fromBlock, ...addresses } = record;
    return {
      connection,
      addresses,
      fromBlock,
      logger,
      embedded: embedded?.started ? embedded : undefined,
      close: async () => {
        if (embedded?.started) await embedded.stop();
      },
    };
  } catch (error) {
    if (embedded?.started) await embedded.stop();
    throw error;
  }
}

async function resolveDeployment(
  connection: ChainConnection,
  config: GuildConfig,
  log: Logger,
): Promise<DeploymentRecord> {
  const dir = guildPaths(config.home).deployments;
  const { chainId } = connection;
  const configured = config.addresses;
  if (configured.escrow || configured.evaluator || configured.registry) {
    const { escrow, evaluator, registry, token } = configured;
    if (!escrow || !evaluator || !registry) {
      throw new ContractsNotDeployedError(
        chainId,
        "set all three of GUILD_ESCROW_ADDRESS, GUILD_EVALUATOR_ADDRESS and GUILD_REGISTRY_ADDRESS, or none",
      );
    }
    const missing = await missingContracts(connection, { escrow, evaluator, registry });
    if (missing.length > 0) throw new ContractsNotDeployedError(chainId, `no code at ${missing.join(", ")}`);
    const recorded = readDeployment(dir, chainId);
    return {
      chainId,
      escrow,
      evaluator,
      registry,
      ...(token ? { testToken: token } : recorded?.testToken ? { testToken: recorded.testToken } : {}),
      fromBlock: recorded?.escrow === escrow ? recorded.fromBlock : 0n,
      deployedAt: recorded?.deployedAt ?? "unknown",
    };
  }
  if (!connection.isDevChain) return recordedDeployment(connection, dir);
  // On a dev chain this may deploy: one process at a time per chain, so a second process started at the same moment
  // waits for the first one's deployment to be recorded and then uses it (deploying twice from the same dev account
  // at once fails with "nonce too low").
  return withLocalLock({ name: `deploy-${chainId}-${connection.url ?? "in-process"}`, logger: log }, async () => {
    const recorded = readDeployment(dir, chainId);
    if (recorded) {
      const missing = await missingContracts(connection, addressesOf(recorded));
      if (missing.length === 0) return recorded;
      log.info({ chainId, missing }, "recorded contracts are gone (the dev chain restarted); deploying again");
    }
    return deployGuild(connection, config, log);
  });
}

/** The deployment recorded for a chain that is not a dev chain (nothing is deployed implicitly there). */
async function recordedDeployment(connection: ChainConnection, dir: string): Promise<DeploymentRecord> {
  const { chainId } = connection;
  const recorded = readDeployment(dir, chainId);
  if (!recorded) throw new ContractsNotDeployedError(chainId, `no deployment is recorded in ${dir}`);
  const missing = await missingContracts(connection, addressesOf(recorded));
  if (missing.length > 0) {
    throw new ContractsNotDeployedError(chainId, `the recorded addresses hold no code: ${missing.join(", ")}`);
  }
  return recorded;
}

function addressesOf({ escrow, evaluator, registry, testToken }: DeploymentRecord) {
  return { escrow, evaluator, registry, ...(testToken ? { testToken } : {}) };
}

/**
 * Deploys Guild's contracts with `account` (default: the first dev account, for dev chains), records them
 * in the deployments file and returns the record. Backs `guild deploy`.
 */
export async function deployGuild(
  connection: ChainConnection,
  config: GuildConfig,
  log: Logger,
  account: LocalAccount = privateKeyToAccount(DEV_ACCOUNT_KEYS[0]),
): Promise<DeploymentRecord> {
  const wallet = createWalletClient({ account, chain: connection.chain, transport: connection.transport });
  log.info({ chainId: connection.chainId, deployer: account.address }, "deploying Guild's contracts");
  const deployed = await deployContracts(wallet, connection.publicClient, {
    withTestToken: connection.isDevChain,
    checkLimits: connection.isDevChain ? DEV_CHECK_LIMITS : PUBLIC_CHECK_LIMITS,
  }).catch((error: unknown) => {
    // viem's own message carries the whole bytecode of the contract being deployed: keep the short cause only.
    throw toGuildError(error, {
      contract: "Guild",
      functionName: "deploy",
      account: account.address,
      label: "Deploying Guild's contracts",
    });
  });
  const record: DeploymentRecord = {
    chainId: connection.chainId,
    escrow: deployed.escrow,
    evaluator: deployed.evaluator,
    registry: deployed.registry,
    ...(deployed.testToken ? { testToken: deployed.testToken as Address } : {}),
    fromBlock: deployed.fromBlock,
    deployedAt: new Date().toISOString(),
  };
  writeDeployment(guildPaths(config.home).deployments, record);
  log.info(
    { chainId: record.chainId, escrow: record.escrow, evaluator: record.evaluator, registry: record.registry },
    "contracts deployed",
  );
  return record;
}
