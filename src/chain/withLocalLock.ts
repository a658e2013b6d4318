import { isProcessAlive } from "./isProcessAlive.js";
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuildError } from "../errors/GuildError.js";
import type { Logger } from "../log/createLogger.js";
import { pollUntil } from "./pollUntil.js";

/** Another process held a local lock for longer than the caller would wait. */
export class LocalLockTimeoutError extends GuildError {
  override name = "LocalLockTimeoutError";
}

export type WithLocalLockParameters = {
  /** What is locked, e.g. "chain-127.0.0.1-8545"; becomes the lock file's name. */
  name: string;
  /** Longest wait for another process to finish. Default 120 s. */
  timeoutMs?: number;
  /** Folder of the lock files. Default `<tmpdir>/guild-locks` (shared by every Guild home on this machine). */
  dir?: string;
  logger?: Logger;
};

/** A takeover of a stale lock that has not finished after this long was abandoned by a crashed process. */
const TAKEOVER_STALE_MS = 10_000;

/**
 * Runs `task` while holding a lock that only one process on this machine holds at a time: a file created
 * exclusively (`wx`) that holds the owner's pid. A lock whose owner died (a crash, `kill -9`) is taken over; the
 * takeover itself is exclusive, so two waiters never both break the same lock.
 *
 * @example
 * await withLocalLock({ name: "chain-127.0.0.1-8545" }, async () => startChainUnlessRunning());
 */
export async function withLocalLock<T>(
  { name, timeoutMs = 120_000, dir = join(tmpdir(), "guild-locks"), logger }: WithLocalLockParameters,
  task: () => Promise<T>,
): Promise<T> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_")}.lock`);
  let announced = false;
  const { value: last, done } = await pollUntil(
    () => tryAcquire(path),
    (attempt) => attempt.acquired,
    {
      // Right after breaking a stale lock, try again at once.
      intervalMs: (attempt) => (attempt.brokeStale ? 0 : 100),
      timeoutMs,
      onWait: ({ last: attempt }) => {
        if (announced || attempt.brokeStale) return;
        logger?.info({ lock: name, owner: attempt.owner }, "another Guild process is doing this; waiting for it");
        announced = true;
      },
    },
  );
  if (!done) {
    throw new LocalLockTimeoutError(`Another Guild process (pid ${last.owner ?? "unknown"}) held "${name}" too long.`, {
      metaMessages: [`If no Guild process is running, delete ${path}.`],
    });
  }
  try {
    return await task();
  } finally {
    try {
      if (ownerOf(path) === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  }
}

type LockAttempt = { acquired: boolean; owner: number | undefined; brokeStale: boolean };

/** Takes the lock if it is free; breaks it if its owner is dead (or never wrote its pid), to try again. */
function tryAcquire(path: string): LockAttempt {
  if (tryCreate(path)) return { acquired: true, owner: process.pid, brokeStale: false };
  const owner = ownerOf(path);
  // A dead owner, or none written long after the file appeared (its creator died in between).
  if (owner === undefined ? olderThan(path, TAKEOVER_STALE_MS) : !isProcessAlive(owner)) {
    breakStaleLock(path, owner);
    return { acquired: false, owner, brokeStale: true };
  }
  return { acquired: false, owner, brokeStale: false };
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
  try {
    writeSync(fd, String(process.pid));
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The pid in a lock file; undefined while it is being written (or gone). */
function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function olderThan(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > ms;
  } catch {
    return false;
  }
}

/**
 * Removes a lock whose owner `pid` is dead (undefined: never written). Only the process that creates the takeover file may remove it, and it
 * checks again that the lock still names the dead owner (another waiter may have replaced it meanwhile).
 */
function breakStaleLock(path: string, pid: number | undefined): void {
  const takeover = `${path}.takeover`;
  if (!tryCreate(takeover)) {
    if (olderThan(takeover, TAKEOVER_STALE_MS)) {
      try {
        unlinkSync(takeover);
      } catch {
        // Gone meanwhile.
      }
    }
    return;
  }
  try {
    if (ownerOf(path) === pid) {
      const aside = `${path}.stale-${process.pid}`;
      renameSync(path, aside);
      unlinkSync(aside);
    }
  } catch {
    // Gone meanwhile.
  } finally {
    unlinkSync(takeover);
  }
}
