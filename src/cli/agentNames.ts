import { getAddress, type Address } from "viem";
import { listWallets } from "../wallet/listWallets.js";

/**
 * Names the addresses of this machine's wallets (no password needed), so command output can say "bob"
 * instead of 0x7099…79C8; other addresses are shortened.
 */
export async function agentNamer(home: string): Promise<(address: Address) => string> {
  const names = new Map<string, string>();
  try {
    for (const wallet of await listWallets({ home })) names.set(getAddress(wallet.address), wallet.name);
  } catch {
    // No wallets folder yet.
  }
  return (address) => names.get(getAddress(address)) ?? `${address.slice(0, 6)}…${address.slice(-4)}`;
}
