import type { LocalAccount } from "viem";
import { connectGuild, type GuildConnection } from "../chain/connectGuild.js";
import { createGuildClient } from "../chain/createGuildClient.js";
import type { GuildClient } from "../chain/GuildClient.js";
import { loadAccount } from "../wallet/loadAccount.js";
import { promptPassword } from "../wallet/promptPassword.js";
import type { CliContext } from "./cliContext.js";

/**
 * Connects a command to Guild. Commands that only read never start a chain; they say how to start one.
 * Commands that act may start the embedded chain when none runs (it then stops when the command ends).
 */
export async function openGuild(
  ctx: CliContext,
  { startChain = false }: { startChain?: boolean } = {},
): Promise<GuildConnection> {
  return connectGuild({ config: ctx.config, logger: ctx.logger, startEmbeddedChain: startChain });
}

/** Unlocks agent `name`'s wallet (password from GUILD_KEYSTORE_PASSWORD or a hidden prompt). */
export async function openAgentClient(
  ctx: CliContext,
  guild: GuildConnection,
  name: string,
): Promise<{ client: GuildClient; account: LocalAccount }> {
  const { account } = await loadAccount({
    config: ctx.config,
    name,
    logger: ctx.logger,
    ...(process.stdin.isTTY ? { promptPassword: (message: string) => promptPassword(message) } : {}),
  });
  return { client: createGuildClient(guild, { account, timeoutMs: ctx.config.txTimeoutMs }), account };
}
