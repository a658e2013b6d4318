import { InvalidInputError } from "../errors/input.js";

/** Job ids start at 1 (the escrow's `jobCount` after the first job); 78 digits hold any uint256. */
const JOB_ID = /^[1-9]\d{0,77}$/;

/**
 * Reads a job id as people, models and JSON write it: "12", 12 or 12n. Job 0 does not exist (ids start at
 * 1), so "0" is refused like any other non-id, as are signs, decimals, exponents and "#12".
 *
 * @example
 * parseJobId("12"); // 12n
 * parseJobId("0", "jobId"); // throws InvalidInputError: Invalid jobId: "0" is not a job id ...
 */
export function parseJobId(value: string | number | bigint, field = "jobId"): bigint {
  const text = typeof value === "bigint" ? value.toString() : String(value).trim();
  if (!JOB_ID.test(text) || BigInt(text) >= 2n ** 256n) {
    throw new InvalidInputError(
      field,
      `"${text.length > 40 ? `${text.slice(0, 40)}...` : text}" is not a job id`,
      'Give a positive whole number, such as "12".',
    );
  }
  return BigInt(text);
}

/** {@link parseJobId} that answers undefined instead of throwing (for text read back from tool results). */
export function readJobId(value: unknown): bigint | undefined {
  if (typeof value !== "string" && typeof value !== "number" && typeof value !== "bigint") return undefined;
  try {
    return parseJobId(value);
  } catch {
    return undefined;
  }
}
