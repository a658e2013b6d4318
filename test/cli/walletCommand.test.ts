import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { privateKeyToAccount } from "viem/accounts";
import {
  InvalidPrivateKeyError,
  PasswordMismatchError,
  PasswordRequiredError,
  WalletExistsError,
} from "../../src/errors/wallet.js";
import { silentLogger } from "../../src/log/createLogger.js";
import {
  walletAddress,
  walletFund,
  walletImport,
  walletList,
  walletNew,
} from "../../src/cli/commands/walletCommand.js";
import { DEFAULT_NATIVE_TARGET } from "../../src/wallet/fundFromDevAccount.js";
import { loadAccount } from "../../src/wallet/loadAccount.js";
import { startTestNode, type TestNode } from "../support/nodes.js";
import { TEST_SCRYPT_N, tempHome } from "../wallet/support.js";

const KEY = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6" as const;
const logger = silentLogger();

/** A prompt that answers from a script and records what it was asked. */
function scripted(...answers: string[]) {
  const asked: string[] = [];
  const prompt = async (message: string) => {
    asked.push(message);
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unexpected prompt: ${message}`);
    return answer;
  };
  return { prompt, asked };
}

describe("wallet commands", () => {
  let home = "";
  let cleanup = () => {};
  const config = (extra: { keystorePassword?: string; privateKey?: `0x${string}` } = {}) => ({
    home,
    keystorePassword: extra.keystorePassword,
    privateKey: extra.privateKey,
  });
  afterEach(() => cleanup());
  const fresh = () => {
    const t = tempHome();
    home = t.home;
    cleanup = t.cleanup;
  };

  it("new: asks for the password twice when none is configured, and the wallet then opens with it", async () => {
    fresh();
    const { prompt, asked } = scripted("typed password 1", "typed password 1");
    const created = await walletNew({
      config: config(),
      logger,
      name: "alice",
      promptPassword: prompt,
      scryptN: TEST_SCRYPT_N,
    });
    expect(asked).toEqual(['New password for wallet "alice": ', "Repeat the password: "]);
    const { account } = await loadAccount({ config: config({ keystorePassword: "typed password 1" }), name: "alice" });
    expect(account.address).toBe(created.address);
  });

  it("new: mismatched entries, no password source, or an existing name write nothing", async () => {
    fresh();
    await expect(
      walletNew({
        config: config(),
        logger,
        name: "alice",
        promptPassword: scripted("first one!", "second one").prompt,
        scryptN: TEST_SCRYPT_N,
      }),
    ).rejects.toBeInstanceOf(PasswordMismatchError);
    await expect(walletNew({ config: config(), logger, name: "alice", scryptN: TEST_SCRYPT_N })).rejects.toBeInstanceOf(
      PasswordRequiredError,
    );
    expect(await walletList({ config: config(), logger })).toEqual([]);

    await walletNew({
      config: config({ keystorePassword: "env password" }),
      logger,
      name: "alice",
      scryptN: TEST_SCRYPT_N,
    });
    // The existing wallet is noticed before anyone is asked for a password.
    const { prompt, asked } = scripted();
    await expect(
      walletNew({ config: config(), logger, name: "alice", promptPassword: prompt, scryptN: TEST_SCRYPT_N }),
    ).rejects.toBeInstanceOf(WalletExistsError);
    expect(asked).toEqual([]);
  });

  it("import: takes the key from the argument, GUILD_PRIVATE_KEY or the prompt", async () => {
    fresh();
    const expected = privateKeyToAccount(KEY).address;
    const a = await walletImport({
      config: config({ keystorePassword: "env password" }),
      logger,
      name: "a",
      privateKey: KEY,
      scryptN: TEST_SCRYPT_N,
    });
    const b = await walletImport({
      config: config({ keystorePassword: "env password", privateKey: KEY }),
      logger,
      name: "b",
      scryptN: TEST_SCRYPT_N,
    });
    const { prompt, asked } = scripted(KEY.slice(2), "pw for c!", "pw for c!");
    const c = await walletImport({
      config: config(),
      logger,
      name: "c",
      promptPassword: prompt,
      scryptN: TEST_SCRYPT_N,
    });
    expect([a.address, b.address, c.address]).toEqual([expected, expected, expected]);
    expect(asked[0]).toBe('Private key for wallet "c" (0x..., not shown): ');
    await expect(
      walletImport({ config: config({ keystorePassword: "env password" }), logger, name: "d", scryptN: TEST_SCRYPT_N }),
    ).rejects.toBeInstanceOf(InvalidPrivateKeyError);
  });

  it("list and address need no password", async () => {
    fresh();
    const alice = await walletNew({
      config: config({ keystorePassword: "env password" }),
      logger,
      name: "alice",
      scryptN: TEST_SCRYPT_N,
    });
    const bob = await walletImport({
      config: config({ keystorePassword: "env password" }),
      logger,
      name: "bob",
      privateKey: KEY,
      scryptN: TEST_SCRYPT_N,
    });
    expect(await walletList({ config: { home }, logger })).toEqual([alice, bob]);
    expect(await walletAddress({ config: { home }, logger, name: "bob" })).toEqual(bob);
  });

  describe("fund", () => {
    let node: TestNode;
    beforeAll(async () => {
      node = await startTestNode("anvil");
    });
    afterAll(async () => node?.stop());

    it("tops a named wallet up from a dev account", async () => {
      fresh();
      const alice = await walletNew({
        config: config({ keystorePassword: "env password" }),
        logger,
        name: "alice",
        scryptN: TEST_SCRYPT_N,
      });
      const result = await walletFund({ config: { home }, logger, name: "alice", rpcUrl: node.url });
      expect(result).toMatchObject({
        name: "alice",
        address: alice.address,
        nativeSent: DEFAULT_NATIVE_TARGET,
        chainId: 31337,
      });
    });
  });
});
