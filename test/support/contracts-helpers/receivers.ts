import type { Address, Hex, TransactionReceipt } from "viem";
import type { GuildFixture } from "./fixture.js";

/** ReceiverMock's `Mode` enum. */
export const ReceiverMode = { Accept: 0, Revert: 1, Reenter: 2, BurnGas: 3 } as const;

export type ReceiverHandle = Awaited<ReturnType<GuildFixture["deployReceiver"]>>;

/** Has the mock contract call `to` with `data`, forwarding `value` that the test sends along. */
export async function callThrough(
  f: GuildFixture,
  mock: ReceiverHandle,
  to: Address,
  data: Hex,
  value = 0n,
): Promise<TransactionReceipt> {
  return f.tx(mock.write.execute([to, value, data], { value }));
}
