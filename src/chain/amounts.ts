import { formatUnits, parseUnits } from "viem";
import { InvalidAmountError } from "../errors/input.js";

/**
 * Parses a human amount ("0.01", "12.5") into base units of a token with `decimals` decimals. Refuses
 * negatives, zero (unless `allowZero`), NaN, exponents, and more decimals than the token has.
 *
 * @example
 * parseAmount("12.5", 6, "budget"); // 12_500_000n
 */
export function parseAmount(value: string | number, decimals: number, field = "amount", allowZero = false): bigint {
  const text = typeof value === "number" ? numberToText(value, field) : value.trim();
  if (text === "") throw new InvalidAmountError(field, "it is empty", "Give a decimal number such as 0.01.");
  if (text.startsWith("-")) {
    throw new InvalidAmountError(field, `"${text}" is negative`, "Amounts must be positive.");
  }
  if (!/^\d+(\.\d+)?$/.test(text) && !/^\.\d+$/.test(text)) {
    throw new InvalidAmountError(
      field,
      `"${truncate(text)}" is not a decimal number`,
      "Give digits with at most one decimal point, such as 0.01 (no exponents, commas or units).",
    );
  }
  const fraction = text.split(".")[1] ?? "";
  if (fraction.length > decimals) {
    throw new InvalidAmountError(
      field,
      `"${text}" has ${fraction.length} decimals but the token has ${decimals}`,
      `Round it to at most ${decimals} decimals.`,
    );
  }
  const amount = parseUnits(text.startsWith(".") ? `0${text}` : text, decimals);
  if (amount === 0n && !allowZero) {
    throw new InvalidAmountError(field, `"${text}" is zero`, "Give an amount greater than zero.");
  }
  return amount;
}

/**
 * Formats base units as a plain decimal string, with a symbol when given.
 *
 * @example
 * formatAmount(12_500_000n, 6, "gUSD"); // "12.5 gUSD"
 */
export function formatAmount(amount: bigint, decimals: number, symbol?: string): string {
  const text = formatUnits(amount, decimals);
  return symbol ? `${text} ${symbol}` : text;
}

function numberToText(value: number, field: string): string {
  if (!Number.isFinite(value)) {
    throw new InvalidAmountError(field, `${value} is not a finite number`, "Give a decimal number such as 0.01.");
  }
  // Numbers that JavaScript prints with an exponent cannot be read exactly; ask for a string instead.
  const text = String(value);
  if (/e/i.test(text)) {
    throw new InvalidAmountError(field, `${text} is written with an exponent`, "Give the amount as a decimal string.");
  }
  return text;
}

function truncate(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
