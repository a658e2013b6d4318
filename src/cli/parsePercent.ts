import { InvalidInputError } from "../errors/input.js";

export type PercentRange = {
  min: number;
  /** When set, `min` itself is refused (a stake of 0% is no stake). */
  minExclusive?: boolean;
  max: number;
  /** A valid value to quote in the fix. */
  example: number;
};

/**
 * A percentage option as typed: undefined when it was not given, else a number within `range`.
 * Anything else throws an {@link InvalidInputError} naming the option.
 *
 * @example
 * parsePercent("50", "bond", { min: 0, max: 500, example: 50 }); // 50
 */
export function parsePercent(text: string | undefined, field: string, range: PercentRange): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  const aboveMin = range.minExclusive ? value > range.min : value >= range.min;
  if (text.trim() === "" || !(aboveMin && value <= range.max)) {
    const span = range.minExclusive
      ? `above ${range.min} and at most ${range.max}`
      : `from ${range.min} to ${range.max}`;
    throw new InvalidInputError(
      field,
      `"${text}" is not a percentage ${span}`,
      `Give a number such as ${range.example}.`,
    );
  }
  return value;
}
