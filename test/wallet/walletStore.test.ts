import { readdirSync, readFileSync, statSync, writeFileSync, chmodSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import {
  InvalidPasswordError,
  InvalidPrivateKeyError,
  InvalidWalletNameError,
  KeystoreCorruptedError,
  WalletExistsError,
  WalletNotFoundError,
} from "../../src/errors/wallet.js";
import type { InvalidInputError } from "../../src/errors/input.js";
import { createWallet } from "../../src/wallet/createWallet.js";
import { decryptKeystore } from "../../src/wallet/decryptKeystore.js";
import { getWalletAddress } from "../../src/wallet/getWalletAddress.js";
import { importWallet } from "../../src/wallet/importWallet.js";
import { listWallets } from "../../src/wallet/listWallets.js";
import { parsePrivateKey } from "../../src/wallet/parsePrivateKey.js";
import { readKeystoreFile } from "../../src/wallet/readKeystoreFile.js";
import { TEST_SCRYPT_N, tempHome } from "./support.js";

const PASSWORD = "hunter2-but-longer";
const KEY = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba" as const;

describe("wallet store", () => {
  let home = "";
  let cleanup = () => {};
  const fresh = () => {
    const t = tempHome();
    home = t.home;
    cleanup = t.cleanup;
  };
  afterEach(() => cleanup());

  it("creates a wallet: 0600 file in a 0700 folder, decryptable, no temp files left", async () => {
    fresh();
    const created = await createWallet({ home, name: "alice", password: PASSWORD, scryptN: TEST_SCRYPT_N });
    expect(created.file).toBe(join(home, "wallets", "alice.json"));
    expect(statSync(created.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, "wallets")).mode & 0o777).toBe(0o700);
    expect(readdirSync(join(home, "wallets"))).toEqual(["alice.json"]);

    const { keystore } = await readKeystoreFile(created.file, "alice");
    const { privateKey } = await decryptKeystore({ keystore, password: PASSWORD, file: created.file });
    expect(privateKeyToAccount(privateKey).address).toBe(created.address);
  });

  it("tightens a wallets folder that exists with loose permissions", async () => {
    fresh();
    mkdirSync(join(home, "wallets"), { mode: 0o755 });
    chmodSync(join(home, "wallets"), 0o755);
    await createWallet({ home, name: "alice", password: PASSWORD, scryptN: TEST_SCRYPT_N });
    expect(statSync(join(home, "wallets")).mode & 0o777).toBe(0o700);
  });

  it("refuses to overwrite an existing wallet, by new or import", async () => {
    fresh();
    const first = await createWallet({ home, name: "alice", password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const before = readFileSync(first.file, "utf8");
    await expect(
      createWallet({ home, name: "alice", password: PASSWORD, scryptN: TEST_SCRYPT_N }),
    ).rejects.toBeInstanceOf(WalletExistsError);
    await expect(
      importWallet({ home, name: "alice", privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N }),
    ).rejects.toBeInstanceOf(WalletExistsError);
    expect(readFileSync(first.file, "utf8")).toBe(before);
  });

  it("lets only one of two concurrent creations of one name win", async () => {
    fresh();
    const results = await Promise.allSettled([
      createWallet({ home, name: "race", password: PASSWORD, scryptN: TEST_SCRYPT_N }),
      createWallet({ home, name: "race", password: PASSWORD, scryptN: TEST_SCRYPT_N }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((r) => r.status === "rejected");
    expect(rejected?.status === "rejected" && rejected.reason).toBeInstanceOf(WalletExistsError);
    expect(readdirSync(join(home, "wallets"))).toEqual(["race.json"]);
  });

  it("validates names: field `name`, the rule in the message", async () => {
    fresh();
    for (const name of ["", "Alice", "a b", "../evil", "a/b", "-flag", "_x", "x".repeat(33), "é", "a.json"]) {
      const error = await createWallet({ home, name, password: PASSWORD, scryptN: TEST_SCRYPT_N }).catch(
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(InvalidWalletNameError);
      expect((error as InvalidInputError).field).toBe("name");
      expect((error as Error).message).toMatch(/lowercase letters, digits, - and _/);
    }
    for (const name of ["a", "agent-2", "bob_the_builder", "0", "x".repeat(32)]) {
      await expect(createWallet({ home, name, password: PASSWORD, scryptN: TEST_SCRYPT_N })).resolves.toMatchObject({
        name,
      });
    }
  });

  it("refuses passwords shorter than 8 characters without echoing them", async () => {
    fresh();
    const error = await createWallet({ home, name: "alice", password: "short7!", scryptN: TEST_SCRYPT_N }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidPasswordError);
    expect((error as InvalidInputError).field).toBe("password");
    expect((error as Error).message).not.toContain("short7!");
  });

  it("imports a key with or without 0x and surrounding whitespace", async () => {
    fresh();
    const expected = privateKeyToAccount(KEY).address;
    const a = await importWallet({ home, name: "a", privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const b = await importWallet({
      home,
      name: "b",
      privateKey: ` ${KEY.slice(2).toUpperCase()}\n`,
      password: PASSWORD,
      scryptN: TEST_SCRYPT_N,
    });
    expect(a.address).toBe(expected);
    expect(b.address).toBe(expected);
    expect(statSync(b.file).mode & 0o777).toBe(0o600);
    const { keystore } = await readKeystoreFile(b.file, "b");
    expect((await decryptKeystore({ keystore, password: PASSWORD, file: b.file })).privateKey).toBe(KEY);
  });

  it("rejects bad keys naming the field `privateKey`, never echoing the input", async () => {
    fresh();
    const bad = [
      `${KEY.slice(0, -2)}zz`, // not hex
      KEY.slice(0, -2), // 31 bytes
      `${KEY}00`, // 33 bytes
      `0x${"0".repeat(64)}`, // zero
      `0x${"f".repeat(64)}`, // above the group order
      "0x",
    ];
    for (const input of bad) {
      const error = await importWallet({
        home,
        name: "bad",
        privateKey: input,
        password: PASSWORD,
        scryptN: TEST_SCRYPT_N,
      }).catch((e: unknown) => e);
      expect(error, input).toBeInstanceOf(InvalidPrivateKeyError);
      expect((error as InvalidInputError).field).toBe("privateKey");
      const text = `${(error as Error).message}\n${(error as Error).stack}`;
      if (input.length > 4) {
        expect(text).not.toContain(input);
        expect(text).not.toContain(input.slice(2));
        expect(text).not.toContain(input.slice(2, 20));
      }
    }
    expect(() => parsePrivateKey(KEY.slice(2))).not.toThrow();
  });

  it("lists names and addresses without a password, ignoring other files", async () => {
    fresh();
    expect(await listWallets({ home })).toEqual([]);
    const bob = await importWallet({ home, name: "bob", privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
    const alice = await createWallet({ home, name: "alice", password: "another password", scryptN: TEST_SCRYPT_N });
    writeFileSync(join(home, "wallets", "notes.txt"), "hello");
    writeFileSync(join(home, "wallets", ".alice.json.123.tmp"), "{");
    writeFileSync(join(home, "wallets", "Upper.json"), "{");
    expect(await listWallets({ home })).toEqual([
      { name: "alice", address: alice.address, file: alice.file },
      { name: "bob", address: bob.address, file: bob.file },
    ]);
    expect(await getWalletAddress({ home, name: "bob" })).toBe(privateKeyToAccount(KEY).address);
  });

  it("address and list report missing and damaged wallets by type", async () => {
    fresh();
    await expect(getWalletAddress({ home, name: "ghost" })).rejects.toBeInstanceOf(WalletNotFoundError);
    await expect(getWalletAddress({ home, name: "../x" })).rejects.toBeInstanceOf(InvalidWalletNameError);
    mkdirSync(join(home, "wallets"), { recursive: true });
    writeFileSync(join(home, "wallets", "broken.json"), "{ not json");
    const error = await listWallets({ home }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KeystoreCorruptedError);
    expect((error as KeystoreCorruptedError).file).toBe(join(home, "wallets", "broken.json"));
  });
});
