import pino, { type DestinationStream, type Logger, type LoggerOptions } from "pino";
import { shortenHex } from "../errors/describeError.js";
import { redact } from "./secrets.js";

export type { Logger } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export type CreateLoggerParameters = {
  level?: LogLevel;
  /** Where lines go; default stderr, so stdout stays free for command output. */
  destination?: DestinationStream;
  /** Fields on every line, e.g. `{ agent: "bob" }`. */
  base?: Record<string, unknown>;
};

/** Field names whose values are never written, wherever they appear. */
const REDACT_PATHS = [
  "privateKey",
  "password",
  "apiKey",
  "mnemonic",
  "apiToken",
  "authorization",
  "*.privateKey",
  "*.password",
  "*.apiKey",
  "*.mnemonic",
  "*.apiToken",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
];

/**
 * Guild's logger: pino, one JSON line per event, structured fields (jobId, txHash, amounts as strings).
 * Secret-named fields are censored and every registered secret is masked in the written line; hex longer than a
 * hash (calldata and bytecode inside the causes of an error) is cut to its first bytes and its length.
 *
 * @example
 * const log = createLogger({ level: "info" }).child({ module: "chain/sendTransaction" });
 * log.info({ txHash, jobId: jobId.toString() }, "job funded");
 */
export function createLogger({ level = "info", destination, base = {} }: CreateLoggerParameters = {}): Logger {
  const options: LoggerOptions = {
    level,
    base,
    redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    serializers: { err: pino.stdSerializers.err },
    hooks: {
      streamWrite: (line) => redact(shortenHex(line)),
    },
  };
  return pino(options, destination ?? pino.destination({ fd: 2, sync: true }));
}

/** A logger that writes nothing, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
