import type { Hex } from "viem";
import { InvalidPrivateKeyError } from "../errors/wallet.js";
import { registerSecret } from "../log/secrets.js";

/** Order of the secp256k1 group: a private key is an integer in [1, n - 1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/**
 * Parses a private key typed or pasted by a person: 64 hex digits, optionally 0x-prefixed, surrounding
 * whitespace ignored. Registers it as a secret before checking it, so not even a validation failure can leak
 * it, and throws {@link InvalidPrivateKeyError} (field `privateKey`) whose message never contains the input.
 *
 * @example
 * const key = parsePrivateKey(" ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80\n");
 * // "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
 */
export function parsePrivateKey(input: string): Hex {
  const trimmed = input.trim();
  registerSecret(input);
  registerSecret(trimmed);
  const digits = trimmed.replace(/^0x/i, "");
  registerSecret(digits);
  registerSecret(`0x${digits}`);
  if (!/^[0-9a-fA-F]*$/.test(digits))
    throw new InvalidPrivateKeyError("it contains characters that are not hex digits");
  if (digits.length !== 64) {
    throw new InvalidPrivateKeyError(`it has ${digits.length} hex digits instead of 64`);
  }
  const key = `0x${digits.toLowerCase()}` as Hex;
  registerSecret(key);
  const scalar = BigInt(key);
  if (scalar === 0n || scalar >= SECP256K1_N) {
    throw new InvalidPrivateKeyError("it is zero or not below the secp256k1 group order, so no account has it");
  }
  return key;
}
