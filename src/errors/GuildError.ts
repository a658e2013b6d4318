/**
 * Base class of every error Guild throws on purpose. Like viem's `BaseError`: a short message people can
 * read, optional details and extra lines, and the underlying `cause`. Callers branch on the class.
 *
 * Messages name the field at fault and the fix, and never contain secrets (keys, passwords, API keys).
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

  constructor(shortMessage: string, options: GuildErrorOptions = {}) {
    const lines = [shortMessage, ...(options.metaMessages ?? [])];
    if (options.details) lines.push(`Details: ${options.details}`);
    super(lines.join("\n"), options.cause === undefined ? undefined : { cause: options.cause });
    this.shortMessage = shortMessage;
    this.details = options.details;
    this.metaMessages = options.metaMessages ?? [];
  }
}
