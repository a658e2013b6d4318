import hre from "hardhat";
import type { NetworkConnection } from "hardhat/types/network";
import { getAddress, type Address, type Hex, type Log, type PublicClient } from "viem";
import { deployContracts, PUBLIC_CHECK_LIMITS, type GuildAddresses } from "../../src/chain/deployContracts.js";

/** A transaction of the simulation: sent without waiting, mined in bulk, its receipt handed to `onMined`. */
export type SimTx = {
  from: Address;
  to: Address;
  data: Hex;
  value?: bigint;
  /** A fixed gas limit: nothing is estimated, since the state it runs on is not mined yet. */
  gas: bigint;
  /** What the transaction is, for the revert count. */
  label: string;
  onMined?: (result: SimTxResult) => void;
};

export type SimTxResult = { ok: boolean; logs: Log[]; gasUsed: bigint };

type RpcReceipt = { status: Hex; gasUsed: Hex; logs: Log[] };

/** Transactions per block: EDR mines a block of 150 in ~0.6 ms a transaction, one of thousands several times slower. */
const BLOCK_CHUNK = 150;

/**
 * The in-process Hardhat network the simulation runs on, with its own nonce bookkeeping: automine is off, every
 * transaction carries its nonce and a zero gas price (the base fee is 0), so thousands are sent without waiting
 * and balances move only by the value the contracts move.
 */
export class SimChain {
  readonly accounts: Address[];
  readonly guild: GuildAddresses;
  readonly publicClient: PublicClient;
  private readonly connection: NetworkConnection;
  private readonly nonces = new Map<Address, number>();
  /** Transactions sent and reverted, by label. */
  readonly sent = new Map<string, number>();
  readonly reverted = new Map<string, number>();
  gasUsed = 0n;
  blocks = 0;

  private constructor(
    connection: NetworkConnection,
    publicClient: PublicClient,
    accounts: Address[],
    guild: GuildAddresses,
  ) {
    this.connection = connection;
    this.publicClient = publicClient;
    this.accounts = accounts;
    this.guild = guild;
  }

  /** A fresh in-process network with `accountCount` funded accounts and Guild's contracts deployed on it. */
  static async create(accountCount: number): Promise<SimChain> {
    const connection = await hre.network.create({
      override: {
        accounts: { count: accountCount, accountsBalance: 10n ** 30n },
        allowBlocksWithSameTimestamp: true,
        blockGasLimit: 2_000_000_000n,
        initialBaseFeePerGas: 0n,
        mining: { auto: true, mempool: { order: "fifo" } },
      },
    });
    const publicClient = (await connection.viem.getPublicClient()) as unknown as PublicClient;
    const wallets = await connection.viem.getWalletClients();
    const deployer = wallets[0];
    if (!deployer) throw new Error("the simulation network has no accounts");
    // Public-chain floors (5-minute response periods), not the dev ones: the game as it would run in production.
    const guild = await deployContracts(deployer, publicClient, { checkLimits: PUBLIC_CHECK_LIMITS });
    await connection.provider.request({ method: "evm_setAutomine", params: [false] });
    const accounts = wallets.map((w) => getAddress(w.account.address));
    const chain = new SimChain(connection, publicClient, accounts, guild);
    for (const account of accounts) {
      chain.nonces.set(account, await publicClient.getTransactionCount({ address: account }));
    }
    return chain;
  }

  async now(): Promise<bigint> {
    return (await this.publicClient.getBlock()).timestamp;
  }

  async balanceOf(address: Address): Promise<bigint> {
    return this.publicClient.getBalance({ address });
  }

  /**
   * Sends `txs` in order and mines them in blocks stamped `timestamp` (several blocks when there are many, all
   * with the same timestamp), then hands each its receipt. Transactions from different senders keep their order
   * (FIFO mempool), so a job's stakes land in the order its actors decided them.
   */
  async execute(timestamp: bigint, txs: readonly SimTx[]): Promise<void> {
    for (let start = 0; start < txs.length || start === 0; start += BLOCK_CHUNK) {
      const chunk = txs.slice(start, start + BLOCK_CHUNK);
      const hashes: Hex[] = [];
      for (const tx of chunk) hashes.push(await this.send(tx));
      await this.connection.provider.request({ method: "evm_mine", params: [Number(timestamp)] });
      this.blocks++;
      for (const [i, tx] of chunk.entries()) {
        const receipt = (await this.connection.provider.request({
          method: "eth_getTransactionReceipt",
          params: [hashes[i]],
        })) as RpcReceipt | null;
        if (!receipt) throw new Error(`${tx.label} from ${tx.from} was not mined`);
        const ok = receipt.status === "0x1";
        const gasUsed = BigInt(receipt.gasUsed);
        this.gasUsed += gasUsed;
        this.sent.set(tx.label, (this.sent.get(tx.label) ?? 0) + 1);
        if (!ok) this.reverted.set(tx.label, (this.reverted.get(tx.label) ?? 0) + 1);
        tx.onMined?.({ ok, logs: receipt.logs, gasUsed });
      }
      if (txs.length === 0) break;
    }
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async send(tx: SimTx): Promise<Hex> {
    const nonce = this.nonces.get(tx.from);
    if (nonce === undefined) throw new Error(`${tx.from} is not an account of the simulation`);
    this.nonces.set(tx.from, nonce + 1);
    return (await this.connection.provider.request({
      method: "eth_sendTransaction",
      params: [
        {
          from: tx.from,
          to: tx.to,
          data: tx.data,
          gas: `0x${tx.gas.toString(16)}`,
          gasPrice: "0x0",
          nonce: `0x${nonce.toString(16)}`,
          value: `0x${(tx.value ?? 0n).toString(16)}`,
        },
      ],
    })) as Hex;
  }
}
