import { join } from "node:path";
import type { Address } from "viem";
import type { GuildReader } from "../chain/GuildClient.js";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import type { Logger } from "../log/createLogger.js";
import { listWallets } from "../wallet/listWallets.js";
import { createSpendingGuard, type SpendingGuard } from "./createSpendingGuard.js";
import { fileNativePaymentLedger } from "./nativePaymentLedger.js";
import { loadSpendingPolicy } from "./SpendingPolicy.js";

export type OpenSpendingGuardParameters = {
  config: GuildConfig;
  reader: GuildReader;
  /** The agent's wallet name: its native-payment ledger lives in its folder. */
  agentName: string;
  account: Address;
  logger: Logger;
};

/**
 * The spending guard of a named agent, as every entry point builds it (`guild ask`, `guild hire`, the
 * daemon): the policy from configuration (GUILD_MAX_PER_TX and the rest), spending counted from the
 * chain, and direct native payments recorded in `<agent folder>/native-payments.jsonl`.
 *
 * @example
 * const guard = await openSpendingGuard({ config, reader: guild, agentName: "alice", account: account.address, logger });
 */
export async function openSpendingGuard({
  config,
  reader,
  agentName,
  account,
  logger,
}: OpenSpendingGuardParameters): Promise<SpendingGuard> {
  return createSpendingGuard({
    reader,
    account,
    policy: await loadSpendingPolicy(reader, config.spending, logger),
    ledger: fileNativePaymentLedger(join(guildPaths(config.home).agent(agentName), "native-payments.jsonl")),
    logger,
  });
}

/**
 * The operator's address book: the addresses of its own wallets under GUILD_HOME (read from the keystores'
 * address field, no password). A task's direct payments may go to them without a person's approval.
 *
 * @example
 * const book = await loadAddressBook(config.home); // [0x70997970…, …]
 */
export async function loadAddressBook(home: string): Promise<Address[]> {
  return (await listWallets({ home })).map((wallet) => wallet.address);
}
