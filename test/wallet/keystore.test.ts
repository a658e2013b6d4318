import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { InvalidInputError } from "../../src/errors/input.js";
import { KeystoreCorruptedError, WalletNotFoundError, WrongPasswordError } from "../../src/errors/wallet.js";
import { decryptKeystore } from "../../src/wallet/decryptKeystore.js";
import { DEFAULT_SCRYPT_N, encryptKeystore } from "../../src/wallet/encryptKeystore.js";
import { parseKeystore, readKeystoreFile } from "../../src/wallet/readKeystoreFile.js";
import { TEST_SCRYPT_N, tempHome } from "./support.js";

const KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318" as const;
const PASSWORD = "correct horse battery staple";

describe("encryptKeystore / decryptKeystore", () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  it("round-trips a key through a v3 scrypt keystore", async () => {
    const keystore = await encryptKeystore({ privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    expect(keystore.version).toBe(3);
    expect(keystore.crypto.kdf).toBe("scrypt");
    expect(keystore.crypto.cipher).toBe("aes-128-ctr");
    expect(keystore.crypto.kdfparams.n).toBe(TEST_SCRYPT_N);
    expect(`0x${keystore.address}`).toBe(privateKeyToAccount(KEY).address.toLowerCase());
    expect(JSON.stringify(keystore)).not.toContain(KEY.slice(2));

    const text = JSON.stringify(keystore);
    const { keystore: parsed, address } = parseKeystore(text, "mem.json");
    expect(address).toBe(privateKeyToAccount(KEY).address);
    const { privateKey } = await decryptKeystore({ keystore: parsed, password: PASSWORD, file: "mem.json" });
    expect(privateKey).toBe(KEY);
  });

  it("uses scrypt n = 2^18 by default, and that keystore opens", async () => {
    const keystore = await encryptKeystore({ privateKey: KEY, password: PASSWORD });
    expect(DEFAULT_SCRYPT_N).toBe(262_144);
    expect(keystore.crypto.kdfparams.n).toBe(262_144);
    const { privateKey } = await decryptKeystore({ keystore, password: PASSWORD, file: "default.json" });
    expect(privateKey).toBe(KEY);
  });

  it("rejects a scrypt cost that is not a power of two in range", async () => {
    for (const scryptN of [1000, 16, 2 ** 21]) {
      await expect(encryptKeystore({ privateKey: KEY, password: PASSWORD, scryptN })).rejects.toBeInstanceOf(
        InvalidInputError,
      );
    }
  });

  it("throws WrongPasswordError naming the file, without the password", async () => {
    const keystore = await encryptKeystore({ privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const wrong = "not the password at all";
    const error = await decryptKeystore({ keystore, password: wrong, file: "/x/alice.json" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongPasswordError);
    expect((error as WrongPasswordError).file).toBe("/x/alice.json");
    expect((error as Error).message).toContain("/x/alice.json");
    expect((error as Error).message).not.toContain(wrong);
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it("reports a keystore whose address field was swapped as damaged", async () => {
    const keystore = await encryptKeystore({ privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const tampered = { ...keystore, address: "f39fd6e51aad88f6f4ce6ab8827279cfffb92266" };
    await expect(decryptKeystore({ keystore: tampered, password: PASSWORD, file: "t.json" })).rejects.toBeInstanceOf(
      KeystoreCorruptedError,
    );
  });

  it("throws KeystoreCorruptedError naming the file for damaged files", async () => {
    const t = tempHome();
    cleanup = t.cleanup;
    const good = await encryptKeystore({ privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const variants: Record<string, string> = {
      truncated: JSON.stringify(good).slice(0, 80),
      notObject: "[1,2,3]",
      wrongVersion: JSON.stringify({ ...good, version: 1 }),
      noAddress: JSON.stringify({ ...good, address: undefined }),
      badMac: JSON.stringify({ ...good, crypto: { ...good.crypto, mac: "zz" } }),
      hugeN: JSON.stringify({
        ...good,
        crypto: { ...good.crypto, kdfparams: { ...good.crypto.kdfparams, n: 2 ** 30 } },
      }),
      unknownKdf: JSON.stringify({ ...good, crypto: { ...good.crypto, kdf: "argon2" } }),
      empty: "",
    };
    for (const [name, text] of Object.entries(variants)) {
      const file = join(t.home, `${name}.json`);
      writeFileSync(file, text);
      const error = await readKeystoreFile(file, name).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(KeystoreCorruptedError);
      expect((error as KeystoreCorruptedError).file).toBe(file);
      expect((error as Error).message).toContain(file);
    }
  });

  it("throws WalletNotFoundError for a missing file", async () => {
    await expect(readKeystoreFile("/nonexistent/guild/wallets/zed.json", "zed")).rejects.toBeInstanceOf(
      WalletNotFoundError,
    );
  });
});
