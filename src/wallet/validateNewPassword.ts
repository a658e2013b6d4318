import { InvalidPasswordError } from "../errors/wallet.js";
import { registerSecret } from "../log/secrets.js";

/** Shortest password accepted for a new keystore (also long enough for log masking, which needs 6). */
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Registers `password` as a secret and throws {@link InvalidPasswordError} (field `password`, never echoing
 * it) when it is too short to protect a key. Only new keystores are checked; any password opens an existing one.
 *
 * @example
 * validateNewPassword("correct horse battery"); // ok
 */
export function validateNewPassword(password: string): void {
  registerSecret(password);
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidPasswordError(`it has ${password.length} characters, fewer than ${MIN_PASSWORD_LENGTH}`);
  }
}
