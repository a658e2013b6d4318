import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { InvalidInputError } from "../errors/input.js";
import type { LogLevel } from "../log/createLogger.js";
import { registerSecret, registerUrlSecrets } from "../log/secrets.js";

/**
 * Guild's configuration, read from environment variables (and `.env`, loaded by the CLI). Every variable
 * is optional; `.env.example` lists them all with their defaults.
 */
export type GuildConfig = {
  /** JSON-RPC URL of the chain; undefined means the embedded local chain. */
  rpcUrl: string | undefined;
  /** Host and port of the embedded chain (a Hardhat node Guild starts or reuses). */
  chainHost: string;
  chainPort: number;
  /** Folder for deployments, wallets, agent state and transcripts. */
  home: string;
  /** Blocks a log must be buried under before followers act on it; undefined = 0 on dev chains, else 2. */
  confirmations: number | undefined;
  /** Contract addresses that override the deployments file. */
  addresses: { escrow?: `0x${string}`; evaluator?: `0x${string}`; registry?: `0x${string}`; token?: `0x${string}` };
  /** How long to wait for a receipt before giving up, in milliseconds. */
  txTimeoutMs: number;
  /** Largest block range asked of `eth_getLogs` at once (shrunk automatically when a node refuses). */
  logPageSize: number;
  /** Throwaway private key for local use; prefer the keystore. */
  privateKey: `0x${string}` | undefined;
  /** Password of the keystore; when unset the CLI prompts for it. */
  keystorePassword: string | undefined;
  /** scrypt cost of new keystores (2^18 by default; the demo lowers it for its throwaway wallets). */
  keystoreScryptN: number;
  /** Bearer token of daemons' control API; a random one is made per daemon when unset. */
  apiToken: string | undefined;
  logLevel: LogLevel;
  openai: { apiKey: string | undefined; baseUrl: string | undefined; model: string };
  /** The spending guard's policy, as written (amounts with token symbols are resolved on the chain). */
  spending: {
    /** Largest single payment, stake or escrow funding, per token: "0.05 ETH, 50 gUSD". */
    maxPerTransaction: string;
    /** Most spent per period, per token: "0.5 ETH, 500 gUSD". */
    maxPerPeriod: string;
    periodHours: number;
    /** Counterparties that may be paid or hired; empty means any. */
    allowlist: string[];
    /** Above these amounts a person must approve: "0.02 ETH, 20 gUSD"; "none" means never. */
    approvalAbove: string;
    /** Most one task spends when its words state no budget: "0.05 ETH, 50 gUSD". */
    maxPerTask: string;
    /** Most held in stakes on checks not yet claimed, per token: "0.5 ETH, 500 gUSD". */
    maxOpenStakes: string;
  };
};

const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 40-hex-digit address")
  .transform((value) => value as `0x${string}`);

const schema = z.object({
  GUILD_RPC_URL: z.url().optional(),
  GUILD_CHAIN_HOST: z.string().default("127.0.0.1"),
  GUILD_CHAIN_PORT: z.coerce.number().int().min(1).max(65_535).default(8545),
  GUILD_HOME: z.string().default(".guild"),
  GUILD_CONFIRMATIONS: z.coerce.number().int().min(0).max(1_000).optional(),
  GUILD_ESCROW_ADDRESS: address.optional(),
  GUILD_EVALUATOR_ADDRESS: address.optional(),
  GUILD_REGISTRY_ADDRESS: address.optional(),
  GUILD_TOKEN_ADDRESS: address.optional(),
  GUILD_TX_TIMEOUT_MS: z.coerce.number().int().min(1_000).default(120_000),
  GUILD_LOG_PAGE_SIZE: z.coerce.number().int().min(1).default(10_000),
  GUILD_PRIVATE_KEY: z
    .string()
    .regex(/^(0x)?[0-9a-fA-F]{64}$/, "must be 32 bytes of hex")
    .transform((value) => (value.startsWith("0x") ? value : `0x${value}`) as `0x${string}`)
    .optional(),
  GUILD_KEYSTORE_PASSWORD: z.string().min(1).optional(),
  GUILD_KEYSTORE_SCRYPT_N: z.coerce
    .number()
    .int()
    .refine((n) => n >= 1024 && n <= 1_048_576 && (n & (n - 1)) === 0, "must be a power of two from 1024 to 1048576")
    .default(262_144),
  GUILD_API_TOKEN: z.string().min(16).optional(),
  GUILD_LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: z.url().optional(),
  GUILD_MODEL: z.string().min(1).default("gpt-4o-mini"),
  GUILD_MAX_PER_TX: z.string().default("0.05 ETH, 50 gUSD"),
  GUILD_MAX_PER_PERIOD: z.string().default("0.5 ETH, 500 gUSD"),
  GUILD_PERIOD_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 365)
    .default(24),
  GUILD_ALLOWLIST: z.string().default(""),
  GUILD_APPROVAL_ABOVE: z.string().default("0.02 ETH, 20 gUSD"),
  GUILD_MAX_PER_TASK: z.string().default("0.05 ETH, 50 gUSD"),
  GUILD_MAX_OPEN_STAKES: z.string().default("0.5 ETH, 500 gUSD"),
});

