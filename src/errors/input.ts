import { GuildError } from "./GuildError.js";

/** A value given by a person or a model is malformed. `field` names what was wrong. */
export class InvalidInputError extends GuildError {
  override name = "InvalidInputError";
  readonly field: string;

  constructor(field: string, problem: string, fix: string) {
    super(`Invalid ${field}: ${problem}. ${fix}`);
    this.field = field;
  }
}

/** An address that is not 20 bytes of hex, or fails its EIP-55 checksum. */
export class InvalidAddressError extends InvalidInputError {
  override name = "InvalidAddressError";

  constructor(field: string, value: string, problem: string) {
    super(
      field,
      `"${value.length > 60 ? `${value.slice(0, 60)}...` : value}" ${problem}`,
      "Give a 0x-prefixed 40-hex-digit address; if it has mixed case, the case must match its checksum.",
    );
  }
}

/** An amount that is not a positive decimal number, or has more decimals than its token. */
export class InvalidAmountError extends InvalidInputError {
  override name = "InvalidAmountError";
}
