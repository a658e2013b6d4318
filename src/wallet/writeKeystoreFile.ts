import { randomBytes } from "node:crypto";
import { chmod, link, mkdir, open, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { WalletExistsError } from "../errors/wallet.js";
import type { KeystoreV3 } from "./readKeystoreFile.js";

export type WriteKeystoreFileParameters = {
  file: string;
  keystore: KeystoreV3;
  /** For the error when the file exists. */
  walletName: string;
};

/**
 * Writes a keystore atomically and never over an existing one: the JSON goes to a temporary file (mode 0600,
 * flushed to disk), which is then hard-linked to its final name. `link` fails if the name exists, so two
 * concurrent writers cannot clobber each other (rename would silently replace). The folder is made 0700.
 * Throws {@link WalletExistsError} when `file` exists.
 *
 * @example
 * await writeKeystoreFile({ file: walletFile(home, "alice"), keystore, walletName: "alice" });
 */
export async function writeKeystoreFile({ file, keystore, walletName }: WriteKeystoreFileParameters): Promise<void> {
  const folder = dirname(file);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  await chmod(folder, 0o700);
  // A leading dot keeps half-written files out of `listWallets`.
  const temp = join(folder, `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const handle = await open(temp, "wx", 0o600);
  try {
    try {
      await handle.chmod(0o600); // mode in open() is filtered by the umask; make it exact
      await handle.writeFile(`${JSON.stringify(keystore, null, 2)}\n`, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new WalletExistsError(walletName, file);
      throw error;
    }
  } finally {
    await unlink(temp).catch(() => {});
  }
}
