/**
 * What an `eth_getLogs` failure means for the reader:
 * - `range`: the node refused the size of the request (block range or result count); ask for less;
 * - `transient`: worth retrying the same request later (timeouts, rate limits, 5xx, dropped connections);
 * - `fatal`: retrying will not help (bad parameters, unsupported method, ...).
 */
export type LogsErrorKind = "range" | "transient" | "fatal";

export type ClassifyLogsErrorReturnType = {
  kind: LogsErrorKind;
  /** The largest block range the node says it accepts, when its message names one. */
  maxRange?: bigint;
  /** A range the node suggests instead (Infura, Alchemy: "Try with this block range [0x.., 0x..]"). */
  suggestedRange?: { fromBlock: bigint; toBlock: bigint };
};

/** Messages nodes and providers send when a getLogs request is too big (lower-cased). */
const RANGE_PATTERNS: RegExp[] = [
  /returned more than \d[\d,]* results/, // Infura, geth-based providers
  /block range (?:is )?too (?:large|wide|big)/,
  /range (?:is )?too (?:large|wide|big)/,
  /exceeds? (?:the )?max(?:imum)? (?:allowed )?(?:block )?range/, // BSC, Erigon
  /max(?:imum)? (?:allowed )?block range/,
  /block range limit/,
  /log response size exceeded/, // Alchemy
  /response size (?:is )?(?:too large|exceeded|should not exceed)/,
  /limited to (?:a )?\d[\d,]* (?:block )?range/, // QuickNode
  /ranges? over \d[\d,]* blocks/,
  /requested too many blocks/, // Ankr
  /too many (?:results|logs|blocks)/,
  /exceeds? max results/,
  /query timeout exceeded/,
  /payload too large/,
  /response body exceeded the size limit/, // viem's own cap on a response (10 MB by default)
  /responsebodytoolarge/,
];

/** Messages that mean "slow down", not "ask for less". */
const RATE_PATTERNS: RegExp[] = [
  /rate limit/,
  /too many requests/,
  /request limit/,
  /requests? per second/,
  /capacity/,
];

const TRANSIENT_PATTERNS: RegExp[] = [
  /timed? ?out/,
  /econnreset/,
  /econnrefused/,
  /etimedout/,
  /epipe/,
  /socket hang up/,
  /other side closed/,
  /fetch failed/,
  /network error/,
  /header not found/, // a load-balanced node behind the head
  /unknown block/,
  /service unavailable/,
  /bad gateway/,
];

const MAX_RANGE_PATTERNS: RegExp[] = [
  /max(?:imum)? (?:allowed )?(?:block )?range(?: of| is|:| =)?\s*(\d[\d,]*)/,
  /limited to (?:a )?(\d[\d,]*) (?:block )?range/,
  /maximum is set to (\d[\d,]*)/,
  /ranges? over (\d[\d,]*) blocks/,
  /up to a (\d[\d,]*)(k?) block range/,
];

type Facts = { codes: number[]; statuses: number[]; text: string };

/** Collects codes, HTTP statuses and messages along an error's cause chain (viem wraps several deep). */
function collectFacts(error: unknown): Facts {
  const codes: number[] = [];
  const statuses: number[] = [];
  const texts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 12; depth++) {
    if (typeof current === "object") {
      const record = current as Record<string, unknown>;
      if (typeof record.code === "number") codes.push(record.code);
      if (typeof record.code === "string") texts.push(record.code);
      if (typeof record.status === "number") statuses.push(record.status);
      for (const key of ["name", "message", "shortMessage", "details"] as const) {
        if (typeof record[key] === "string") texts.push(record[key]);
      }
      current = record.cause;
    } else {
      texts.push(String(current));
      break;
    }
  }
  return { codes, statuses, text: texts.join("\n").toLowerCase() };
}

function parseNumber(digits: string, kilo: string | undefined): bigint {
  const value = BigInt(digits.replaceAll(",", ""));
  return kilo ? value * 1_000n : value;
}

/**
 * Classifies an `eth_getLogs` failure from the messages, JSON-RPC codes and HTTP statuses along its cause
 * chain, and extracts the range limit or suggested range when the node names one.
 *
 * @example
 * const verdict = classifyLogsError(error);
 * if (verdict.kind === "range") retryWithSmallerRange(verdict.maxRange);
 */
export function classifyLogsError(error: unknown): ClassifyLogsErrorReturnType {
  const { codes, statuses, text } = collectFacts(error);
  const rateLimited =
    statuses.includes(429) || codes.includes(429) || codes.includes(-32007) || RATE_PATTERNS.some((p) => p.test(text));

  const rangeRefused =
    statuses.includes(413) ||
    RANGE_PATTERNS.some((pattern) => pattern.test(text)) ||
    // -32005 "limit exceeded" is the usual code of result-count refusals, unless it says "rate".
    (codes.includes(-32005) && !rateLimited);
  if (rangeRefused) {
    const verdict: ClassifyLogsErrorReturnType = { kind: "range" };
    for (const pattern of MAX_RANGE_PATTERNS) {
      const match = pattern.exec(text);
      if (match?.[1]) {
        const value = parseNumber(match[1], match[2]);
        if (value > 0n) verdict.maxRange = value;
        break;
      }
    }
    const suggested = /\[\s*(0x[0-9a-f]+)\s*,\s*(0x[0-9a-f]+)\s*\]/.exec(text);
    if (suggested?.[1] && suggested[2]) {
      verdict.suggestedRange = { fromBlock: BigInt(suggested[1]), toBlock: BigInt(suggested[2]) };
    }
    return verdict;
  }
  if (rateLimited) return { kind: "transient" };
  if (statuses.some((status) => status === 408 || status >= 500)) return { kind: "transient" };
  // -32603 internal error and -32002 resource unavailable are what overloaded nodes answer.
  if (codes.includes(-32603) || codes.includes(-32002)) return { kind: "transient" };
  if (TRANSIENT_PATTERNS.some((pattern) => pattern.test(text))) return { kind: "transient" };
  return { kind: "fatal" };
}
