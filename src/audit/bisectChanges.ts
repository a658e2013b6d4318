/** A block where a watched quantity moved away from what was expected, and by how much. */
export type BlockChange = { block: bigint; delta: bigint };

export type BisectChangesParameters = {
  /** The block before the range; `startValue` is the difference there (usually 0). */
  fromBlock: bigint;
  toBlock: bigint;
  startValue: bigint;
  endValue: bigint;
  /**
   * The difference (actual minus expected) at the end of each of `blocks`, asked all at once so the
   * caller can batch the node requests.
   */
  valuesAt: (blocks: bigint[]) => Promise<bigint[]>;
  /** Called after each round with the intervals still open. */
  onRound?: (open: number, found: number) => void;
};

/**
 * Finds the blocks in `fromBlock+1..toBlock` where a difference that only ever grows (or only ever
 * shrinks) between two known values changes: a transaction count against the transactions already found,
 * or a balance against the flows already explained. Halves every interval whose ends differ, one round
 * of concurrent queries per level, so k changes cost about k * log2(range) queries instead of one per block.
 *
 * An interval whose ends are equal is taken as unchanged: right for a monotonic difference. A rise and an
 * equal fall inside one interval (possible only with dev-chain cheats such as `hardhat_setBalance`) cancel
 * out and are not seen; the difference at the range's end is still reported.
 *
 * @example
 * const changes = await bisectChanges({ fromBlock: 99n, toBlock: 5_000n, startValue: 0n, endValue: 2n,
 *   valuesAt: async (blocks) => Promise.all(blocks.map(unexplainedTransactionsAt)) });
 */
export async function bisectChanges({
  fromBlock,
  toBlock,
  startValue,
  endValue,
  valuesAt,
  onRound,
}: BisectChangesParameters): Promise<BlockChange[]> {
  const found: BlockChange[] = [];
  let open: { lo: bigint; hi: bigint; loValue: bigint; hiValue: bigint }[] =
    startValue === endValue || toBlock <= fromBlock
      ? []
      : [{ lo: fromBlock, hi: toBlock, loValue: startValue, hiValue: endValue }];
  while (open.length > 0) {
    const leaves = open.filter((interval) => interval.hi - interval.lo === 1n);
    for (const leaf of leaves) found.push({ block: leaf.hi, delta: leaf.hiValue - leaf.loValue });
    const splitting = open.filter((interval) => interval.hi - interval.lo > 1n);
    const mids = splitting.map((interval) => interval.lo + (interval.hi - interval.lo) / 2n);
    const values = mids.length > 0 ? await valuesAt(mids) : [];
    const next: typeof open = [];
    splitting.forEach((interval, index) => {
      const mid = mids[index] as bigint;
      const value = values[index] as bigint;
      if (value !== interval.loValue)
        next.push({ lo: interval.lo, hi: mid, loValue: interval.loValue, hiValue: value });
      if (value !== interval.hiValue)
        next.push({ lo: mid, hi: interval.hi, loValue: value, hiValue: interval.hiValue });
    });
    open = next;
    onRound?.(open.length, found.length);
  }
  return found.sort((a, b) => (a.block < b.block ? -1 : a.block > b.block ? 1 : 0));
}
