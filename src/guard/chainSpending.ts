import { erc20Abi, getAddress, isAddressEqual, zeroAddress, type Address } from "viem";
import { addressTopic } from "../audit/auditEvents.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { readLogs } from "../chain/logs/readLogs.js";
import { findBlockByTime } from "../chain/reads/findBlockByTime.js";
import { jobEscrowAbi } from "../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import type { NativePaymentLedger } from "./nativePaymentLedger.js";

const jobFunded = jobEscrowAbi.filter((item) => item.type === "event" && item.name === "JobFunded");
const staked = stakedEvaluatorAbi.filter((item) => item.type === "event" && item.name === "Staked");
const transfer = erc20Abi.filter((item) => item.type === "event" && item.name === "Transfer");
const stakeClaimed = stakedEvaluatorAbi.filter((item) => item.type === "event" && item.name === "StakeClaimed");

/**
 * What `account` spent since `sinceTimestamp`, per token, read from the chain: escrow funding
 * (JobFunded with it as client), stakes (Staked), direct ERC-20 payments (Transfer from it, except into
 * Guild's contracts, already counted) and direct native payments (the ledger's hashes, whose value and
 * time come from the chain). A restart forgets nothing: the chain remembers. The node filters the logs by
 * the agent's address (an indexed topic of each event), so the cost grows with the agent's own activity,
 * not with everyone's.
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
    const me = addressTopic(account);
    const range = { fromBlock, toBlock: latest };
    const [funded, stakes, transfers] = await Promise.all([
      // JobFunded(jobId, client, token), Staked(jobId, staker, token), Transfer(from, to): all indexed.
      readLogs(client, { address: addresses.escrow, events: jobFunded, topics: [null, me], ...range }),
      readLogs(client, { address: addresses.evaluator, events: staked, topics: [null, me], ...range }),
      erc20.length === 0
        ? Promise.resolve([])
        : readLogs(client, { address: erc20, events: transfer, topics: [me], ...range }),
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

/**
 * What `account` holds in stakes on checks it has not claimed yet, per token: a stake's money goes to
 * whoever wins the other side, so until it is claimed it is value at risk. Read from the chain (its own
 * Staked events minus the jobs it claimed), filtered by the agent's address.
 *
 * @example
 * const open = await openStakes(reader, { account }); // Map { 0x0…0 => 1000000000000000n }
 */
export async function openStakes(
  reader: GuildReader,
  { account }: { account: Address },
): Promise<Map<Address, bigint>> {
  const client = reader.connection.publicClient;
  const toBlock = await client.getBlockNumber({ cacheTime: 0 });
  const range = {
    address: reader.addresses.evaluator,
    topics: [null, addressTopic(account)],
    fromBlock: reader.fromBlock,
    toBlock,
  };
  const [stakes, claims] = await Promise.all([
    readLogs(client, { ...range, events: staked }),
    readLogs(client, { ...range, events: stakeClaimed }),
  ]);
  const claimed = new Set(claims.map((log) => log.args.jobId));
  const open = new Map<Address, bigint>();
  for (const log of stakes) {
    if (claimed.has(log.args.jobId)) continue;
    const token = getAddress(log.args.token);
    open.set(token, (open.get(token) ?? 0n) + log.args.amount);
  }
  return open;
}
