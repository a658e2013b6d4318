import type { LocalAccount } from "viem";
import type { Logger } from "../log/createLogger.js";
import type { ChainConnection } from "./createConnection.js";
import type { GuildAddresses } from "./deployContracts.js";
import type { TxSender } from "./tx/createTxSender.js";

/** Read access to Guild on one chain: the connection, the contract addresses and where their history starts. */
export type GuildReader = {
  connection: ChainConnection;
  addresses: GuildAddresses;
  /** Block of the contracts' deployment: log readers start here. */
  fromBlock: bigint;
  logger: Logger;
};

/** What an agent needs to act on Guild: read access plus its account and transaction sender. */
export type GuildClient = GuildReader & {
  account: LocalAccount;
  sender: TxSender;
};
