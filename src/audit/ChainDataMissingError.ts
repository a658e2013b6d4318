import { GuildError } from "../errors/GuildError.js";

/**
 * The node answered `null` for a block or a receipt the audit needs (a pruned node, or a chain that
 * reorganised under the audit). Nothing is guessed in its place.
 */
export class ChainDataMissingError extends GuildError {
  override name = "ChainDataMissingError";
  /** What was asked: `block 1204`, `receipt 0xab…`. */
  readonly missing: string;

  constructor(missing: string) {
    super(`The node has no ${missing}.`, {
      metaMessages: [
        "Audit against a node that keeps the whole range (an archive node), or audit a shorter range (--from-block).",
      ],
    });
    this.missing = missing;
  }
}
