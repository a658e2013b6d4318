import { InvalidInputError } from "../errors/input.js";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3_600, d: 86_400 };

/** `N` with an optional unit: s, sec(s), second(s), m, min(s), minute(s), h, hr(s), hour(s), d, day(s). */
export const DURATION_PATTERN = String.raw`(\d+(?:\.\d+)?)\s*(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)?\b`;

export type DurationUnit = "s" | "m" | "h" | "d";

/**
 * Reads a duration as people write it ("90s", "2m", "1.5 hours", "3 days", or a bare number in
 * `defaultUnit`) and returns whole seconds, rounded. Zero, negatives and anything else are refused.
 *
 * @example
 * parseDuration("90s", "window"); // 90
 * parseDuration("2", "deadline", "m"); // 120
 */
export function parseDuration(value: string | number, field: string, defaultUnit: DurationUnit = "m"): number {
  const text = String(value).trim();
  const match = new RegExp(`^${DURATION_PATTERN}$`, "i").exec(text);
  const seconds = match?.[1] ? durationSeconds(match[1], match[2], defaultUnit) : Number.NaN;
  if (!(seconds >= 1) || !Number.isSafeInteger(seconds)) {
    throw new InvalidInputError(
      field,
      `"${text.length > 40 ? `${text.slice(0, 40)}...` : text}" is not a duration of at least one second`,
      "Give seconds, minutes, hours or days, e.g. 90s, 2m, 1h, 1d.",
    );
  }
  return seconds;
}

/** The seconds of a number and a unit as {@link DURATION_PATTERN} captures them. */
export function durationSeconds(amount: string, unit: string | undefined, defaultUnit: DurationUnit = "m"): number {
  const key = (unit ?? defaultUnit).toLowerCase()[0] ?? defaultUnit;
  return Math.round(Number(amount) * (UNIT_SECONDS[key] ?? Number.NaN));
}
