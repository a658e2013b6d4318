/*
 * `guild wallet new|import|list|address|fund`: each a core function over the wallet operations (config, logger
 * and the command's arguments in, a plain result out) and its adapter for the CLI (`walletNewCommand`, ...).
 * Secrets come from the config (GUILD_KEYSTORE_PASSWORD, GUILD_PRIVATE_KEY) or from the injected prompt.
 */
import type { Address } from "viem";
import type { GuildConfig } from "../../config/loadConfig.js";
import { InvalidPrivateKeyError } from "../../errors/wallet.js";
import type { Logger } from "../../log/createLogger.js";
import { registerSecret } from "../../log/secrets.js";
import { assertWalletAbsent } from "../../wallet/assertWalletAbsent.js";
import { createWallet } from "../../wallet/createWallet.js";
import { fundFromDevAccount, type FundFromDevAccountReturnType } from "../../wallet/fundFromDevAccount.js";
import { getWalletAddress } from "../../wallet/getWalletAddress.js";
import { importWallet } from "../../wallet/importWallet.js";
import { listWallets } from "../../wallet/listWallets.js";
import { newWalletPassword } from "../../wallet/newWalletPassword.js";
import { type PromptPassword, promptPassword as terminalPrompt } from "../../wallet/promptPassword.js";
import type { WalletSummary } from "../../wallet/storeWalletKey.js";
import { walletFile } from "../../wallet/walletFile.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { formatTable } from "../formatTable.js";

type WalletConfig = Pick<GuildConfig, "home" | "keystorePassword" | "privateKey">;

export type WalletNewParameters = {
  config: WalletConfig;
  logger: Logger;
  name: string;
  /** Asked twice for the new password when GUILD_KEYSTORE_PASSWORD is unset. */
  promptPassword?: PromptPassword;
  /** scrypt cost; default 2^18. Lower only in tests. */
  scryptN?: number;
};

/**
 * `guild wallet new <name>`: a new key, encrypted with GUILD_KEYSTORE_PASSWORD or a password typed twice.
 *
 * @example
 * const { name, address, file } = await walletNew({ config, logger, name: "alice", promptPassword });
 * // prints: alice 0x1234...abcd (/home/me/.guild/wallets/alice.json)
 */
export async function walletNew({
  config,
  logger,
  name,
  promptPassword,
  scryptN,
}: WalletNewParameters): Promise<WalletSummary> {
  await assertWalletAbsent(config.home, name);
  const password = await newWalletPassword({ config, name, promptPassword });
  return createWallet({ home: config.home, name, password, logger, ...(scryptN === undefined ? {} : { scryptN }) });
}

export type WalletImportParameters = WalletNewParameters & {
  /** The key; default GUILD_PRIVATE_KEY, else asked for with the (non-echoing) prompt. Never pass it as a CLI argument. */
  privateKey?: string;
};

/**
 * `guild wallet import <name>`: encrypts an existing key (from `privateKey`, GUILD_PRIVATE_KEY or the prompt).
 *
 * @example
 * const { address } = await walletImport({ config, logger, name: "bob", promptPassword });
 */
export async function walletImport({
  config,
  logger,
  name,
  privateKey,
  promptPassword,
  scryptN,
}: WalletImportParameters): Promise<WalletSummary> {
  await assertWalletAbsent(config.home, name);
  let key = privateKey ?? config.privateKey;
  if (key === undefined && promptPassword) {
    key = await promptPassword(`Private key for wallet "${name}" (0x..., not shown): `);
    registerSecret(key);
  }
  if (key === undefined) {
    throw new InvalidPrivateKeyError("none was given (set GUILD_PRIVATE_KEY or run in a terminal to be asked)");
  }
  registerSecret(key);
  const password = await newWalletPassword({ config, name, promptPassword });
  return importWallet({
    home: config.home,
    name,
    privateKey: key,
    password,
    logger,
    ...(scryptN === undefined ? {} : { scryptN }),
  });
}

export type WalletListParameters = { config: Pick<GuildConfig, "home">; logger: Logger };

/**
 * `guild wallet list`: names and addresses, no password needed.
 *
 * @example
 * const wallets = await walletList({ config, logger });
 * // [{ name: "alice", address: "0x...", file: "..." }, ...]
 */
