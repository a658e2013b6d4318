/**
 * A seeded pseudo-random source (sfc32, seeded from a string through a 32-bit FNV-1a hash), so that a run of
 * `npm run sim:checks -- --seed S` repeats exactly.
 */
export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [low, high). */
  uniform(low: number, high: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** Log-normal with the given median and log standard deviation. */
  logNormal(median: number, sigma: number): number;
  /** A new array with the items in random order. */
  shuffle<T>(items: readonly T[]): T[];
};

/**
 * @example
 * const rng = createRng("1");
 * rng.uniform(0.7, 0.95);
 */
export function createRng(seed: string): Rng {
  let h = 0x811c9dc5;
  for (const ch of seed) {
    h ^= ch.codePointAt(0) ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let a = h;
  let b = h ^ 0x9e3779b9;
  let c = h ^ 0x85ebca6b;
  let d = 1;
  const next = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  };
  for (let i = 0; i < 16; i++) next();
  const rng: Rng = {
    next,
    uniform: (low, high) => low + (high - low) * next(),
    chance: (p) => next() < p,
    logNormal: (median, sigma) => {
      // Box-Muller; 1 - next() is in (0, 1], so the logarithm is finite.
      const z = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      return median * Math.exp(sigma * z);
    },
    shuffle: (items) => {
      const out = [...items];
      for (let i = out.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
  };
  return rng;
}
