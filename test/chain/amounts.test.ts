import { describe, expect, it } from "vitest";
import { formatAmount, parseAmount } from "../../src/chain/amounts.js";
import { parseAddress } from "../../src/chain/parseAddress.js";
import { InvalidAddressError, InvalidAmountError } from "../../src/errors/input.js";

describe("parseAmount", () => {
  it.each([
    ["0.01", 18, 10_000_000_000_000_000n],
    ["12.5", 6, 12_500_000n],
    [".5", 6, 500_000n],
    ["1", 0, 1n],
    [" 3 ", 6, 3_000_000n],
    [0.25, 6, 250_000n],
  ])("reads %s with %i decimals", (text, decimals, expected) => {
    expect(parseAmount(text, decimals)).toBe(expected);
  });

  it.each([
    ["-1", "negative"],
    ["abc", "not a decimal number"],
    ["1e18", "not a decimal number"],
    ["1,5", "not a decimal number"],
    ["", "empty"],
    ["0", "zero"],
    ["NaN", "not a decimal number"],
    ["1.1234567", "has 7 decimals but the token has 6"],
  ])("refuses %j (%s), naming the field", (text, problem) => {
    const error = (() => {
      try {
        parseAmount(text, 6, "budget");
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidAmountError);
    expect((error as InvalidAmountError).field).toBe("budget");
    expect((error as Error).message).toContain(problem);
  });

  it("refuses non-finite and exponent numbers", () => {
    expect(() => parseAmount(Number.NaN, 18)).toThrow(InvalidAmountError);
    expect(() => parseAmount(Number.POSITIVE_INFINITY, 18)).toThrow(InvalidAmountError);
    expect(() => parseAmount(1e-7, 18)).toThrow(/exponent/);
  });

  it("allows zero only when asked", () => {
    expect(parseAmount("0", 6, "amount", true)).toBe(0n);
  });

  it("formats base units back", () => {
    expect(formatAmount(12_500_000n, 6, "gUSD")).toBe("12.5 gUSD");
    expect(formatAmount(10n ** 16n, 18)).toBe("0.01");
  });
});

describe("parseAddress", () => {
  const checksummed = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

  it("accepts lowercase and checksummed addresses and returns the checksum form", () => {
    expect(parseAddress(checksummed.toLowerCase())).toBe(checksummed);
    expect(parseAddress(checksummed)).toBe(checksummed);
  });

  it("refuses a mixed-case address whose checksum does not match", () => {
    const typo = checksummed.replace("C51812", "c51812");
    expect(() => parseAddress(typo, "provider")).toThrow(/checksum/);
  });

  it.each(["0x1234", "70997970C51812dc3A010C7d01b50e0d17dc79C8", "0xZZ997970C51812dc3A010C7d01b50e0d17dc79C8", 42])(
    "refuses %j",
    (value) => {
      const call = () => parseAddress(value, "to");
      expect(call).toThrow(InvalidAddressError);
      expect(call).toThrow(/Invalid to/);
    },
  );
});
