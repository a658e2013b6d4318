/*
 * THE SECRETS TEST. A realistic run of the wallet features (create, import, list, unlock three ways, fund,
 * and four failures) with a trace-level logger writing to a file. Afterwards every byte Guild wrote (the
 * log, the error messages and stacks, anything printed on stdout/stderr, every file under GUILD_HOME) is
 * searched for the private keys (with and without 0x) and the passwords. None may appear.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { inspect } from "node:util";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWalletClient, http, parseEther, type Hex } from "viem";
import { loadConfig } from "../../src/config/loadConfig.js";
import {
  FundingError,
  InvalidPrivateKeyError,
  PasswordMismatchError,
  WrongPasswordError,
} from "../../src/errors/wallet.js";
import { createLogger } from "../../src/log/createLogger.js";
import { clearSecrets, redact, REDACTED } from "../../src/log/secrets.js";
import { decryptKeystore } from "../../src/wallet/decryptKeystore.js";
import { fundFromDevAccount } from "../../src/wallet/fundFromDevAccount.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import { readKeystoreFile } from "../../src/wallet/readKeystoreFile.js";
import {
  walletAddress,
  walletFund,
  walletImport,
  walletList,
  walletNew,
} from "../../src/cli/commands/walletCommand.js";
import { startTestNode, type TestNode } from "../support/nodes.js";
import { TEST_SCRYPT_N, tempHome } from "./support.js";

// Fresh, never-published secrets for this run (the dev keys are public, so they are not what we guard).
const IMPORTED_KEY = "0x1f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a79881f2e3d4c5b6a7988" as Hex;
const THROWAWAY_KEY = "0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" as Hex;
const ENV_PASSWORD = "env-Password-7731";
const PROMPT_PASSWORD = "prompted pass phrase 4412";
const WRONG_PASSWORD = "wrong-guess-9090";
const MISTYPED_PASSWORD = "mistyped-again-5151";
// A key pasted with one digit missing: still a secret, and must not be echoed by the validation error.
const MANGLED_KEY = "0xfedcba9876543210fedcba9876543210fedcba9876543210fedcba987654321";

/** Every form a secret could be written in. */
function variants(secret: string): string[] {
  const forms = new Set([secret]);
  if (/^0x[0-9a-fA-F]+$/.test(secret)) {
    forms.add(secret.slice(2));
    forms.add(secret.slice(2).toUpperCase());
    forms.add(secret.slice(2).toLowerCase());
  }
  return [...forms];
}

/** Where `secret` (in any form) occurs in `texts`, as "source: form". */
function findSecret(texts: Map<string, string>, secret: string): string[] {
  const hits: string[] = [];
  for (const [source, text] of texts)
    for (const form of variants(secret)) if (text.includes(form)) hits.push(`${source}: ${form.slice(0, 6)}...`);
  return hits;
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .map((entry) => join(folder, entry))
    .filter((path) => statSync(path).isFile());
}

