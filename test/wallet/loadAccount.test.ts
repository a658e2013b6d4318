import { afterEach, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import { PasswordRequiredError, WalletNotFoundError, WrongPasswordError } from "../../src/errors/wallet.js";
import { createLogger } from "../../src/log/createLogger.js";
import { clearSecrets, redact } from "../../src/log/secrets.js";
import { importWallet } from "../../src/wallet/importWallet.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import { TEST_SCRYPT_N, tempHome } from "./support.js";

const PASSWORD = "agent alice password";
const KEY = "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a" as const;
const OTHER_KEY = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6" as const;

describe("loadAccount", () => {
  let home = "";
  let cleanup = () => {};
  afterEach(() => {
    cleanup();
    clearSecrets();
  });
  const withAlice = async () => {
    const t = tempHome();
    home = t.home;
    cleanup = t.cleanup;
    await importWallet({ home, name: "alice", privateKey: KEY, password: PASSWORD, scryptN: TEST_SCRYPT_N });
  };

  it("unlocks a keystore with GUILD_KEYSTORE_PASSWORD and signs with it", async () => {
    await withAlice();
    const { account, source } = await loadAccount({
      config: { home, keystorePassword: PASSWORD, privateKey: undefined },
      name: "alice",
    });
    expect(source).toBe("keystore");
    expect(account.address).toBe(privateKeyToAccount(KEY).address);
    const signature = await account.signMessage({ message: "hi" });
    expect(signature).toBe(await privateKeyToAccount(KEY).signMessage({ message: "hi" }));
  });

  it("asks the injected prompt when no password is configured, and registers the answer as a secret", async () => {
    await withAlice();
    clearSecrets();
    const asked: string[] = [];
    const { account } = await loadAccount({
      config: { home, keystorePassword: undefined, privateKey: undefined },
      name: "alice",
      promptPassword: async (message) => {
        asked.push(message);
        return PASSWORD;
      },
    });
    expect(account.address).toBe(privateKeyToAccount(KEY).address);
    expect(asked).toEqual(['Password for wallet "alice": ']);
    expect(redact(`pw ${PASSWORD} key ${KEY} bare ${KEY.slice(2)}`)).toBe(
      "pw [redacted] key [redacted] bare [redacted]",
    );
  });

  it("prefers the configured password over the prompt", async () => {
    await withAlice();
    let prompted = false;
    await loadAccount({
      config: { home, keystorePassword: PASSWORD, privateKey: undefined },
      name: "alice",
      promptPassword: async () => {
        prompted = true;
        return "wrong";
      },
    });
    expect(prompted).toBe(false);
  });

  it("throws WrongPasswordError for a wrong prompt answer, PasswordRequiredError with no way to ask", async () => {
    await withAlice();
    await expect(
      loadAccount({
        config: { home, keystorePassword: undefined, privateKey: undefined },
        name: "alice",
        promptPassword: async () => "not it at all",
      }),
    ).rejects.toBeInstanceOf(WrongPasswordError);
    await expect(
      loadAccount({ config: { home, keystorePassword: undefined, privateKey: undefined }, name: "alice" }),
    ).rejects.toBeInstanceOf(PasswordRequiredError);
  });

  it("falls back to GUILD_PRIVATE_KEY only when the wallet has no keystore, with a warning", async () => {
    await withAlice();
    const lines: string[] = [];
    const logger = createLogger({ level: "trace", destination: { write: (line: string) => lines.push(line) } });
    const config = { home, keystorePassword: PASSWORD, privateKey: OTHER_KEY };

    const alice = await loadAccount({ config, name: "alice", logger });
    expect(alice.source).toBe("keystore");
    expect(alice.account.address).toBe(privateKeyToAccount(KEY).address);

    const bob = await loadAccount({ config, name: "bob", logger });
    expect(bob.source).toBe("GUILD_PRIVATE_KEY");
    expect(bob.account.address).toBe(privateKeyToAccount(OTHER_KEY).address);
    const warning = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).find((l) => l.level === 40);
    expect(warning?.msg).toMatch(/throwaway local use only/);
    expect(lines.join("")).not.toContain(OTHER_KEY.slice(2));
  });

  it("throws WalletNotFoundError mentioning both ways out when there is neither keystore nor key", async () => {
    await withAlice();
    const error = await loadAccount({
      config: { home, keystorePassword: PASSWORD, privateKey: undefined },
      name: "bob",
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WalletNotFoundError);
    expect((error as Error).message).toMatch(/guild wallet new bob/);
    expect((error as Error).message).toMatch(/GUILD_PRIVATE_KEY/);
  });
});
