import { parseSignature } from "../functions/functionLibrary.js";
import { SkillCannotDoTaskError, type Skill } from "../Skill.js";

/**
 * Demo and benchmark material only, never loaded by a production worker: plausible versions of library functions
 * with one deliberate bug each, the kind that passes the examples a client would think of first and fails an
 * edge case (`i * i < n` lets the squares of primes through; a lexicographic sort; an off-by-one).
 */
export const SUBTLY_WRONG_FUNCTIONS: Readonly<Record<string, { source: string; bug: string }>> = {
  isPrime: {
    source: `function isPrime(n) {
  if (n < 2) return false;
  for (let i = 2; i * i < n; i++) if (n % i === 0) return false;
  return true;
}`,
    bug: "i * i < n: the squares of primes (4, 9, 25) pass as prime",
  },
  median: {
    source: `function median(xs) {
  const s = xs.sort();
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}`,
    bug: "sorts as text and in place: [10, 9, 100] gives 100, and the caller's array changes",
  },
  fizzBuzz: {
    source: `function fizzBuzz(n) {
  const out = [];
  for (let i = 1; i < n; i++) out.push(i % 15 === 0 ? "FizzBuzz" : i % 3 === 0 ? "Fizz" : i % 5 === 0 ? "Buzz" : String(i));
  return out;
}`,
    bug: "i < n: one element short",
  },
  clamp: {
    source: `function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x)) | 0;
}`,
    bug: "| 0 truncates: clamp(2.5, 0, 10) is 2",
  },
  toRoman: {
    source: `function toRoman(n) {
  const table = [[1000, "M"], [500, "D"], [100, "C"], [50, "L"], [10, "X"], [5, "V"], [1, "I"]];
  let out = "";
  for (const [value, numeral] of table) while (n >= value) { out += numeral; n -= value; }
  return out;
}`,
    bug: "no subtractive forms: 4 is IIII",
  },
  isLeapYear: {
    source: `function isLeapYear(year) {
  return year % 4 === 0;
}`,
    bug: "forgets the century rule: 1900 is a leap year",
  },
};

/**
 * The demo's cheating `js-function` worker: delivers the subtly wrong version of a function it has one for.
 * It does not check its own work, so a weak test suite can be fooled and a good one not.
 */
export const subtlyWrongJsFunction: Skill = {
  name: "js-function",
  description: "Demo only: writes JavaScript functions with a deliberate edge-case bug.",
  deterministic: false,
  checksOwnWork: false,
  async run(input) {
    const signature = parseSignature(input);
    const wrong = signature ? SUBTLY_WRONG_FUNCTIONS[signature.name] : undefined;
    if (!wrong) throw new SkillCannotDoTaskError("The demo's cheat has no wrong version of this function.");
    return wrong.source;
  },
};
