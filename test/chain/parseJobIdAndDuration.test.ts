import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/chain/parseDuration.js";
import { parseJobId, readJobId } from "../../src/chain/parseJobId.js";
import { InvalidInputError } from "../../src/errors/input.js";

describe("parseJobId: one reading of a job id for the CLI, the tools and the planner", () => {
  it.each([
    ["12", 12n],
    [" 7 ", 7n],
    [3, 3n],
    ["5n as a bigint", 5n],
  ] as const)("%s is a job id", (value, expected) => {
    const input = value === "5n as a bigint" ? 5n : value;
    expect(parseJobId(input)).toBe(expected);
    expect(readJobId(input)).toBe(expected);
  });

  it.each(["0", 0, "-3", -3, "1.5", 1.5, "1e3", "#12", "twelve", "", "0x10", `1${"0".repeat(78)}`])(
    "%j is refused, naming the field",
    (value) => {
      expect(() => parseJobId(value, "id")).toThrow(InvalidInputError);
      expect(() => parseJobId(value, "id")).toThrow(/^Invalid id: .* is not a job id\. Give a positive whole number/);
      expect(readJobId(value)).toBeUndefined();
    },
  );
});

describe("parseDuration: seconds from what people write", () => {
  it.each([
    ["90s", 90],
    ["2m", 120],
    ["2", 120],
    ["1.5 hours", 5_400],
    ["3 days", 259_200],
    ["10 secs", 10],
    ["1h", 3_600],
  ] as const)("%s is %i s", (text, seconds) => {
    expect(parseDuration(text, "window")).toBe(seconds);
  });

  it("a bare number takes the default unit", () => {
    expect(parseDuration("30", "timeout", "s")).toBe(30);
  });

  it.each(["0", "0s", "-1m", "abc", "5 weeks", "", "0.2s"])("%j is refused", (text) => {
    expect(() => parseDuration(text, "window")).toThrow(InvalidInputError);
    expect(() => parseDuration(text, "window")).toThrow(/^Invalid window: .* is not a duration/);
  });
});
