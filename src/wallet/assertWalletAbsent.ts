import { access } from "node:fs/promises";
import { WalletExistsError } from "../errors/wallet.js";
import { walletFile } from "./walletFile.js";

/**
 * Throws `WalletExistsError` when wallet `name` already has a keystore; returns its would-be path otherwise.
 * An early check (before prompts and seconds of scrypt); `writeKeystoreFile` checks again atomically.
 *
 * @example
 * const file = await assertWalletAbsent(config.home, "alice");
 */
export async function assertWalletAbsent(home: string, name: string): Promise<string> {
  const file = walletFile(home, name);
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  if (exists) throw new WalletExistsError(name, file);
  return file;
}