describe("secrets never leak", () => {
  let node: TestNode;
  let home = "";
  let cleanup = () => {};
  beforeAll(async () => {
    node = await startTestNode("hardhat");
  });
  afterAll(async () => {
    cleanup();
    await node?.stop();
  });

  it("appear in no log line, error, printed output or file written during a realistic run", async () => {
    clearSecrets();
    const t = tempHome();
    home = t.home;
    cleanup = t.cleanup;
    const logFile = join(home, "logs", "guild.log");
    mkdirSync(join(home, "logs"));
    const logger = createLogger({ level: "trace", destination: pino.destination({ dest: logFile, sync: true }) });

    // Everything printed on stdout/stderr during the run is captured (and still passed through).
    let printed = "";
    const originalOut = process.stdout.write.bind(process.stdout);
    const originalErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed += chunk.toString();
      return originalOut(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed += chunk.toString();
      return originalErr(chunk, ...rest);
    }) as typeof process.stderr.write;

    const errors: unknown[] = [];
    const expectFailure = async (
      what: string,
      run: () => Promise<unknown>,
      type: abstract new (...args: never[]) => Error,
    ) => {
      const error = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, what).toBeInstanceOf(type);
      errors.push(error);
      // What the CLI will do with a failure: log it with its cause chain.
      logger.error({ err: error }, `${what} failed`);
    };
    let aliceKey: Hex;
    try {
      const envConfig = loadConfig({
        GUILD_HOME: home,
        GUILD_KEYSTORE_PASSWORD: ENV_PASSWORD,
        GUILD_LOG_LEVEL: "trace",
      });
      const promptConfig = loadConfig({ GUILD_HOME: home });
      const throwawayConfig = loadConfig({ GUILD_HOME: home, GUILD_PRIVATE_KEY: THROWAWAY_KEY });
      const answers = [PROMPT_PASSWORD, PROMPT_PASSWORD];
      const prompt = async () => answers.shift() ?? PROMPT_PASSWORD;

      // 1. Create a wallet with the password from the environment; import one with a typed password.
      const alice = await walletNew({ config: envConfig, logger, name: "alice", scryptN: TEST_SCRYPT_N });
      const bob = await walletImport({
        config: promptConfig,
        logger,
        name: "bob",
        privateKey: IMPORTED_KEY,
        promptPassword: prompt,
        scryptN: TEST_SCRYPT_N,
      });
      logger.info({ wallets: await walletList({ config: envConfig, logger }) }, "wallets");
      await walletAddress({ config: envConfig, logger, name: "bob" });

      // 2. Unlock accounts: env password, prompt, and the throwaway GUILD_PRIVATE_KEY.
      const aliceAccount = (await loadAccount({ config: envConfig, logger, name: "alice" })).account;
      const bobAccount = (
        await loadAccount({ config: promptConfig, logger, name: "bob", promptPassword: async () => PROMPT_PASSWORD })
      ).account;
      const carol = await loadAccount({ config: throwawayConfig, logger, name: "carol" });
      expect(carol.source).toBe("GUILD_PRIVATE_KEY");
      expect(bobAccount.address).toBe(bob.address);
      expect(aliceAccount.address).toBe(alice.address);

      // 3. Fund all three on the dev chain, and let alice pay bob.
      await walletFund({ config: envConfig, logger, name: "alice", rpcUrl: node.url });
      await walletFund({ config: envConfig, logger, name: "bob", rpcUrl: node.url });
      await fundFromDevAccount({ rpcUrl: node.url, address: carol.account.address, logger });
      const aliceWallet = createWalletClient({ account: aliceAccount, transport: http(node.url) });
      await aliceWallet.sendTransaction({ to: bob.address, value: parseEther("0.1"), chain: null });

      // 4. Failures: a wrong password, a mistyped confirmation, a mangled key, a transfer beyond the balance,
      //    a top-up beyond what the dev account holds.
      await expectFailure(
        "unlock with a wrong password",
        () => loadAccount({ config: promptConfig, logger, name: "bob", promptPassword: async () => WRONG_PASSWORD }),
        WrongPasswordError,
      );
      const mistyped = [PROMPT_PASSWORD, MISTYPED_PASSWORD];
      await expectFailure(
        "new wallet with mistyped confirmation",
        () =>
          walletNew({
            config: promptConfig,
            logger,
            name: "dave",
            promptPassword: async () => mistyped.shift() ?? "",
            scryptN: TEST_SCRYPT_N,
          }),
        PasswordMismatchError,
      );
      await expectFailure(
        "import of a mangled key",
        () =>
          walletImport({ config: envConfig, logger, name: "erin", privateKey: MANGLED_KEY, scryptN: TEST_SCRYPT_N }),
        InvalidPrivateKeyError,
      );
      await expectFailure(
        "transfer beyond the balance",
        () => aliceWallet.sendTransaction({ to: bob.address, value: parseEther("1000"), chain: null }),
        Error,
      );
      await expectFailure(
        "top-up beyond the dev account",
        () =>
          fundFromDevAccount({ rpcUrl: node.url, address: bob.address, nativeTarget: parseEther("100000000"), logger }),
        FundingError,
      );

      // The test reads alice's generated key from her keystore, to know what to look for.
      const parsed = await readKeystoreFile(alice.file, "alice");
      aliceKey = (await decryptKeystore({ keystore: parsed.keystore, password: ENV_PASSWORD, file: alice.file }))
        .privateKey;
    } finally {
      process.stdout.write = originalOut;
      process.stderr.write = originalErr;
    }

    const secrets = {
      aliceKey,
      IMPORTED_KEY,
      THROWAWAY_KEY,
      ENV_PASSWORD,
      PROMPT_PASSWORD,
      WRONG_PASSWORD,
      MISTYPED_PASSWORD,
      MANGLED_KEY,
    };

    // Everything written: the log, the errors (message, stack, every property and cause), printed output, files.
    const texts = new Map<string, string>();
    const log = readFileSync(logFile, "utf8");
    texts.set("log file", log);
    texts.set("stdout/stderr", printed);
    errors.forEach((error, index) => {
      texts.set(`error ${index} message`, (error as Error).message);
      texts.set(`error ${index} stack`, String((error as Error).stack));
      texts.set(`error ${index} inspected`, inspect(error, { depth: 20, showHidden: true }));
      texts.set(`error ${index} string`, String(error));
    });
    const keystores: string[] = [];
    for (const file of filesUnder(home)) {
      const isKeystore = relative(home, file).startsWith("wallets/") && file.endsWith(".json");
      if (isKeystore) keystores.push(file);
      texts.set(relative(home, file), readFileSync(file, "utf8"));
    }

    // The run did what it claims: a detailed log, five failures, three keystores.
    const lines = log.trim().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(log).toContain('"msg":"wallet created"');
    expect(log).toContain('"msg":"wallet imported"');
    expect(log).toContain("throwaway local use only");
    expect(log).toContain('"msg":"funded agent wallet from dev account"');
    expect(log).toContain("unlock with a wrong password failed");
    expect(errors).toHaveLength(5);
    expect(keystores.map((file) => relative(home, file)).sort()).toEqual(["wallets/alice.json", "wallets/bob.json"]);

    // The search works: it finds a secret planted in a copy of the texts.
    const planted = new Map(texts);
    planted.set("planted", `oops ${IMPORTED_KEY.slice(2).toUpperCase()}`);
    expect(findSecret(planted, IMPORTED_KEY)).toEqual(["planted: 1F2E3D..."]);

    // The assertion itself: no secret anywhere, keystores included (they hold only ciphertext).
    for (const [name, secret] of Object.entries(secrets)) {
      expect(findSecret(texts, secret), name).toEqual([]);
    }
    // The code never even tried to log a secret: the masking safety net had nothing to mask.
    expect(log).not.toContain(REDACTED);
    // And every secret the run handled was registered for masking.
    for (const [name, secret] of Object.entries(secrets)) expect(redact(`x ${secret} x`), name).toBe(`x ${REDACTED} x`);
  });
});
