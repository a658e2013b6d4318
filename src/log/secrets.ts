/**
 * Secrets the process knows about (private keys, keystore passwords, API keys, credentials inside URLs).
 * Everything Guild writes (logs, errors printed by the CLI, transcripts) passes through {@link redact},
 * so a secret that slips into a message is masked instead of written.
 */
const secrets = new Set<string>();

/** Shortest value treated as a secret; shorter strings would mask ordinary text. */
const MIN_SECRET_LENGTH = 6;
export const REDACTED = "[redacted]";

/** Registers a secret so it never appears in anything Guild writes. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  secrets.add(value);
  // Private keys travel with and without the 0x prefix.
  if (/^0x[0-9a-fA-F]{64}$/.test(value)) secrets.add(value.slice(2));
}

/** Registers the credentials of a URL (user info and secret-looking path or query parts). */
export function registerUrlSecrets(url: string | undefined): void {
  if (!url) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  registerSecret(parsed.password);
  registerSecret(decodeURIComponent(parsed.password));
  if (parsed.username && parsed.password) registerSecret(parsed.username);
  // Providers put API keys in the path (/v3/<key>, /v2/<key>) or the query (?apikey=...).
  for (const part of parsed.pathname.split("/")) if (/^[A-Za-z0-9_-]{20,}$/.test(part)) registerSecret(part);
  for (const [, value] of parsed.searchParams) if (value.length >= 12) registerSecret(value);
}

/** Replaces every registered secret in `text`. */
export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}
