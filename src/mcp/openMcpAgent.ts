import { getAddress, type Address } from "viem";
import { formatAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import { connectGuild, type GuildConnection } from "../chain/connectGuild.js";
import { createGuildClient } from "../chain/createGuildClient.js";
import { parseAddress } from "../chain/parseAddress.js";
import type { GuildConfig } from "../config/loadConfig.js";
import { openSpendingGuard } from "../guard/openSpendingGuard.js";
import type { Logger } from "../log/createLogger.js";
import { BUILTIN_SKILLS } from "../skills/builtinSkills.js";
import { recordToolCallTransaction } from "../tools/toolCallTransactions.js";
import { commandFunding, openAgentWallet } from "../wallet/openAgentWallet.js";
import { validateWalletName } from "../wallet/walletFile.js";
import type { McpAgent } from "./createMcpSession.js";
import { parseSessionBudget } from "./parseSessionBudget.js";

export type OpenMcpAgentParameters = {
  config: GuildConfig;
  logger: Logger;
  /** The agent's wallet name. */
  agentName: string;
  /** `--budget`: what each session may spend in all, e.g. "0.01 ETH, 5 gUSD"; default GUILD_MAX_PER_TASK. */
  budget?: string;
  /** `--trust`: payees the operator trusts for direct payments, besides the allowlist and its wallets. */
  trust?: readonly string[];
  /** A line for people on stderr (never stdout: over stdio, stdout is the protocol). */
  say: (line: string) => void;
  /** `guild audit <agent> --json` on the opened connection (the CLI's audit command). */
  readAudit: (reader: GuildConnection, agent: string) => Promise<string>;
};

/**
 * Opens what `guild mcp --as <agent>` serves: the chain (GUILD_RPC_URL or the running local chain; it
 * never starts one, since it would die with the server), the agent's wallet (its keystore, unlocked with
 * GUILD_KEYSTORE_PASSWORD: stdin belongs to the protocol, so nothing can be typed), its chain client,
 * its spending guard and the sessions' budget. On a local dev chain a missing wallet is created and
 * topped up, as for `guild ask`.
 *
 * @example
 * const { agent, guild } = await openMcpAgent({ config, logger, agentName: "alice", say, readAudit });
 */
export async function openMcpAgent({
  config,
  logger,
  agentName,
  budget,
  trust = [],
  say,
  readAudit,
}: OpenMcpAgentParameters): Promise<{ agent: McpAgent; guild: GuildConnection }> {
  validateWalletName(agentName);
  const trusted: Address[] = trust.map((entry) => getAddress(parseAddress(entry, "trust")));
  const guild = await connectGuild({ config, logger, startEmbeddedChain: false });
  try {
    const token = guild.addresses.testToken ? await getTokenInfo(guild, guild.addresses.testToken) : undefined;
    const { account, created, funded } = await openAgentWallet({
      config,
      logger,
      name: agentName,
      chain: { chainId: guild.connection.chainId, url: guild.connection.url, testToken: token?.address },
      funding: commandFunding(token),
    });
    if (created) say(`Created wallet ${agentName} ${account.address} (${created}).`);
    if (funded && funded.transactions.length > 0) {
      say(
        `Funded ${account.address} from dev account 0 on this local dev chain: ${formatAmount(funded.nativeSent, 18, "ETH")}.`,
      );
    }
    const log = logger.child({ agent: agentName });
    const client = createGuildClient(
      { ...guild, logger: log },
      // Each transaction is credited to the MCP call that sent it (the session's transcript names it).
      { account, timeoutMs: config.txTimeoutMs, onSubmitted: (tx) => recordToolCallTransaction(tx.hash) },
    );
    const guard = await openSpendingGuard({
      config,
      reader: guild,
      agentName,
      account: account.address,
      logger: log,
    });
    return {
      guild,
      agent: {
        name: agentName,
        config,
        client,
        guard,
        budget: await parseSessionBudget(guild, budget, guard.policy),
        trusted,
        skills: BUILTIN_SKILLS,
        logger: log,
        pollIntervalMs: guild.connection.pollingIntervalMs,
        readAudit: (agent) => readAudit(guild, agent),
      },
    };
  } catch (error) {
    await guild.close();
    throw error;
  }
}
