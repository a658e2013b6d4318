import type { LocalAccount } from "viem";
import type { GuildClient, GuildReader } from "./GuildClient.js";
import { createTxSender, type SubmittedTx } from "./tx/createTxSender.js";

export type CreateGuildClientParameters = {
  account: LocalAccount;
  /** Receipt timeout in milliseconds. */
  timeoutMs?: number;
  onSubmitted?: (submitted: SubmittedTx) => void;
};

/**
 * Gives an agent's account the means to act on Guild: its own transaction sender (one nonce sequence)
 * over the reader's connection. Create one per account and share it among everything that sends for it.
 *
 * @example
 * const alice = createGuildClient(guild, { account: privateKeyToAccount(key) });
 * await createAndFundJob(alice, { ... });
 */
export function createGuildClient(
  reader: GuildReader,
  { account, timeoutMs, onSubmitted }: CreateGuildClientParameters,
): GuildClient {
  const logger = reader.logger.child({ account: account.address });
  const sender = createTxSender({
    connection: reader.connection,
    account,
    logger,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(onSubmitted ? { onSubmitted } : {}),
  });
  return { ...reader, logger, account, sender };
}
