import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import type { GuildConfig } from "../config/loadConfig.js";
import { PasswordRequiredError, WalletNotFoundError } from "../errors/wallet.js";
import { silentLogger, type Logger } from "../log/createLogger.js";
import { registerSecret } from "../log/secrets.js";
import { decryptKeystore } from "./decryptKeystore.js";
import type { PromptPassword } from "./promptPassword.js";
import { readKeystoreFile, type ParsedKeystore } from "./readKeystoreFile.js";
import { walletFile } from "./walletFile.js";

export type LoadAccountParameters = {
  config: Pick<GuildConfig, "home" | "keystorePassword" | "privateKey">;
  /** Wallet (agent) name. */
  name: string;
  logger?: Logger;
  /** Asks a person for the keystore password when GUILD_KEYSTORE_PASSWORD is unset (the CLI passes a terminal prompt). */
  promptPassword?: PromptPassword;
};

export type LoadAccountReturnType = {
  /** Signs locally; the key lives only in this process's memory. */
  account: PrivateKeyAccount;
  /** Where the key came from: the wallet's keystore, or the throwaway GUILD_PRIVATE_KEY. */
  source: "keystore" | "GUILD_PRIVATE_KEY";
};

/**
 * Unlocks the account of wallet `name` as a viem local account. The keystore `<home>/wallets/<name>.json`
 * comes first, opened with GUILD_KEYSTORE_PASSWORD or else `promptPassword`. Only when the wallet has no
 * keystore is GUILD_PRIVATE_KEY used (with a warning: it is for throwaway local use), so several agents never
 * end up sharing one key by accident. Every key and password is registered as a secret the moment it is read.
 *
 * Throws `WalletNotFoundError`, `PasswordRequiredError`, `WrongPasswordError` or `KeystoreCorruptedError`.
 *
 * @example
 * const { account } = await loadAccount({ config, name: "alice", logger, promptPassword });
 * const hash = await walletClient.sendTransaction({ account, to, value });
 */
export async function loadAccount({
  config,
  name,
  logger = silentLogger(),
  promptPassword,
}: LoadAccountParameters): Promise<LoadAccountReturnType> {
  const log = logger.child({ module: "wallet/loadAccount" });
  registerSecret(config.privateKey);
  registerSecret(config.keystorePassword);
  const file = walletFile(config.home, name);

  let parsed: ParsedKeystore;
  try {
    parsed = await readKeystoreFile(file, name);
  } catch (error) {
    if (!(error instanceof WalletNotFoundError)) throw error;
    if (config.privateKey === undefined) {
      throw new WalletNotFoundError(name, file, {
        metaMessages: [
          `Create it with \`guild wallet new ${name}\` or \`guild wallet import ${name}\`,`,
          "or, for throwaway local use only, set GUILD_PRIVATE_KEY.",
        ],
      });
    }
    const account = privateKeyToAccount(config.privateKey);
    log.warn(
      { wallet: name, address: account.address },
      "no keystore for this wallet: using GUILD_PRIVATE_KEY, a plain key meant for throwaway local use only; create a keystore with `guild wallet import` for anything of value",
    );
    return { account, source: "GUILD_PRIVATE_KEY" };
  }

  let password = config.keystorePassword;
  if (password === undefined) {
    if (!promptPassword) throw new PasswordRequiredError(`unlock wallet "${name}"`);
    password = await promptPassword(`Password for wallet "${name}": `);
    registerSecret(password);
  }
  const { privateKey } = await decryptKeystore({ keystore: parsed.keystore, password, file });
  const account = privateKeyToAccount(privateKey);
  log.debug({ wallet: name, address: account.address }, "wallet unlocked");
  return { account, source: "keystore" };
}
