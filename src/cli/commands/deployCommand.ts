import { deployGuild } from "../../chain/connectGuild.js";
import { createConnection } from "../../chain/createConnection.js";
import { GuildError } from "../../errors/GuildError.js";
import { isDevChain } from "../../wallet/devAccounts.js";
import { loadAccount } from "../../wallet/loadAccount.js";
import { promptPassword } from "../../wallet/promptPassword.js";
import type { LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";

/**
 * `guild deploy [--from <wallet>]`: deploys Guild's contracts to the configured chain (GUILD_RPC_URL, or the
 * local chain) and records their addresses in <GUILD_HOME>/deployments/<chainId>.json. On a dev chain the
 * first dev account pays; elsewhere the named wallet (or GUILD_PRIVATE_KEY) does.
 */
export async function deployCommand(ctx: CliContext, { from }: { from?: string }): Promise<number> {
  const { config } = ctx;
  const url = config.rpcUrl ?? `http://${config.chainHost}:${config.chainPort}`;
  const connection = await createConnection({ url });
  let deployer: LocalAccount | undefined;
  if (from) {
    ({ account: deployer } = await loadAccount({
      config,
      name: from,
      logger: ctx.logger,
      ...(process.stdin.isTTY ? { promptPassword } : {}),
    }));
  } else if (config.privateKey) {
    deployer = privateKeyToAccount(config.privateKey);
  } else if (!isDevChain(connection.chainId)) {
    throw new GuildError(`Chain ${connection.chainId} is not a local dev chain: say who pays for the deployment.`, {
      metaMessages: [
        "Pass --from <wallet> (a funded wallet from `guild wallet new|import`), or set GUILD_PRIVATE_KEY.",
      ],
    });
  }
  ctx.progress(`deploying Guild's contracts to chain ${connection.chainId} at ${url}`);
  const record = await deployGuild(connection, config, ctx.logger, ...(deployer ? [deployer] : []));
  ctx.print(
    [
      `Deployed on chain ${record.chainId} from block ${record.fromBlock}:`,
      `  JobEscrow        ${record.escrow}`,
      `  StakedEvaluator  ${record.evaluator}`,
      `  AgentRegistry    ${record.registry}`,
      ...(record.testToken ? [`  Test token gUSD  ${record.testToken}`] : []),
    ].join("\n"),
    record,
  );
  return EXIT.ok;
}
