import type { Address } from "viem";
import { readKeystoreFile } from "./readKeystoreFile.js";
import { walletFile } from "./walletFile.js";

export type GetWalletAddressParameters = {
  home: string;
  name: string;
};

export type GetWalletAddressReturnType = Address;

/**
 * The checksummed address of wallet `name`, read from its keystore without a password. Throws
 * `WalletNotFoundError` or `KeystoreCorruptedError` naming the file.
 *
 * @example
 * const address = await getWalletAddress({ home: config.home, name: "alice" });
 */
export async function getWalletAddress({
  home,
  name,
}: GetWalletAddressParameters): Promise<GetWalletAddressReturnType> {
  const file = walletFile(home, name);
  const { address } = await readKeystoreFile(file, name);
  return address;
}
