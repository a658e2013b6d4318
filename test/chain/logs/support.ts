import { createPublicClient, http, type Address, type Chain, type Hash, type Hex, type PublicClient } from "viem";
import { pollUntil } from "../../../src/chain/pollUntil.js";
import { agentRegistryAbi } from "../../../src/contracts/AgentRegistry.js";
import { jobEscrowAbi } from "../../../src/contracts/JobEscrow.js";
import { type GuildNode, type NodeKind, startGuildNode } from "../../support/nodes.js";
import type { TestWallet } from "../../support/testChain.js";

/** Every event of the escrow and the registry: what the daemon reads. */
export const guildEvents = [...jobEscrowAbi, ...agentRegistryAbi] as const;

/** A node with Guild deployed whose public client makes no retries: the code under test does its own. */
export type LogsTestChain = GuildNode;

/** A public client over plain HTTP with no viem retries: the code under test does its own. */
export function httpPublicClient(url: string, chain: Chain): PublicClient {
  return createPublicClient({
    chain,
    transport: http(url, { retryCount: 0 }),
    pollingInterval: 50,
    cacheTime: 0,
  }) as PublicClient;
}

/** Starts a fresh node of `kind` with Guild deployed (see startGuildNode), read through {@link httpPublicClient}. */
export async function startLogsTestChain(kind: NodeKind): Promise<LogsTestChain> {
  const node = await startGuildNode(kind);
  return { ...node, publicClient: httpPublicClient(node.url, node.connection.chain) };
}

function wallet(chain: LogsTestChain, index: number): TestWallet {
  const found = chain.wallets[index];
  if (!found) throw new Error(`no wallet ${index}`);
  return found;
}

async function mined(chain: LogsTestChain, hash: Hash): Promise<Hash> {
  const receipt = await chain.publicClient.waitForTransactionReceipt({ hash, pollingInterval: 20 });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return hash;
}

/** `AgentRegistry.register` from wallet `index`: AgentRegistered, one SkillListed per skill, AgentActiveSet. */
export async function registerAgent(chain: LogsTestChain, index: number, skills: string[]): Promise<Hash> {
  const hash = await wallet(chain, index).writeContract({
    address: chain.guild.addresses.registry,
    abi: agentRegistryAbi,
    functionName: "register",
    args: [`agent-${index}`, skills, "0x0000000000000000000000000000000000000000", 1_000n, `ipfs://agent-${index}`],
  });
  return mined(chain, hash);
}

/** `AgentRegistry.update` from an already registered wallet: AgentUpdated and one SkillListed per skill. */
export async function updateAgent(chain: LogsTestChain, index: number, skills: string[], price: bigint): Promise<Hash> {
  const hash = await wallet(chain, index).writeContract({
    address: chain.guild.addresses.registry,
    abi: agentRegistryAbi,
    functionName: "update",
    args: [`agent-${index}`, skills, "0x0000000000000000000000000000000000000000", price, `ipfs://agent-${index}`],
  });
  return mined(chain, hash);
}

/** `JobEscrow.createAndFund` of a native job: JobCreated, JobDetails, BudgetSet, JobFunded. */
export async function createAndFundJob(
  chain: LogsTestChain,
  clientIndex: number,
  providerIndex: number,
  budget: bigint,
): Promise<Hash> {
  const client = wallet(chain, clientIndex);
  const hash = await client.writeContract({
    address: chain.guild.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "createAndFund",
    args: [
      {
        provider: wallet(chain, providerIndex).account.address,
        evaluator: client.account.address,
        token: "0x0000000000000000000000000000000000000000",
        expiredAt: BigInt(Math.floor(Date.now() / 1000) + 86_400),
        evaluationPeriod: 0n,
        parentJobId: 0n,
        description: `job from ${clientIndex} to ${providerIndex}`,
        evaluatorData: "0x",
      },
      budget,
    ],
    value: budget,
  });
  return mined(chain, hash);
}

/** Identity of a log on the chain, for comparing sets. */
export type LogKey = { blockNumber: bigint; logIndex: number; transactionHash: Hash; topic0: Hex | undefined };

/** The logs of the escrow and registry in the receipts of `hashes`: the independent oracle of what readLogs must return. */
export async function logsOfTransactions(chain: LogsTestChain, hashes: Hash[]): Promise<LogKey[]> {
  const addresses = new Set<string>([
    chain.guild.addresses.escrow.toLowerCase(),
    chain.guild.addresses.registry.toLowerCase(),
  ]);
  const keys: LogKey[] = [];
  for (const hash of hashes) {
    const receipt = await chain.publicClient.getTransactionReceipt({ hash });
    for (const log of receipt.logs) {
      if (!addresses.has(log.address.toLowerCase())) continue;
      keys.push({
        blockNumber: log.blockNumber,
        logIndex: log.logIndex,
        transactionHash: log.transactionHash,
        topic0: log.topics[0],
      });
    }
  }
  return keys.sort((a, b) =>
    a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1,
  );
}

export function keyOf(log: {
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hash;
  topics: readonly Hex[];
}): LogKey {
  return {
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    transactionHash: log.transactionHash,
    topic0: log.topics[0],
  };
}

/** Both Guild contracts, the address filter of the tests. */
export function guildAddresses(chain: LogsTestChain): Address[] {
  return [chain.guild.addresses.escrow, chain.guild.addresses.registry];
}

/** Waits until `check` holds, polling every `intervalMs`; throws with `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<void> {
  const { done } = await pollUntil(check, (holds) => holds, { intervalMs, timeoutMs });
  if (!done) throw new Error(`timed out waiting for ${what}`);
}
