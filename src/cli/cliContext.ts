import { config as loadDotenv } from "dotenv";
import { loadConfig, type GuildConfig } from "../config/loadConfig.js";
import { describeError } from "../errors/describeError.js";
import { GuildError } from "../errors/GuildError.js";
import { createLogger, type Logger, type LogLevel } from "../log/createLogger.js";
import { redact } from "../log/secrets.js";
import { exitCodeOf } from "./exitCodes.js";

/** Global options every command takes. */
export type GlobalOptions = { json?: boolean; logLevel?: LogLevel };

/** Where text goes: process.stdout and process.stderr, or a test's buffer. */
export type TextSink = { write: (text: string) => unknown; isTTY?: boolean };

/** What a command adapter gets: configuration, a logger on stderr, and the output streams. */
export type CliContext = {
  config: GuildConfig;
  logger: Logger;
  json: boolean;
  stdout: TextSink;
  stderr: TextSink;
  /** Prints a result: its JSON with --json, else the human text. */
  print: (human: string, data: unknown) => void;
  /** A progress line on stderr (never with --json, so stdout stays parseable either way). */
  progress: (message: string) => void;
};

export function createCliContext(
  options: GlobalOptions,
  /** The streams, and (tests, embedding) a configuration and logger instead of the environment's. */
  io: { stdout?: TextSink; stderr?: TextSink; config?: GuildConfig; logger?: Logger } = {},
  /** Log level when neither --log-level nor GUILD_LOG_LEVEL says: daemons log events, commands only errors. */
  quietLevel: LogLevel = "error",
): CliContext {
  if (!io.config) loadDotenv({ quiet: true });
  const config = io.config ?? loadConfig(process.env);
  const json = options.json ?? false;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  // Commands talk to people on stdout and stderr; their JSON log carries only errors unless asked.
  const explicit = options.logLevel ?? (process.env.GUILD_LOG_LEVEL ? config.logLevel : undefined);
  const logger = io.logger ?? createLogger({ level: explicit ?? quietLevel });
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

/**
 * Runs a command adapter: its exit code, or, when it throws, the error printed for people (or as JSON) and the
 * code {@link exitCodeOf} maps it to.
 *
 * @example
 * process.exitCode = await runCommand(ctx, (ctx) => jobsCommand(ctx, { limit: "5" }));
 */
export async function runCommand(ctx: CliContext, action: (ctx: CliContext) => Promise<number>): Promise<number> {
  try {
    return await action(ctx);
  } catch (error) {
    return reportError(error, ctx.json, ctx.stderr);
  }
}

/** Prints an error for people (or as JSON) and returns the exit code. */
export function reportError(error: unknown, json: boolean, stderr: TextSink = process.stderr): number {
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
