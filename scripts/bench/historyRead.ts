import { createWalletClient, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { ChainConnection } from "../../src/chain/createConnection.js";
import { streamLogs } from "../../src/chain/logs/readLogs.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";
import { logEmitterAbi, logEmitterBytecode } from "./contracts/LogEmitter.js";

const PER_TX = 1_000;

/**
 * Emits `events` JobEscrow-shaped events (1,000 per transaction) and times reading them back with
 * streamLogs, decoding each with JobEscrow's ABI and keeping none (so memory stays flat).
 */
export async function benchHistoryRead(
  connection: ChainConnection,
  events: number,
): Promise<{ logs: number; seconds: number; pages: number }> {
  const account = privateKeyToAccount(DEV_ACCOUNT_KEYS[7]);
  const wallet = createWalletClient({ account, chain: connection.chain, transport: connection.transport });
  const { publicClient } = connection;
  const deployHash = await wallet.deployContract({ abi: logEmitterAbi, bytecode: logEmitterBytecode });
  const deployed = await publicClient.waitForTransactionReceipt({ hash: deployHash });
  const address = deployed.contractAddress as Address;
  const fromBlock = deployed.blockNumber;
  const started = performance.now();
  for (let first = 0; first < events; first += PER_TX) {
    const count = Math.min(PER_TX, events - first);
    const hash = await wallet.writeContract({
      address,
      abi: logEmitterAbi,
      functionName: "emitBatch",
      args: [BigInt(first + 1), BigInt(count)],
      gas: 3_500_000n,
    });
    await publicClient.waitForTransactionReceipt({ hash, pollingInterval: connection.pollingIntervalMs });
  }
  console.error(`  built ${events} events in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const toBlock = await publicClient.getBlockNumber();
  let logs = 0;
  let pages = 0;
  const start = performance.now();
  for await (const page of streamLogs(publicClient, { address, events: jobEscrowAbi, fromBlock, toBlock })) {
    logs += page.logs.length;
    pages += 1;
  }
  const seconds = (performance.now() - start) / 1000;
  if (logs !== events) throw new Error(`read ${logs} logs, expected ${events}`);
  console.error(`  read ${logs} logs in ${seconds.toFixed(2)} s (${Math.round(logs / seconds)} logs/s)`);
  return { logs, seconds, pages };
}
