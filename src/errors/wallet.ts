import { GuildError, type GuildErrorOptions } from "./GuildError.js";
import { InvalidInputError } from "./input.js";

/*
 * Errors of the agent wallets (src/wallet). None of them ever carries a private key or a password: they name
 * the wallet, the file, the address or the chain, and say what to do.
 */

/** A wallet name that is not 1-32 lowercase letters, digits, `-` or `_`. */
export class InvalidWalletNameError extends InvalidInputError {
  override name = "InvalidWalletNameError";

  constructor(value: string) {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    super(
      "name",
      `"${shown}" is not a wallet name`,
      "Use 1 to 32 characters: lowercase letters, digits, - and _, starting with a letter or digit (e.g. alice, agent-2).",
    );
  }
}

/** A private key to import that is not 32 bytes of hex or not a valid secp256k1 key. Never echoes the key. */
export class InvalidPrivateKeyError extends InvalidInputError {
  override name = "InvalidPrivateKeyError";

  constructor(problem: string) {
    super("privateKey", problem, "Give the key as 64 hex digits, optionally 0x-prefixed (32 bytes).");
  }
}

/** A new keystore password that is too weak to protect a key. */
export class InvalidPasswordError extends InvalidInputError {
  override name = "InvalidPasswordError";

  constructor(problem: string) {
    super("password", problem, "Choose a password of at least 8 characters (GUILD_KEYSTORE_PASSWORD or the prompt).");
  }
}

/** `wallet new` or `wallet import` with a name that already has a keystore. */
export class WalletExistsError extends GuildError {
  override name = "WalletExistsError";
  readonly walletName: string;
  readonly file: string;

  constructor(walletName: string, file: string) {
    super(`Wallet "${walletName}" already exists at ${file}.`, {
      metaMessages: ["Guild never overwrites a keystore: pick another name, or move the file away first."],
    });
    this.walletName = walletName;
    this.file = file;
  }
}

/** No keystore for the wallet name (and no GUILD_PRIVATE_KEY to fall back on, where that applies). */
export class WalletNotFoundError extends GuildError {
  override name = "WalletNotFoundError";
  readonly walletName: string;
  readonly file: string;

  constructor(walletName: string, file: string, options: GuildErrorOptions = {}) {
    super(`No wallet named "${walletName}" (looked for ${file}).`, {
      ...options,
      metaMessages: options.metaMessages ?? [
        `Create it with \`guild wallet new ${walletName}\` or \`guild wallet import ${walletName}\`.`,
      ],
    });
    this.walletName = walletName;
    this.file = file;
  }
}

/** The password does not open the keystore (the keystore's MAC does not match). */
export class WrongPasswordError extends GuildError {
  override name = "WrongPasswordError";
  readonly file: string;

  constructor(file: string, options: GuildErrorOptions = {}) {
    super(`Wrong password for the keystore ${file}.`, {
      ...options,
      metaMessages: [
        "Check GUILD_KEYSTORE_PASSWORD or the password you typed. If the password is right, the file has been altered.",
      ],
    });
    this.file = file;
  }
}

/** A keystore file that is not a readable Web3 Secret Storage v3 document. */
export class KeystoreCorruptedError extends GuildError {
  override name = "KeystoreCorruptedError";
  readonly file: string;

  constructor(file: string, problem: string, options: GuildErrorOptions = {}) {
    super(`The keystore ${file} is damaged: ${problem}.`, {
      ...options,
      metaMessages: ["Restore it from a backup, or import the key again under a new name."],
    });
    this.file = file;
  }
}

/** A keystore needs a password and there is neither GUILD_KEYSTORE_PASSWORD nor a way to prompt for one. */
export class PasswordRequiredError extends GuildError {
  override name = "PasswordRequiredError";

  constructor(purpose: string) {
    super(`A keystore password is needed to ${purpose}.`, {
      metaMessages: ["Set GUILD_KEYSTORE_PASSWORD, or run the command in a terminal to be prompted."],
    });
  }
}

/** The two entries of a new password differ. */
export class PasswordMismatchError extends GuildError {
  override name = "PasswordMismatchError";

  constructor() {
    super("The two passwords you typed differ; nothing was written.", { metaMessages: ["Run the command again."] });
  }
}

/** The person closed the password prompt (Ctrl-C or end of input). */
export class PasswordPromptCancelledError extends GuildError {
  override name = "PasswordPromptCancelledError";
}

/**
 * An agent wallet lacks funds on a chain where Guild cannot fund it (anything but a local dev chain).
 * The message says the address, the chain and how to fund it.
 */
export class FundingRequiredError extends GuildError {
  override name = "FundingRequiredError";
  readonly address: `0x${string}`;
  readonly chainId: number;

  constructor(address: `0x${string}`, chainId: number, needs: string[], how: string[]) {
    super(`Wallet ${address} needs funds on chain ${chainId}: ${needs.join("; ")}.`, {
      metaMessages: [
        `Guild funds wallets only on local dev chains (chain id 31337 or 1337); on chain ${chainId} funding is yours to do.`,
        ...how,
      ],
    });
    this.address = address;
    this.chainId = chainId;
  }
}

/**
 * Funding an agent wallet failed: the dev account has no funds (the node does not use the standard mnemonic),
 * a transfer or mint failed, or the token cannot be read.
 */
export class FundingError extends GuildError {
  override name = "FundingError";
}
