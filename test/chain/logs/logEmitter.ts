import { concatHex, toEventSelector, type Address, type Hash, type Hex } from "viem";
import type { LogsTestChain } from "./support.js";

/** The escrow's `JobExpired(uint256 indexed jobId)`: what the emitter's logs decode as. */
export const JOB_EXPIRED_SELECTOR = toEventSelector("JobExpired(uint256)");

/**
 * Runtime code (hand-assembled, no Solidity) that, called with `(uint256 start, uint256 count)`,
 * emits `count` logs `LOG2(selector, jobId)` with jobId = start, start + 1, ...: a cheap way to build a
 * history of many thousands of events for throughput tests.
 */
function emitterRuntime(selector: Hex): Hex {
  return concatHex([
    "0x60203560003580910190", // count, start -> [i = start, end = start + count]
    "0x5b81811015603e57", // loop: if !(i < end) goto exit
    "0x807f", // DUP1 (topic1 = i), PUSH32 selector
    selector,
    "0x600080a2", // LOG2(0, 0, selector, i)
    "0x600101600a56", // i += 1; goto loop
    "0x5b00", // exit: STOP
  ]);
}

/** Init code: copies the 64-byte runtime to memory and returns it. */
function emitterInitCode(selector: Hex): Hex {
  return concatHex(["0x604080600b6000396000f3", emitterRuntime(selector)]);
}

/** Deploys the emitter from wallet 0 and returns its address. */
export async function deployLogEmitter(chain: LogsTestChain): Promise<Address> {
  const wallet = chain.wallets[0];
  if (!wallet) throw new Error("no wallet");
  const hash = await wallet.sendTransaction({ data: emitterInitCode(JOB_EXPIRED_SELECTOR), to: null });
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (!receipt.contractAddress || receipt.status !== "success") throw new Error("emitter deployment failed");
  return receipt.contractAddress;
}

/**
 * Emits `total` logs in transactions of `perTransaction` logs each (one block each on an automining
 * node), sent back to back from wallet `walletIndex` with fixed gas; waits for the last one.
 */
export async function emitLogs(
  chain: LogsTestChain,
  emitter: Address,
  {
    total,
    perTransaction,
    walletIndex = 0,
    firstJobId = 1n,
  }: { total: number; perTransaction: number; walletIndex?: number; firstJobId?: bigint },
): Promise<Hash[]> {
  const wallet = chain.wallets[walletIndex];
  if (!wallet) throw new Error("no wallet");
  let nonce = await chain.publicClient.getTransactionCount({ address: wallet.account.address, blockTag: "pending" });
  const hashes: Hash[] = [];
  for (let sent = 0; sent < total; sent += perTransaction) {
    const count = Math.min(perTransaction, total - sent);
    const data = concatHex([
      `0x${(firstJobId + BigInt(sent)).toString(16).padStart(64, "0")}`,
      `0x${count.toString(16).padStart(64, "0")}`,
    ]);
    hashes.push(
      await wallet.sendTransaction({
        to: emitter,
        data,
        nonce: nonce++,
        gas: 60_000n + BigInt(count) * 1_300n,
        maxFeePerGas: 10_000_000_000n,
        maxPriorityFeePerGas: 1n,
      }),
    );
  }
  // Every transaction must be mined and succeed: a history with a hole would make the reader look wrong.
  const receipts = await Promise.all(
    hashes.map((hash) => chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 })),
  );
  const failed = receipts.filter((receipt) => receipt.status !== "success");
  if (failed.length > 0) throw new Error(`emitting logs failed in ${failed.length} transaction(s)`);
  return hashes;
}
