import { silentLogger, type Logger } from "../log/createLogger.js";
import { parsePrivateKey } from "./parsePrivateKey.js";
import { storeWalletKey, type WalletSummary } from "./storeWalletKey.js";

export type ImportWalletParameters = {
  home: string;
  name: string;
  /** 64 hex digits, optionally 0x-prefixed. Registered as a secret; never echoed in errors. */
  privateKey: string;
  /** At least 8 characters. Registered as a secret. */
  password: string;
  /** scrypt cost; default 2^18. Lower only in tests. */
  scryptN?: number;
  logger?: Logger;
};

export type ImportWalletReturnType = WalletSummary;

/**
 * Stores an existing private key encrypted at `<home>/wallets/<name>.json` (mode 0600). Throws
 * `InvalidPrivateKeyError` (field `privateKey`, without the key) for anything but a valid 32-byte hex key,
 * and `WalletExistsError` rather than overwrite.
 *
 * @example
 * const { address } = await importWallet({ home: config.home, name: "bob", privateKey, password });
 */
export async function importWallet({
  home,
  name,
  privateKey,
  password,
  scryptN,
  logger = silentLogger(),
}: ImportWalletParameters): Promise<ImportWalletReturnType> {
  const key = parsePrivateKey(privateKey);
  return storeWalletKey({
    home,
    name,
    privateKey: key,
    password,
    scryptN,
    logger: logger.child({ module: "wallet/importWallet" }),
    event: "wallet imported",
  });
}
