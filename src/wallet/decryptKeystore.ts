import { Wallet } from "@ethereumjs/wallet";
import { getAddress, type Hex } from "viem";
import { KeystoreCorruptedError, WrongPasswordError } from "../errors/wallet.js";
import { registerSecret } from "../log/secrets.js";
import type { KeystoreV3 } from "./readKeystoreFile.js";

export type DecryptKeystoreParameters = {
  /** A keystore checked by `parseKeystore` / `readKeystoreFile`. */
  keystore: KeystoreV3;
  /** Registered as a secret. */
  password: string;
  /** Where the keystore came from, for error messages. */
  file: string;
};

export type DecryptKeystoreReturnType = {
  /** 0x-prefixed private key, registered as a secret. Keep it in memory only. */
  privateKey: Hex;
  address: `0x${string}`;
};

/**
 * Decrypts a v3 keystore. Throws {@link WrongPasswordError} when the password does not match the keystore's
 * MAC, and {@link KeystoreCorruptedError} when the decrypted key does not belong to the declared address.
 *
 * @example
 * const { keystore } = await readKeystoreFile(file, "alice");
 * const { privateKey } = await decryptKeystore({ keystore, password, file });
 */
export async function decryptKeystore({
  keystore,
  password,
  file,
}: DecryptKeystoreParameters): Promise<DecryptKeystoreReturnType> {
  registerSecret(password);
  let wallet: Wallet;
  try {
    wallet = await Wallet.fromV3(keystore as unknown as Parameters<typeof Wallet.fromV3>[0], password);
  } catch (error) {
    // @ethereumjs/wallet signals a MAC mismatch only through this message; its errors never include the password.
    const message = error instanceof Error ? error.message : String(error);
    if (/wrong passphrase/i.test(message)) throw new WrongPasswordError(file);
    throw new KeystoreCorruptedError(file, "it cannot be decrypted", { details: message });
  }
  const privateKey = wallet.getPrivateKeyString();
  registerSecret(privateKey);
  const address = getAddress(wallet.getAddressString());
  if (address.toLowerCase() !== `0x${keystore.address.replace(/^0x/, "").toLowerCase()}`) {
    throw new KeystoreCorruptedError(file, "its address field does not match the key inside");
  }
  return { privateKey, address };
}
