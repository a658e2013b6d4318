import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { privateKeyToAccount } from "viem/accounts";
import { loadConfig, type GuildConfig } from "../../src/config/loadConfig.js";
import { createConnection } from "../../src/chain/createConnection.js";
import { createGuildClient } from "../../src/chain/createGuildClient.js";
import { deployGuild } from "../../src/chain/connectGuild.js";
import type { GuildClient, GuildReader } from "../../src/chain/GuildClient.js";
import { silentLogger, type Logger } from "../../src/log/createLogger.js";

export type GuildOnNode = {
  reader: GuildReader;
  config: GuildConfig;
  clientFor: (key: `0x${string}`, options?: { timeoutMs?: number }) => GuildClient;
};

/** Deploys Guild on a running node (fresh temp GUILD_HOME) and hands out agent clients. */
export async function setupGuildOnNode(url: string, logger: Logger = silentLogger()): Promise<GuildOnNode> {
  const home = mkdtempSync(join(tmpdir(), "guild-test-"));
  const config = loadConfig({ GUILD_HOME: home, GUILD_RPC_URL: url });
  const connection = await createConnection({ url });
  const record = await deployGuild(connection, config, logger);
  const { chainId: _chainId, deployedAt: _deployedAt, fromBlock, ...addresses } = record;
  const reader: GuildReader = { connection, addresses, fromBlock, logger };
  return {
    reader,
    config,
    clientFor: (key, options = {}) =>
      createGuildClient(reader, {
        account: privateKeyToAccount(key),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      }),
  };
}