export async function walletList({ config, logger }: WalletListParameters): Promise<WalletSummary[]> {
  const wallets = await listWallets({ home: config.home });
  logger.child({ module: "cli/commands/walletCommand" }).debug({ count: wallets.length }, "listed wallets");
  return wallets;
}

export type WalletAddressParameters = { config: Pick<GuildConfig, "home">; logger: Logger; name: string };

/**
 * `guild wallet address <name>`: the address, no password needed.
 *
 * @example
 * const { address } = await walletAddress({ config, logger, name: "alice" });
 */
export async function walletAddress({ config, logger, name }: WalletAddressParameters): Promise<WalletSummary> {
  const address = await getWalletAddress({ home: config.home, name });
  logger.child({ module: "cli/commands/walletCommand" }).debug({ wallet: name, address }, "read wallet address");
  return { name, address, file: walletFile(config.home, name) };
}

export type WalletFundParameters = {
  config: Pick<GuildConfig, "home">;
  logger: Logger;
  name: string;
  /** The chain: the embedded chain's URL (from ensureEmbeddedChain) or config.rpcUrl. */
  rpcUrl: string;
  /** Native balance (wei) to top up to; default 1 ETH. */
  nativeTarget?: bigint;
  /** Test-token balance to top up to (base units). */
  token?: { address: Address; target: bigint };
};

/**
 * `guild wallet fund <name>`: on a local dev chain, tops the wallet up from a dev account; elsewhere throws
 * `FundingRequiredError` explaining how to fund it. No password needed.
 *
 * @example
 * const { nativeSent } = await walletFund({ config, logger, name: "alice", rpcUrl: chain.url });
 */
export async function walletFund({
  config,
  logger,
  name,
  rpcUrl,
  nativeTarget,
  token,
}: WalletFundParameters): Promise<FundFromDevAccountReturnType & { name: string; address: Address }> {
  const address = await getWalletAddress({ home: config.home, name });
  const result = await fundFromDevAccount({
    rpcUrl,
    address,
    logger,
    ...(nativeTarget === undefined ? {} : { nativeTarget }),
    ...(token === undefined ? {} : { token }),
  });
  return { ...result, name, address };
}

const prompt = () => (process.stdin.isTTY ? { promptPassword: terminalPrompt } : {});

export async function walletNewCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletNew({
    config: ctx.config,
    logger: ctx.logger,
    name,
    scryptN: ctx.config.keystoreScryptN,
    ...prompt(),
  });
  ctx.print(`Created wallet ${wallet.name}: ${wallet.address} (${wallet.file}).`, wallet);
  return EXIT.ok;
}

export async function walletImportCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletImport({
    config: ctx.config,
    logger: ctx.logger,
    name,
    scryptN: ctx.config.keystoreScryptN,
    ...prompt(),
  });
  ctx.print(`Imported wallet ${wallet.name}: ${wallet.address} (${wallet.file}).`, wallet);
  return EXIT.ok;
}

export async function walletListCommand(ctx: CliContext): Promise<number> {
  const wallets = await walletList({ config: ctx.config, logger: ctx.logger });
  ctx.print(
    wallets.length === 0
      ? "No wallets yet: `guild wallet new <name>` creates one."
      : formatTable(
          ["name", "address"],
          wallets.map((w) => [w.name, w.address]),
        ),
    wallets,
  );
  return EXIT.ok;
}

export async function walletAddressCommand(ctx: CliContext, name: string): Promise<number> {
  const wallet = await walletAddress({ config: ctx.config, logger: ctx.logger, name });
  ctx.print(wallet.address, wallet);
  return EXIT.ok;
}

export async function walletFundCommand(ctx: CliContext, name: string): Promise<number> {
  const rpcUrl = ctx.config.rpcUrl ?? `http://${ctx.config.chainHost}:${ctx.config.chainPort}`;
  const result = await walletFund({ config: ctx.config, logger: ctx.logger, name, rpcUrl });
  ctx.print(`Funded ${name}: ${result.transactions.length} transaction(s).`, result);
  return EXIT.ok;
}
