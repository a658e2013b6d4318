import { getAddress, type Address, type Hash, type TransactionReceipt } from "viem";
import type { TestWallet } from "../testChain.js";
import { gasCost, NATIVE, type GuildFixture } from "./fixture.js";

/**
 * Balances of named parties in one token from a starting point, net of the gas their own transactions paid
 * (for native ETH), so that an attack test can assert exactly what each party won or lost.
 *
 * @example
 * const ledger = new BalanceLedger(f, NATIVE);
 * await ledger.start([f.client, f.provider]);
 * await ledger.tx(f.stakedAs(f.provider).write.stake([jobId, true, bond], { value: bond }));
 * expect(await ledger.delta(f.provider)).toBe(0n);
 */
export class BalanceLedger {
  readonly #before = new Map<Address, bigint>();
  readonly #gas = new Map<Address, bigint>();

  constructor(
    readonly f: GuildFixture,
    readonly token: Address,
  ) {}

  /** Records the starting balances of `wallets`. */
  async start(wallets: readonly TestWallet[]): Promise<void> {
    for (const wallet of wallets) {
      const address = getAddress(wallet.account.address);
      this.#before.set(address, await this.f.balanceOf(this.token, address));
    }
  }

  /** Waits for a transaction (asserting success) and books its gas to its sender. */
  async tx(hash: Promise<Hash> | Hash): Promise<TransactionReceipt> {
    return this.book(await this.f.tx(hash));
  }

  /** Books the gas of a mined transaction, successful or not, to its sender. */
  book(receipt: TransactionReceipt): TransactionReceipt {
    if (this.token === NATIVE) {
      const from = getAddress(receipt.from);
      this.#gas.set(from, (this.#gas.get(from) ?? 0n) + gasCost(receipt));
    }
    return receipt;
  }

  /** What `wallet` gained (negative: lost) in the token since {@link start}, gas excluded. */
  async delta(wallet: TestWallet): Promise<bigint> {
    const address = getAddress(wallet.account.address);
    const before = this.#before.get(address);
    if (before === undefined) throw new Error(`The ledger does not track ${address}.`);
    return (await this.f.balanceOf(this.token, address)) - before + (this.#gas.get(address) ?? 0n);
  }
}