/**
 * Parses Guild's configuration from `env`. Registers every secret it reads so logs and errors mask it.
 * Throws {@link InvalidInputError} naming the variable at fault.
 *
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): GuildConfig {
  // Empty strings in .env files mean "unset".
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
  // Secrets are registered before validation so that not even a validation message can echo them.
  registerSecret(present.GUILD_PRIVATE_KEY);
  registerSecret(present.GUILD_KEYSTORE_PASSWORD);
  registerSecret(present.OPENAI_API_KEY);
  registerSecret(present.GUILD_API_TOKEN);
  registerUrlSecrets(present.GUILD_RPC_URL);
  registerUrlSecrets(present.OPENAI_BASE_URL);

  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? "configuration");
    throw new InvalidInputError(
      field,
      issue?.message ?? "invalid value",
      `Fix ${field} in the environment or .env (see .env.example).`,
    );
  }
  const e = parsed.data;
  return {
    rpcUrl: e.GUILD_RPC_URL,
    chainHost: e.GUILD_CHAIN_HOST,
    chainPort: e.GUILD_CHAIN_PORT,
    home: isAbsolute(e.GUILD_HOME) ? e.GUILD_HOME : resolve(cwd, e.GUILD_HOME),
    confirmations: e.GUILD_CONFIRMATIONS,
    addresses: {
      ...(e.GUILD_ESCROW_ADDRESS ? { escrow: e.GUILD_ESCROW_ADDRESS } : {}),
      ...(e.GUILD_EVALUATOR_ADDRESS ? { evaluator: e.GUILD_EVALUATOR_ADDRESS } : {}),
      ...(e.GUILD_REGISTRY_ADDRESS ? { registry: e.GUILD_REGISTRY_ADDRESS } : {}),
      ...(e.GUILD_TOKEN_ADDRESS ? { token: e.GUILD_TOKEN_ADDRESS } : {}),
    },
    txTimeoutMs: e.GUILD_TX_TIMEOUT_MS,
    logPageSize: e.GUILD_LOG_PAGE_SIZE,
    privateKey: e.GUILD_PRIVATE_KEY,
    keystorePassword: e.GUILD_KEYSTORE_PASSWORD,
    keystoreScryptN: e.GUILD_KEYSTORE_SCRYPT_N,
    apiToken: e.GUILD_API_TOKEN,
    logLevel: e.GUILD_LOG_LEVEL,
    openai: { apiKey: e.OPENAI_API_KEY, baseUrl: e.OPENAI_BASE_URL, model: e.GUILD_MODEL },
    spending: {
      maxPerTransaction: e.GUILD_MAX_PER_TX,
      maxPerPeriod: e.GUILD_MAX_PER_PERIOD,
      periodHours: e.GUILD_PERIOD_HOURS,
      allowlist: e.GUILD_ALLOWLIST.split(/[\s,]+/).filter(Boolean),
      approvalAbove: e.GUILD_APPROVAL_ABOVE,
      maxPerTask: e.GUILD_MAX_PER_TASK,
      maxOpenStakes: e.GUILD_MAX_OPEN_STAKES,
    },
  };
}

/** Where things live under the Guild home folder. */
export function guildPaths(home: string) {
  return {
    deployments: join(home, "deployments"),
    wallets: join(home, "wallets"),
    agents: join(home, "agents"),
    agent: (name: string) => join(home, "agents", name),
  };
}
