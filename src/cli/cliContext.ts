import { config as loadDotenv } from "dotenv";
import { loadConfig, type GuildConfig } from "../config/loadConfig.js";
import { describeError } from "../errors/describeError.js";
import { GuildError } from "../errors/GuildError.js";
import { createLogger, type Logger, type LogLevel } from "../log/createLogger.js";
import { redact } from "../log/secrets.js";
import { exitCodeOf } from "./exitCodes.js";

/** Global options every command takes. */
export type GlobalOptions = { json?: boolean; logLevel?: LogLevel };

/** What a command adapter gets: configuration, a logger on stderr, and the output streams. */
export type CliContext = {
  config: GuildConfig;
  logger: Logger;
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Prints a result: its JSON with --json, else the human text. */
  print: (human: string, data: unknown) => void;
  /** A progress line on stderr (never with --json, so stdout stays parseable either way). */
  progress: (message: string) => void;
};

export function createCliContext(
  options: GlobalOptions,
  io: { stdout?: NodeJS.WritableStream; stderr?: NodeJS.WritableStream } = {},
  /** Log level when neither --log-level nor GUILD_LOG_LEVEL says: daemons log events, commands only errors. */
  quietLevel: LogLevel = "error",
): CliContext {
  loadDotenv({ quiet: true });
  const config = loadConfig(process.env);
  const json = options.json ?? false;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  // Commands talk to people on stdout and stderr; their JSON log carries only errors unless asked.
  const explicit = options.logLevel ?? (process.env.GUILD_LOG_LEVEL ? config.logLevel : undefined);
  const logger = createLogger({ level: explicit ?? quietLevel });
  return {
    config,
    logger,
    json,
    stdout,
    stderr,
    print: (human, data) => {
      stdout.write(`${redact(json ? toJson(data) : human)}\n`);
    },
    progress: (message) => {
      if (!json) stderr.write(`${redact(message)}\n`);
    },
  };
}

export function toJson(data: unknown): string {
  return JSON.stringify(data, (_, value) => (typeof value === "bigint" ? value.toString() : value), 2);
}

/** Prints an error for people (or as JSON) and returns the exit code. */
export function reportError(error: unknown, json: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  const code = exitCodeOf(error);
  // The short cause only: never calldata or bytecode (viem's full messages carry both).
  const short = describeError(error);
  const meta = error instanceof GuildError ? error.metaMessages : [];
  if (json) {
    const name = error instanceof Error ? error.name : "Error";
    stderr.write(`${redact(toJson({ error: { name, message: short, hints: meta, exitCode: code } }))}\n`);
  } else {
    stderr.write(`${redact([`error: ${short}`, ...meta.map((line) => `  ${line}`)].join("\n"))}\n`);
  }
  return code;
}
