import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** scrypt cost for tests: milliseconds instead of seconds. */
export const TEST_SCRYPT_N = 1024;

/** A fresh GUILD_HOME under the OS temp folder; `cleanup()` removes it. */
export function tempHome(): { home: string; cleanup: () => void } {
  const home = mkdtempSync(join(tmpdir(), "guild-wallet-"));
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) };
}
