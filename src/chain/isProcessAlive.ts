/**
 * Whether a process with this id runs on this machine (signal 0 tests for it without sending anything; EPERM means
 * it runs under another user).
 *
 * @example
 * isProcessAlive(lock.owner); // false once the lock's holder died
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
