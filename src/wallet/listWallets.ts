import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { guildPaths } from "../config/loadConfig.js";
import { readKeystoreFile } from "./readKeystoreFile.js";
import type { WalletSummary } from "./storeWalletKey.js";
import { WALLET_NAME } from "./walletFile.js";

export type ListWalletsParameters = {
  home: string;
};

export type ListWalletsReturnType = WalletSummary[];

/**
 * Lists the wallets under `<home>/wallets`, sorted by name, with their addresses read from the keystores'
 * `address` field: no password, no decryption. Files that are not `<valid-name>.json` are ignored; a damaged
 * keystore throws `KeystoreCorruptedError` naming it. No wallets folder yet means no wallets.
 *
 * @example
 * for (const { name, address } of await listWallets({ home: config.home })) console.log(name, address);
 */
export async function listWallets({ home }: ListWalletsParameters): Promise<ListWalletsReturnType> {
  const folder = guildPaths(home).wallets;
  let entries: string[];
  try {
    entries = await readdir(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const names = entries
    .filter((entry) => entry.endsWith(".json"))
    .map((entry) => entry.slice(0, -".json".length))
    .filter((name) => WALLET_NAME.test(name))
    .sort();
  const wallets: WalletSummary[] = [];
  for (const name of names) {
    const file = join(folder, `${name}.json`);
    const { address } = await readKeystoreFile(file, name);
    wallets.push({ name, address, file });
  }
  return wallets;
}
