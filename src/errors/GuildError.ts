import { shortenHex } from "./describeError.js";

/**
 * Base class of every error Guild throws on purpose. Like viem's `BaseError`: a short message people can
 * read, optional details and extra lines, and the underlying `cause`. Callers branch on the class.
 *
 * Messages name the field at fault and the fix, and never contain secrets (keys, passwords, API keys), calldata or
 * bytecode (hex longer than a hash is cut to its first bytes and its length).
 */
export type GuildErrorOptions = {
  cause?: unknown;
  details?: string;
  metaMessages?: string[];
};

export class GuildError extends Error {
  override name = "GuildError";
  readonly shortMessage: string;
  readonly details: string | undefined;
  readonly metaMessages: string[];

  constructor(message: string, options: GuildErrorOptions = {}) {
    const shortMessage = shortenHex(message);
    const metaMessages = (options.metaMessages ?? []).map(shortenHex);
    const details = options.details === undefined ? undefined : shortenHex(options.details);
    const lines = [shortMessage, ...metaMessages];
    if (details) lines.push(`Details: ${details}`);
    super(lines.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = details;
    this.metaMessages = metaMessages;
  }
}
