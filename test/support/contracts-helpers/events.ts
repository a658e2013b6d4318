import {
  isAddressEqual,
  parseEventLogs,
  type Abi,
  type Address,
  type ContractEventName,
  type ParseEventLogsReturnType,
  type TransactionReceipt,
} from "viem";

/**
 * The decoded `eventName` logs that `address` emitted in a receipt, in order.
 *
 * @example
 * const [funded] = eventsOf(receipt, jobEscrowAbi, "JobFunded", f.addresses.escrow);
 */
export function eventsOf<const abi extends Abi, const eventName extends ContractEventName<abi>>(
  receipt: TransactionReceipt,
  abi: abi,
  eventName: eventName,
  address: Address,
): ParseEventLogsReturnType<abi, eventName, true>[number]["args"][] {
  const logs = receipt.logs.filter((log) => isAddressEqual(log.address, address));
  const parsed = parseEventLogs({ abi, logs, eventName }) as ParseEventLogsReturnType<abi, eventName, true>;
  return parsed.map((log) => log.args);
}

/** Names of every event `address` emitted in a receipt that `abi` knows, in order. */
export function eventNamesOf(receipt: TransactionReceipt, abi: Abi, address: Address): string[] {
  const logs = receipt.logs.filter((log) => isAddressEqual(log.address, address));
  return parseEventLogs({ abi, logs }).map((log) => log.eventName);
}
