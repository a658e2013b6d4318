import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/loadConfig.js";
import { InvalidInputError } from "../../src/errors/input.js";
import { clearSecrets, redact } from "../../src/log/secrets.js";

afterEach(() => clearSecrets());

describe("loadConfig", () => {
  it("has a default for everything", () => {
    const config = loadConfig({}, "/work/project");
    expect(config.rpcUrl).toBeUndefined();
    expect(config.chainPort).toBe(8545);
    expect(config.home).toBe("/work/project/.guild");
    expect(config.spending).toEqual({
      maxPerTransaction: "0.05 ETH, 50 gUSD",
      maxPerPeriod: "0.5 ETH, 500 gUSD",
      maxPerTask: "0.05 ETH, 50 gUSD",
      maxOpenStakes: "0.5 ETH, 500 gUSD",
      periodHours: 24,
      allowlist: [],
      approvalAbove: "0.02 ETH, 20 gUSD",
    });
    expect(config.keystoreScryptN).toBe(262_144);
    expect(config.openai.model).toBe("gpt-4o-mini");
  });

  it("treats empty values as unset and reads the rest", () => {
    const config = loadConfig({
      GUILD_RPC_URL: "",
      GUILD_CHAIN_PORT: "9000",
      GUILD_ALLOWLIST: "0xabc, 0xdef",
      GUILD_HOME: "/tmp/g",
    });
    expect(config.rpcUrl).toBeUndefined();
    expect(config.chainPort).toBe(9000);
    expect(config.spending.allowlist).toEqual(["0xabc", "0xdef"]);
    expect(config.home).toBe("/tmp/g");
  });

  it.each([
    ["GUILD_CHAIN_PORT", "70000"],
    ["GUILD_RPC_URL", "not a url"],
    ["GUILD_PRIVATE_KEY", "0x1234"],
    ["GUILD_KEYSTORE_SCRYPT_N", "1000"],
    ["GUILD_ESCROW_ADDRESS", "0x12"],
    ["GUILD_LOG_LEVEL", "loud"],
  ])("names the variable at fault: %s=%s", (name, value) => {
    const error = (() => {
      try {
        loadConfig({ [name]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as InvalidInputError).field).toBe(name);
    expect((error as Error).message).toContain(".env.example");
  });

  it("registers secrets before validating, so no message can echo them", () => {
    const key = `0x${"ab".repeat(32)}`;
    const apiKey = "sk-test-not-a-real-key-123456";
    loadConfig({
      GUILD_PRIVATE_KEY: key,
      OPENAI_API_KEY: apiKey,
      GUILD_RPC_URL: "https://user:hunter2-password@rpc.example.com/v3/0123456789abcdef0123456789",
    });
    const text = `key ${key} bare ${key.slice(2)} api ${apiKey} pw hunter2-password path 0123456789abcdef0123456789`;
    const masked = redact(text);
    expect(masked).not.toContain(key.slice(2));
    expect(masked).not.toContain(apiKey);
    expect(masked).not.toContain("hunter2-password");
    expect(masked).not.toContain("0123456789abcdef0123456789");
    expect(masked).toContain("[redacted]");
  });
});
