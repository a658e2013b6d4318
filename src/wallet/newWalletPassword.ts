import type { GuildConfig } from "../config/loadConfig.js";
import { PasswordMismatchError, PasswordRequiredError } from "../errors/wallet.js";
import { registerSecret } from "../log/secrets.js";
import type { PromptPassword } from "./promptPassword.js";

/**
 * The password for a new keystore: GUILD_KEYSTORE_PASSWORD, or one typed twice at the prompt. Both are
 * registered as secrets the moment they are read.
 *
 * @example
 * const password = await newWalletPassword({ config, name: "alice", promptPassword });
 */
export async function newWalletPassword({
  config,
  name,
  promptPassword,
}: {
  config: Pick<GuildConfig, "keystorePassword">;
  name: string;
  promptPassword?: PromptPassword | undefined;
}): Promise<string> {
  if (config.keystorePassword !== undefined) {
    registerSecret(config.keystorePassword);
    return config.keystorePassword;
  }
  if (!promptPassword) throw new PasswordRequiredError(`encrypt wallet "${name}"`);
  const first = await promptPassword(`New password for wallet "${name}": `);
  registerSecret(first);
  const second = await promptPassword("Repeat the password: ");
  registerSecret(second);
  if (first !== second) throw new PasswordMismatchError();
  return first;
}
