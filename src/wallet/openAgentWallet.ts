import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { Address, LocalAccount } from "viem";
import type { GuildConfig } from "../config/loadConfig.js";
import { WalletNotFoundError } from "../errors/wallet.js";
import type { Logger } from "../log/createLogger.js";
import { registerSecret } from "../log/secrets.js";
import { isDevChain } from "./devAccounts.js";
import { fundFromDevAccount, type FundFromDevAccountReturnType } from "./fundFromDevAccount.js";
import { loadAccount } from "./loadAccount.js";
import type { PromptPassword } from "./promptPassword.js";
import { importWallet } from "./importWallet.js";
import { newWalletPassword } from "./newWalletPassword.js";
import { walletFile } from "./walletFile.js";

export type OpenAgentWalletParameters = {
  config: GuildConfig;
  logger: Logger;
  name: string;
  chain: { chainId: number; url: string | undefined; testToken?: Address | undefined };
  promptPassword?: PromptPassword;
  /** On a dev chain, top the wallet up to these balances (base units); nothing is sent when it has them. */
  funding: { native: bigint; testToken?: bigint };
};

export type OpenAgentWalletReturnType = {
  account: LocalAccount;
  /** The file of a wallet created by this call. */
  created: string | undefined;
  funded: FundFromDevAccountReturnType | undefined;
};

/**
 * An agent's account, ready to act: its keystore (or GUILD_PRIVATE_KEY, see loadAccount). On a local dev
 * chain only, an agent without a wallet gets a fresh key of its own (never a public dev key), encrypted
 * with GUILD_KEYSTORE_PASSWORD or a password typed twice, and the wallet is topped up from a dev account.
 * Anywhere else a missing wallet is an error that says how to create one, and funding is the user's.
 *
 * @example
 * const { account } = await openAgentWallet({ config, logger, name: "bob", chain, funding: { native: parseEther("10") } });
 */
export async function openAgentWallet({
  config,
  logger,
  name,
  chain,
  promptPassword,
  funding,
}: OpenAgentWalletParameters): Promise<OpenAgentWalletReturnType> {
  const dev = isDevChain(chain.chainId);
  let account: LocalAccount;
  let created: string | undefined;
  try {
    account = (await loadAccount({ config, name, logger, ...(promptPassword ? { promptPassword } : {}) })).account;
  } catch (error) {
    if (!(error instanceof WalletNotFoundError) || !dev) throw error;
    if (config.keystorePassword === undefined && !promptPassword) {
      throw new WalletNotFoundError(name, walletFile(config.home, name), {
        metaMessages: [
          `Create it with \`guild wallet new ${name}\`, or set GUILD_KEYSTORE_PASSWORD to let Guild create and fund it on this local dev chain.`,
        ],
      });
    }
    const key = generatePrivateKey();
    registerSecret(key);
    const wallet = await importWallet({
      home: config.home,
      name,
      privateKey: key,
      password: await newWalletPassword({ config, name, promptPassword }),
      logger,
      scryptN: config.keystoreScryptN,
    });
    created = wallet.file;
    account = privateKeyToAccount(key);
    logger.info({ name, address: account.address }, "created a new wallet");
  }
  let funded: FundFromDevAccountReturnType | undefined;
  if (dev && chain.url) {
    funded = await fundFromDevAccount({
      rpcUrl: chain.url,
      address: account.address,
      nativeTarget: funding.native,
      ...(chain.testToken && funding.testToken
        ? { token: { address: chain.testToken, target: funding.testToken } }
        : {}),
      logger,
    });
    if (funded.transactions.length > 0) {
      logger.info({ address: account.address, transactions: funded.transactions }, "funded from a dev account");
    }
  }
  return { account, created, funded };
}

/**
 * What an agent's wallet is topped up to on a dev chain when a command opens it (`guild ask`, `guild mcp`): 1 ETH,
 * and 100 of the test token when the deployment has one.
 *
 * @example
 * openAgentWallet({ ..., funding: commandFunding(token) }); // { native: 10n ** 18n, testToken: 100_000_000n } for 6 decimals
 */
export function commandFunding(token: { decimals: number } | undefined): { native: bigint; testToken?: bigint } {
  return { native: 10n ** 18n, ...(token ? { testToken: 100n * 10n ** BigInt(token.decimals) } : {}) };
}
