import { readFile } from "node:fs/promises";
import { getAddress, type Address } from "viem";
import { KeystoreCorruptedError, WalletNotFoundError } from "../errors/wallet.js";

/**
 * A Web3 Secret Storage v3 keystore as Guild writes it: the key encrypted with AES-128-CTR under a
 * scrypt-derived key, plus the (public) address so wallets can be listed without a password.
 */
export type KeystoreV3 = {
  version: 3;
  id: string;
  /** 40 hex digits, no 0x prefix, lowercase (as geth and @ethereumjs/wallet write it). */
  address: string;
  crypto: {
    cipher: string;
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: Record<string, string | number>;
    mac: string;
  };
};

export type ParsedKeystore = {
  keystore: KeystoreV3;
  /** The checksummed address the keystore declares. */
  address: Address;
};

const hex = (length?: number) => (length === undefined ? /^[0-9a-fA-F]+$/ : new RegExp(`^[0-9a-fA-F]{${length}}$`));

/**
 * Checks that `text` is a v3 keystore, without decrypting it. Throws {@link KeystoreCorruptedError} naming
 * `file` and the first problem found.
 *
 * @example
 * const { address } = parseKeystore(await readFile(file, "utf8"), file);
 */
export function parseKeystore(text: string, file: string): ParsedKeystore {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeystoreCorruptedError(file, "it is not valid JSON");
  }
  const fail = (problem: string): never => {
    throw new KeystoreCorruptedError(file, problem);
  };
  if (typeof json !== "object" || json === null) return fail("it is not a JSON object");
  const doc = json as Record<string, unknown>;
  if (doc.version !== 3) fail("it is not a version 3 keystore");
  if (typeof doc.address !== "string" || !/^(0x)?[0-9a-fA-F]{40}$/.test(doc.address)) {
    fail("its address field is missing or malformed");
  }
  const crypto = (doc.crypto ?? doc.Crypto) as Record<string, unknown> | undefined;
  if (typeof crypto !== "object" || crypto === null) return fail("its crypto section is missing");
  const params = crypto.kdfparams as Record<string, unknown> | undefined;
  const iv = (crypto.cipherparams as Record<string, unknown> | undefined)?.iv;
  if (crypto.cipher !== "aes-128-ctr") fail("its cipher is not aes-128-ctr");
  if (typeof iv !== "string" || !hex(32).test(iv)) fail("its cipher IV is missing or malformed");
  if (typeof crypto.ciphertext !== "string" || !hex(64).test(crypto.ciphertext)) {
    fail("its ciphertext is missing or malformed");
  }
  if (typeof crypto.mac !== "string" || !hex(64).test(crypto.mac)) fail("its MAC is missing or malformed");
  if (typeof params !== "object" || params === null) return fail("its kdfparams are missing");
  if (typeof params.salt !== "string" || !hex().test(params.salt)) fail("its KDF salt is missing or malformed");
  if (crypto.kdf === "scrypt") {
    const { n, r, p, dklen } = params;
    // Bounds keep a tampered file from asking for gigabytes of memory.
    const ok =
      typeof n === "number" &&
      Number.isInteger(n) &&
      n >= 2 &&
      n <= 2 ** 20 &&
      (n & (n - 1)) === 0 &&
      typeof r === "number" &&
      r >= 1 &&
      r <= 32 &&
      typeof p === "number" &&
      p >= 1 &&
      p <= 16 &&
      dklen === 32;
    if (!ok) fail("its scrypt parameters are out of range");
  } else if (crypto.kdf === "pbkdf2") {
    if (params.prf !== "hmac-sha256" || typeof params.c !== "number" || params.dklen !== 32) {
      fail("its pbkdf2 parameters are unsupported");
    }
  } else {
    fail("its key derivation function is neither scrypt nor pbkdf2");
  }
  const keystore = { ...(doc as unknown as KeystoreV3), crypto: crypto as KeystoreV3["crypto"] };
  const address = getAddress(`0x${(doc.address as string).replace(/^0x/, "")}`);
  return { keystore, address };
}

/**
 * Reads and checks the keystore at `file` without decrypting it. Throws {@link WalletNotFoundError} when
 * there is no file (`walletName` names it in the message) and {@link KeystoreCorruptedError} when it is damaged.
 *
 * @example
 * const { address } = await readKeystoreFile("/home/me/.guild/wallets/alice.json", "alice");
 */
export async function readKeystoreFile(file: string, walletName: string): Promise<ParsedKeystore> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new WalletNotFoundError(walletName, file);
    throw new KeystoreCorruptedError(file, "it cannot be read", { cause: error });
  }
  return parseKeystore(text, file);
}
