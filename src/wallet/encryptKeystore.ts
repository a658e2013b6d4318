import { Wallet } from "@ethereumjs/wallet";
import { hexToBytes, type Hex } from "viem";
import { InvalidInputError } from "../errors/input.js";
import { registerSecret } from "../log/secrets.js";
import type { KeystoreV3 } from "./readKeystoreFile.js";

/**
 * scrypt cost of new keystores: 2^18, geth's "standard" setting. It costs about 1-2 s of CPU per encryption
 * and per decryption in pure JS (measured ~2 s / ~1.2 s on a loaded 2-core machine), which is what makes
 * guessing passwords expensive. Tests pass a lower `scryptN`.
 */
export const DEFAULT_SCRYPT_N = 2 ** 18;

/** Lowest scrypt cost accepted, for tests only: 2^10 takes a few milliseconds. */
export const MIN_SCRYPT_N = 2 ** 10;

export type EncryptKeystoreParameters = {
  /** 0x-prefixed 32-byte private key. Registered as a secret. */
  privateKey: Hex;
  /** Registered as a secret. */
  password: string;
  /** scrypt cost, a power of two from 2^10 to 2^20. Default {@link DEFAULT_SCRYPT_N}. */
  scryptN?: number;
};

export type EncryptKeystoreReturnType = KeystoreV3;

/**
 * Encrypts a private key into a Web3 Secret Storage v3 keystore (scrypt, AES-128-CTR), the format geth,
 * Foundry's `cast wallet` and MetaMask import.
 *
 * @example
 * const keystore = await encryptKeystore({ privateKey: "0x...", password: "correct horse battery" });
 * // keystore.address === "f39fd6e51aad88f6f4ce6ab8827279cfffb92266"
 */
export async function encryptKeystore({
  privateKey,
  password,
  scryptN = DEFAULT_SCRYPT_N,
}: EncryptKeystoreParameters): Promise<EncryptKeystoreReturnType> {
  registerSecret(privateKey);
  registerSecret(password);
  if (!Number.isInteger(scryptN) || scryptN < MIN_SCRYPT_N || scryptN > 2 ** 20 || (scryptN & (scryptN - 1)) !== 0) {
    throw new InvalidInputError(
      "scryptN",
      `${scryptN} is not a power of two from 2^10 to 2^20`,
      "Leave it unset for the default 2^18.",
    );
  }
  const wallet = Wallet.fromPrivateKey(hexToBytes(privateKey));
  // toV3 adds the address field the v3 spec leaves out (its types omit it); Guild relies on it to list wallets.
  return (await wallet.toV3(password, { kdf: "scrypt", n: scryptN, r: 8, p: 1, dklen: 32 })) as unknown as KeystoreV3;
}
