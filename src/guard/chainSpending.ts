import { erc20Abi, getAddress, isAddressEqual, zeroAddress, type Address } from "viem";
import type { GuildReader } from "../chain/GuildClient.js";
import { readLogs } from "../chain/logs/readLogs.js";
import { findBlockByTime } from "../chain/reads/findBlockByTime.js";
import { jobEscrowAbi } from "../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import type { NativePaymentLedger } from "./nativePaymentLedger.js";

const jobFunded = jobEscrowAbi.filter((item) => item.type === "event" && item.name === "JobFunded");
const staked = stakedEvaluatorAbi.filter((item) => item.type === "event" && item.name === "Staked");
const transfer = erc20Abi.filter((item) => item.type === "event" && item.name === "Transfer");

/**
 * What `account` spent since `sinceTimestamp`, per token, read from the chain: escrow funding
 * (JobFunded with it as client), stakes (Staked), direct ERC-20 payments (Transfer from it, except into
 * Guild's contracts, already counted) and direct native payments (the ledger's hashes, whose value and
 * time come from the chain). A restart forgets nothing: the chain remembers.
 *
 * @example
 * const spent = await spentSince(reader, { account, sinceTimestamp: now - 86_400n, tokens, ledger });
 */
export async function spentSince(
  reader: GuildReader,
  {
    account,
    sinceTimestamp,
    tokens,
    ledger,
  }: { account: Address; sinceTimestamp: bigint; tokens: Address[]; ledger: NativePaymentLedger },
): Promise<Map<Address, bigint>> {
  const { connection, addresses } = reader;
  const client = connection.publicClient;
  const fromBlock = await findBlockByTime(connection, { timestamp: sinceTimestamp, fromBlock: reader.fromBlock });
  const spent = new Map<Address, bigint>();
  const add = (token: Address, amount: bigint) => {
    const key = getAddress(token);
    spent.set(key, (spent.get(key) ?? 0n) + amount);
  };
  // Uncached: viem reuses a block number for a polling interval, and a spend mined just before this
  // check (the previous call in the guard's queue) must be inside the range read.
  const latest = await client.getBlockNumber({ cacheTime: 0 });
  if (fromBlock <= latest) {
    const erc20 = tokens.filter((token) => token !== zeroAddress);
    const [funded, stakes, transfers] = await Promise.all([
      readLogs(client, { address: addresses.escrow, events: jobFunded, fromBlock, toBlock: latest }),
      readLogs(client, { address: addresses.evaluator, events: staked, fromBlock, toBlock: latest }),
      erc20.length === 0
        ? Promise.resolve([])
        : readLogs(client, { address: erc20, events: transfer, fromBlock, toBlock: latest }),
    ]);
    for (const log of funded) if (isAddressEqual(log.args.client, account)) add(log.args.token, log.args.amount);
    for (const log of stakes) if (isAddressEqual(log.args.staker, account)) add(log.args.token, log.args.amount);
    for (const log of transfers) {
      const { from, to, value } = log.args;
      if (!isAddressEqual(from, account)) continue;
      if (isAddressEqual(to, addresses.escrow) || isAddressEqual(to, addresses.evaluator)) continue;
      add(log.address, value);
    }
  }
  for (const hash of ledger.hashes()) {
    const tx = await client.getTransaction({ hash }).catch(() => undefined);
    if (!tx?.blockNumber || !isAddressEqual(tx.from, account) || tx.value === 0n) continue;
    if (tx.blockNumber < fromBlock) continue;
    add(zeroAddress, tx.value);
  }
  return spent;
}
