import { getAddress, isAddress, type Address } from "viem";
import { InvalidAddressError } from "../errors/input.js";

/**
 * Validates and checksums an address given by a person or a model. All-lowercase and all-uppercase hex
 * are accepted; mixed case must match the EIP-55 checksum (a typo in one character is then caught).
 *
 * @example
 * parseAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8", "provider");
 */
export function parseAddress(value: unknown, field = "address"): Address {
  if (typeof value !== "string") throw new InvalidAddressError(field, String(value), "is not a string");
  const text = value.trim();
  if (!/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new InvalidAddressError(field, text, "is not 0x followed by 40 hex digits");
  }
  if (!isAddress(text, { strict: true })) {
    throw new InvalidAddressError(field, text, "fails its EIP-55 checksum (mixed case that does not match)");
  }
  return getAddress(text);
}
