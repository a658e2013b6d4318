import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Address } from "viem";
import { GuildError } from "../errors/GuildError.js";
import type { ChainConnection } from "./createConnection.js";
import type { GuildAddresses } from "./deployContracts.js";

/** What `deployments/<chainId>.json` records about one deployment of Guild's contracts. */
export type DeploymentRecord = GuildAddresses & {
  chainId: number;
  /** Block of the first deployment transaction; history starts here. */
  fromBlock: bigint;
  deployedAt: string;
};

type StoredRecord = Omit<DeploymentRecord, "fromBlock"> & { fromBlock: string };

/** Path of the deployments file of `chainId` under `dir`. */
export function deploymentPath(dir: string, chainId: number): string {
  return join(dir, `${chainId}.json`);
}

/**
 * Reads the recorded deployment of `chainId`, or undefined when none is recorded.
 *
 * @example
 * const record = readDeployment(paths.deployments, 31337);
 */
export function readDeployment(dir: string, chainId: number): DeploymentRecord | undefined {
  const path = deploymentPath(dir, chainId);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  try {
    const stored = JSON.parse(text) as StoredRecord;
    return { ...stored, fromBlock: BigInt(stored.fromBlock) };
  } catch (error) {
    throw new GuildError(`The deployments file ${path} is not valid JSON. Delete it and run "guild deploy".`, {
      cause: error,
    });
  }
}

/** Records a deployment (atomically: a reader never sees half a file). */
export function writeDeployment(dir: string, record: DeploymentRecord): void {
  mkdirSync(dir, { recursive: true });
  const path = deploymentPath(dir, record.chainId);
  const stored: StoredRecord = { ...record, fromBlock: record.fromBlock.toString() };
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(stored, null, 2)}\n`);
  renameSync(temp, path);
}

/**
 * Which of the given contract addresses hold no code on the chain (a restarted dev node forgets its
 * contracts, so a recorded deployment can go stale).
 */
export async function missingContracts(
  connection: ChainConnection,
  addresses: Partial<GuildAddresses>,
): Promise<string[]> {
  const entries = Object.entries(addresses).filter((entry): entry is [string, Address] => typeof entry[1] === "string");
  const codes = await Promise.all(
    entries.map(([, address]) => connection.publicClient.getCode({ address }).catch(() => undefined)),
  );
  return entries.filter((_, i) => !codes[i] || codes[i] === "0x").map(([name, address]) => `${name} (${address})`);
}
