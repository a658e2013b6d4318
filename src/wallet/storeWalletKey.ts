import { getAddress, type Address, type Hex } from "viem";
import type { Logger } from "../log/createLogger.js";
import { registerSecret } from "../log/secrets.js";
import { assertWalletAbsent } from "./assertWalletAbsent.js";
import { encryptKeystore } from "./encryptKeystore.js";
import { validateNewPassword } from "./validateNewPassword.js";
import { writeKeystoreFile } from "./writeKeystoreFile.js";

/** What the wallet operations report: never the key. */
export type WalletSummary = {
  name: string;
  address: Address;
  file: string;
};

export type StoreWalletKeyParameters = {
  home: string;
  name: string;
  /** A parsed 0x-prefixed key; registered as a secret. */
  privateKey: Hex;
  password: string;
  scryptN?: number | undefined;
  logger: Logger;
  /** Log message, e.g. "wallet created". */
  event: string;
};

/**
 * Validates the name and the new password, refuses an existing wallet, then encrypts `privateKey` and writes
 * `<home>/wallets/<name>.json`. The common tail of `createWallet` and `importWallet`.
 *
 * @example
 * await storeWalletKey({ home, name: "alice", privateKey, password, logger, event: "wallet created" });
 */
export async function storeWalletKey({
  home,
  name,
  privateKey,
  password,
  scryptN,
  logger,
  event,
}: StoreWalletKeyParameters): Promise<WalletSummary> {
  registerSecret(privateKey);
  validateNewPassword(password);
  const file = await assertWalletAbsent(home, name);
  const keystore = await encryptKeystore({ privateKey, password, ...(scryptN === undefined ? {} : { scryptN }) });
  await writeKeystoreFile({ file, keystore, walletName: name });
  const address = getAddress(`0x${keystore.address}`);
  logger.info({ wallet: name, address, file }, event);
  return { name, address, file };
}
