import { join } from "node:path";
import { guildPaths } from "../config/loadConfig.js";
import { InvalidWalletNameError } from "../errors/wallet.js";

/** Wallet names: lowercase letters, digits, `-` and `_`, up to 32, not starting with `-` or `_` (CLI flags). */
export const WALLET_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * Throws {@link InvalidWalletNameError} (field `name`) unless `name` is a valid wallet name.
 *
 * @example
 * validateWalletName("alice"); // ok
 * validateWalletName("../etc"); // throws InvalidWalletNameError
 */
export function validateWalletName(name: string): void {
  if (!WALLET_NAME.test(name)) throw new InvalidWalletNameError(name);
}

/**
 * Path of the keystore of wallet `name`: `<home>/wallets/<name>.json`. Validates the name first, so no name
 * can point outside the wallets folder.
 *
 * @example
 * walletFile("/home/me/.guild", "alice"); // "/home/me/.guild/wallets/alice.json"
 */
export function walletFile(home: string, name: string): string {
  validateWalletName(name);
  return join(guildPaths(home).wallets, `${name}.json`);
}
