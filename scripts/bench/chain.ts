/**
 * Throughput of Guild's transaction layer against plain viem, and history read speed, on the in-process
 * Hardhat network and on an HTTP Hardhat node, in one run.
 *
 *   npm run bench:chain [-- --transfers 200 --events 100000]
 *
 * For each network: N native transfers sent one after another (each waits for its receipt), then N sent
 * at once; through plain viem first, then the same transfers through Guild's sender (createTxSender).
 *
 * Plain viem gets the advantages Guild's sender has, so the comparison is like for like: viem's nonce
 * manager (the nonce is asked once, then counted locally) and fees fetched once per run (Guild caches them
 * for a second on dev chains), with the same fixed gas limit. What remains different is each library's own
 * work: Guild's queue, recovery bookkeeping and shared receipt watcher (one poll per block for every waiter)
 * against viem's sendTransaction and per-hash waitForTransactionReceipt. Guild's overhead is
 * (Guild time / viem time - 1); the goal is under 15%.
 */
import hre from "hardhat";
import { parseArgs } from "node:util";
import { createWalletClient, type EIP1193Provider } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createNonceManager, jsonRpc } from "viem/nonce";
import { createConnection, type ChainConnection } from "../../src/chain/createConnection.js";
import { ensureEmbeddedChain } from "../../src/chain/embeddedChain.js";
import { createTxSender } from "../../src/chain/tx/createTxSender.js";
import { DEV_ACCOUNT_KEYS } from "../../src/wallet/devAccounts.js";
import { freePort } from "../../test/support/nodes.js";
import { benchHistoryRead } from "./historyRead.js";

const { values } = parseArgs({
  options: { transfers: { type: "string", default: "200" }, events: { type: "string", default: "100000" } },
});
const N = Number(values.transfers);
const EVENTS = Number(values.events);
const recipient = privateKeyToAccount(DEV_ACCOUNT_KEYS[9]).address;

type Row = { network: string; mode: string; guild: number; viem: number };
const rows: Row[] = [];
const readRows: { network: string; logs: number; seconds: number; pages: number }[] = [];

async function timeIt(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function guildTransfers(connection: ChainConnection, key: `0x${string}`, concurrent: boolean): Promise<number> {
  const sender = createTxSender({ connection, account: privateKeyToAccount(key) });
  const one = () => sender.send({ to: recipient, value: 1n, gas: 21_000n, label: "bench transfer" });
  return timeIt(async () => {
    if (concurrent) await Promise.all(Array.from({ length: N }, one));
    else for (let i = 0; i < N; i++) await one();
  });
}

async function viemTransfers(connection: ChainConnection, key: `0x${string}`, concurrent: boolean): Promise<number> {
  // A fresh nonce manager per run: viem keys its default one by address and chain id, and both networks are 31337.
  const account = privateKeyToAccount(key, { nonceManager: createNonceManager({ source: jsonRpc() }) });
  const wallet = createWalletClient({ account, chain: connection.chain, transport: connection.transport });
  // Fees once per run, as Guild's sender caches them; fetched inside the timed run, as Guild fetches its own.
  let fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint } | undefined;
  const send = async () => {
    fees ??= await connection.publicClient.estimateFeesPerGas();
    return wallet.sendTransaction({ to: recipient, value: 1n, gas: 21_000n, ...fees });
  };
  const wait = (hash: `0x${string}`) =>
    connection.publicClient.waitForTransactionReceipt({ hash, pollingInterval: connection.pollingIntervalMs });
  return timeIt(async () => {
    if (concurrent) {
      // Sends go one after another and receipts are awaited together: firing N sendTransaction calls at
      // once makes a Hardhat node refuse the ones that arrive out of nonce order ("Nonce too high ...
      // can't be queued when automining"). This is the working way to do it with plain viem.
      const waits: Promise<unknown>[] = [];
      for (let i = 0; i < N; i++) waits.push(wait(await send()));
      await Promise.all(waits);
    } else {
      for (let i = 0; i < N; i++) await wait(await send());
    }
  });
}

async function benchNetwork(name: string, connection: ChainConnection): Promise<void> {
  // Separate accounts per run so no run inherits another's nonce state; warm-up first.
  await guildTransfers(connection, DEV_ACCOUNT_KEYS[1], false).catch(() => undefined);
  for (const concurrent of [false, true]) {
    const mode = concurrent ? `${N} at once` : `${N} in a row`;
    const viem = await viemTransfers(connection, DEV_ACCOUNT_KEYS[concurrent ? 4 : 2], concurrent);
    const guild = await guildTransfers(connection, DEV_ACCOUNT_KEYS[concurrent ? 5 : 3], concurrent);
    rows.push({ network: name, mode, guild, viem });
    console.error(`  ${name}, ${mode}: Guild ${(N / guild).toFixed(0)} tx/s, viem ${(N / viem).toFixed(0)} tx/s`);
  }
  if (EVENTS > 0) readRows.push({ network: name, ...(await benchHistoryRead(connection, EVENTS)) });
}

console.error(`Transfers per run: ${N}; history: ${EVENTS} events.`);
{
  const inProcess = await hre.network.create();
  const connection = await createConnection({ provider: inProcess.provider as unknown as EIP1193Provider });
  console.error("In-process Hardhat network (EDR, no port):");
  await benchNetwork("in-process", connection);
  await inProcess.close();
}
{
  const chain = await ensureEmbeddedChain({ port: await freePort() });
  try {
    const connection = await createConnection({ url: chain.url });
    console.error(`HTTP Hardhat node (${chain.url}):`);
    await benchNetwork("HTTP node", connection);
  } finally {
    await chain.stop();
  }
}

console.log(
  `\nTransaction throughput (${N} native transfers per run, each waiting for its receipt; plain viem with a nonce manager and fees fetched once per run, like Guild's sender)\n`,
);
console.log("| network | run | Guild tx/s | plain viem tx/s | Guild overhead |");
console.log("| --- | --- | ---: | ---: | ---: |");
for (const row of rows) {
  const overhead = (row.guild / row.viem - 1) * 100;
  console.log(
    `| ${row.network} | ${row.mode} | ${(N / row.guild).toFixed(0)} | ${(N / row.viem).toFixed(0)} | ${overhead >= 0 ? "+" : ""}${overhead.toFixed(1)}% |`,
  );
}
const worst = Math.max(...rows.map((row) => (row.guild / row.viem - 1) * 100));
console.log(`\nWorst overhead: ${worst.toFixed(1)}% (goal: under 15%): ${worst < 15 ? "met" : "MISSED"}`);
if (readRows.length > 0) {
  console.log(`\nHistory read (readLogs over a range holding ${EVENTS} events)\n`);
  console.log("| network | logs | seconds | logs/s | pages |");
  console.log("| --- | ---: | ---: | ---: | ---: |");
  for (const row of readRows) {
    console.log(
      `| ${row.network} | ${row.logs} | ${row.seconds.toFixed(2)} | ${Math.round(row.logs / row.seconds)} | ${row.pages} |`,
    );
  }
}
