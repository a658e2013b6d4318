import { formatUnits, zeroAddress, type Address } from "viem";
import type { AuditReport, TokenSummary } from "../AuditReport.js";

/** Token symbols and decimals of a report, by lower-case address. */
export type TokenBook = {
  of: (token: Address) => { symbol: string; decimals: number };
  /** `12.5 gUSD`, exact (every digit the token has, trailing zeros dropped). */
  amount: (amount: bigint, token: Address) => string;
  /** Signed: `+0.5 ETH`, `-0.01 ETH`. */
  signed: (amount: bigint, token: Address) => string;
};

export function tokenBook(report: AuditReport): TokenBook {
  const byAddress = new Map<string, TokenSummary>(report.tokens.map((token) => [token.token.toLowerCase(), token]));
  const of = (token: Address) => {
    const known = byAddress.get(token.toLowerCase());
    if (known) return { symbol: known.symbol, decimals: known.decimals };
    return token === zeroAddress ? { symbol: "ETH", decimals: 18 } : { symbol: shortAddress(token), decimals: 0 };
  };
  const amount = (value: bigint, token: Address) => {
    const { symbol, decimals } = of(token);
    return `${formatUnits(value, decimals)} ${symbol}`;
  };
  return {
    of,
    amount,
    signed: (value, token) =>
      `${value > 0n ? "+" : value < 0n ? "-" : ""}${amount(value < 0n ? -value : value, token)}`,
  };
}

export function shortAddress(address: string): string {
  return address.length > 12 ? `${address.slice(0, 6)}…${address.slice(-4)}` : address;
}

/** `2025-01-02 10:00 UTC`. */
export function formatTime(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}
