import { Wallet } from "@ethereumjs/wallet";
import { silentLogger, type Logger } from "../log/createLogger.js";
import { registerSecret } from "../log/secrets.js";
import { storeWalletKey, type WalletSummary } from "./storeWalletKey.js";
import { validateWalletName } from "./walletFile.js";

export type CreateWalletParameters = {
  /** Guild home folder (config.home); the keystore goes to `<home>/wallets/<name>.json`. */
  home: string;
  name: string;
  /** At least 8 characters. Registered as a secret. */
  password: string;
  /** scrypt cost; default 2^18. Lower only in tests. */
  scryptN?: number;
  logger?: Logger;
};

export type CreateWalletReturnType = WalletSummary;

/**
 * Generates a new private key and stores it encrypted at `<home>/wallets/<name>.json` (mode 0600). Validates
 * the name and the password, and refuses to overwrite an existing wallet (`WalletExistsError`).
 *
 * @example
 * const { address, file } = await createWallet({ home: config.home, name: "alice", password });
 */
export async function createWallet({
  home,
  name,
  password,
  scryptN,
  logger = silentLogger(),
}: CreateWalletParameters): Promise<CreateWalletReturnType> {
  validateWalletName(name);
  const privateKey = Wallet.generate().getPrivateKeyString();
  registerSecret(privateKey);
  return storeWalletKey({
    home,
    name,
    privateKey,
    password,
    scryptN,
    logger: logger.child({ module: "wallet/createWallet" }),
    event: "wallet created",
  });
}
