import { erc20Abi, getAddress, numberToHex, pad, type AbiEvent, type Address, type Hex } from "viem";
import { agentRegistryAbi } from "../contracts/AgentRegistry.js";
import { jobEscrowAbi } from "../contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../contracts/StakedEvaluator.js";
import type { DecodedLog } from "../chain/logs/readLogs.js";

const erc20Events = erc20Abi.filter(
  (item): item is Extract<(typeof erc20Abi)[number], { type: "event" }> => item.type === "event",
);

/** Every event the audit reads: Guild's three contracts and ERC-20 `Transfer` / `Approval`. No name is shared. */
export const auditAbi = [...jobEscrowAbi, ...stakedEvaluatorAbi, ...agentRegistryAbi, ...erc20Events] as const;

export type AuditAbi = typeof auditAbi;

/** A decoded log of any event the audit reads. */
export type AuditLog = DecodedLog<AuditAbi>;

export type AuditEventName = AuditLog["eventName"];

/** The ABI items of the named events, for a log read that asks for those only. */
export function pickEvents(names: readonly AuditEventName[]): AbiEvent[] {
  const events: AbiEvent[] = [];
  for (const name of names) {
    const item = auditAbi.find((entry) => entry.type === "event" && entry.name === name);
    if (!item) throw new TypeError(`No event ${name} in the audit ABI.`);
    events.push(item as AbiEvent);
  }
  return events;
}

/** The 32-byte topic of an indexed address. */
export function addressTopic(address: Address): Hex {
  return pad(address.toLowerCase() as Hex, { size: 32 });
}

/** The 32-byte topic of an indexed uint256 (job ids). */
export function uintTopic(value: bigint): Hex {
  return numberToHex(value, { size: 32 });
}

const checksums = new Map<string, Address>();

/** The checksummed form of an address, cached: logs carry contract addresses in lower case. */
export function checksum(address: string): Address {
  let known = checksums.get(address);
  if (!known) {
    known = getAddress(address);
    if (checksums.size > 10_000) checksums.clear();
    checksums.set(address, known);
  }
  return known;
}
