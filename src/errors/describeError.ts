/** Hex strings longer than one 32-byte word (calldata, bytecode, signed transactions) are cut to this many digits. */
const KEPT_HEX_DIGITS = 10;
const LONG_HEX = /0x[0-9a-fA-F]{65,}/g;

/**
 * Replaces every hex string longer than a hash (calldata, contract bytecode, raw transactions) with its first bytes
 * and its length, so errors and logs stay short: `0x60806040…[5123 bytes]`. Addresses and hashes are kept whole.
 *
 * @example
 * shortenHex(`data: 0x6080${"00".repeat(4000)}`) // "data: 0x60800000…[4002 bytes]"
 */
export function shortenHex(text: string): string {
  return text.replace(
    LONG_HEX,
    (hex) => `${hex.slice(0, 2 + KEPT_HEX_DIGITS)}…[${Math.ceil((hex.length - 2) / 2)} bytes]`,
  );
}

/**
 * The short, readable cause of any error: a Guild or viem error's `shortMessage`, another error's message, with long
 * hex cut by {@link shortenHex}. For people (CLI, demo); logs keep the full chain of causes, equally shortened.
 *
 * @example
 * process.stderr.write(`failed: ${describeError(error)}\n`);
 */
export function describeError(error: unknown): string {
  const short =
    typeof error === "object" &&
    error !== null &&
    typeof (error as { shortMessage?: unknown }).shortMessage === "string"
      ? (error as { shortMessage: string }).shortMessage
      : error instanceof Error
        ? error.message
        : String(error);
  return shortenHex(short);
}
