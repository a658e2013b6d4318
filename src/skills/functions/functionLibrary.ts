/**
 * The functions the offline `js-function` worker knows how to write: a small library of common tasks, each a
 * plain JavaScript source written and tested here (test/skills/functionLibrary.test.ts runs each against its
 * own suite in the sandbox). Offline, a worker can honestly deliver only these; a worker with a model
 * configured writes others.
 */
export type LibraryFunction = {
  name: string;
  params: string[];
  /** What it does, as a client would ask for it. */
  summary: string;
  source: string;
  /** A test suite for it, in the criteria's test format (used by the demo, the bench and the planner's examples). */
  tests: string;
};

export const FUNCTION_LIBRARY: readonly LibraryFunction[] = [
  {
    name: "isPrime",
    params: ["n"],
    summary: "true when the integer n is a prime number",
    source: `function isPrime(n) {
  if (!Number.isInteger(n) || n < 2) return false;
  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;
  return true;
}`,
    tests: `test("small primes", () => { for (const p of [2, 3, 5, 7, 11, 13, 97]) assert.equal(isPrime(p), true, String(p)); });
test("composites", () => { for (const c of [4, 9, 15, 25, 49, 91, 100]) assert.equal(isPrime(c), false, String(c)); });
test("below two", () => { for (const x of [-7, 0, 1]) assert.equal(isPrime(x), false, String(x)); });`,
  },
  {
    name: "fizzBuzz",
    params: ["n"],
    summary: 'the strings for 1..n: "Fizz" for multiples of 3, "Buzz" of 5, "FizzBuzz" of both, else the number',
    source: `function fizzBuzz(n) {
  const out = [];
  for (let i = 1; i <= n; i++) out.push(i % 15 === 0 ? "FizzBuzz" : i % 3 === 0 ? "Fizz" : i % 5 === 0 ? "Buzz" : String(i));
  return out;
}`,
    tests: `test("first five", () => assert.equal(fizzBuzz(5), ["1", "2", "Fizz", "4", "Buzz"]));
test("fifteen", () => assert.equal(fizzBuzz(15)[14], "FizzBuzz"));
test("empty", () => assert.equal(fizzBuzz(0), []));`,
  },
  {
    name: "median",
    params: ["xs"],
    summary:
      "the median of an array of numbers (the mean of the two middle values for an even count), without changing the array",
    source: `function median(xs) {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}`,
    tests: `test("odd count", () => assert.equal(median([3, 1, 2]), 2));
test("even count", () => assert.equal(median([4, 1, 3, 2]), 2.5));
test("numeric order", () => assert.equal(median([10, 9, 100]), 10));
test("leaves the input alone", () => { const xs = [3, 1, 2]; median(xs); assert.equal(xs, [3, 1, 2]); });
test("empty", () => assert.equal(median([]), undefined));`,
  },
  {
    name: "clamp",
    params: ["x", "lo", "hi"],
    summary: "x limited to the range lo..hi",
    source: `function clamp(x, lo, hi) {
  return Math.min(hi, Math.max(lo, x));
}`,
    tests: `test("inside", () => assert.equal(clamp(5, 0, 10), 5));
test("below", () => assert.equal(clamp(-5, 0, 10), 0));
test("above", () => assert.equal(clamp(50, 0, 10), 10));
test("at the bounds", () => { assert.equal(clamp(0, 0, 10), 0); assert.equal(clamp(10, 0, 10), 10); });
test("fractions", () => { assert.equal(clamp(2.5, 0, 10), 2.5); assert.equal(clamp(-0.5, -1, 1), -0.5); });`,
  },
  {
    name: "slugify",
    params: ["s"],
    summary: "a URL slug: lowercase ASCII letters and digits joined by single hyphens, none at the ends",
    source: `function slugify(s) {
  return s.normalize("NFKD").replace(/[\\u0300-\\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
}`,
    tests: `test("words", () => assert.equal(slugify("Hello World"), "hello-world"));
test("punctuation runs", () => assert.equal(slugify("  Agents -- with Wallets!  "), "agents-with-wallets"));
test("accents", () => assert.equal(slugify("Crème brûlée"), "creme-brulee"));`,
  },
  {
    name: "fibonacci",
    params: ["n"],
    summary: "the n-th Fibonacci number, with fibonacci(0) = 0 and fibonacci(1) = 1",
    source: `function fibonacci(n) {
  let a = 0, b = 1;
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}`,
    tests: `test("start", () => { assert.equal(fibonacci(0), 0); assert.equal(fibonacci(1), 1); assert.equal(fibonacci(2), 1); });
test("tenth", () => assert.equal(fibonacci(10), 55));
test("fiftieth, fast", () => assert.equal(fibonacci(50), 12586269025));`,
  },
  {
    name: "gcd",
    params: ["a", "b"],
    summary: "the greatest common divisor of two integers (non-negative; gcd(0, 0) = 0)",
    source: `function gcd(a, b) {
  a = Math.abs(a); b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}`,
    tests: `test("common", () => assert.equal(gcd(12, 18), 6));
test("coprime", () => assert.equal(gcd(17, 5), 1));
test("zero and negatives", () => { assert.equal(gcd(0, 7), 7); assert.equal(gcd(-12, 18), 6); assert.equal(gcd(0, 0), 0); });`,
  },
  {
    name: "isPalindrome",
    params: ["s"],
    summary: "true when s reads the same backwards, ignoring case, spaces and punctuation",
    source: `function isPalindrome(s) {
  const t = s.toLowerCase().replace(/[^a-z0-9]/g, "");
  return t === [...t].reverse().join("");
}`,
    tests: `test("plain", () => assert.equal(isPalindrome("racecar"), true));
test("sentence", () => assert.equal(isPalindrome("A man, a plan, a canal: Panama"), true));
test("not one", () => assert.equal(isPalindrome("agents"), false));`,
  },
  {
    name: "isLeapYear",
    params: ["year"],
    summary: "true for Gregorian leap years",
    source: `function isLeapYear(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}`,
    tests: `test("every fourth", () => { assert.equal(isLeapYear(2024), true); assert.equal(isLeapYear(2023), false); });
test("centuries", () => { assert.equal(isLeapYear(1900), false); assert.equal(isLeapYear(2000), true); });`,
  },
  {
    name: "chunk",
    params: ["xs", "size"],
    summary: "the array split into consecutive chunks of the given size (the last may be shorter)",
    source: `function chunk(xs, size) {
  if (!(size >= 1)) throw new RangeError("size must be at least 1");
  const out = [];
  for (let i = 0; i < xs.length; i += size) out.push(xs.slice(i, i + size));
  return out;
}`,
    tests: `test("even", () => assert.equal(chunk([1, 2, 3, 4], 2), [[1, 2], [3, 4]]));
test("ragged", () => assert.equal(chunk([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]));
test("empty", () => assert.equal(chunk([], 3), []));
test("bad size", () => assert.throws(() => chunk([1], 0)));`,
  },
  {
    name: "dedupe",
    params: ["xs"],
    summary: "the array without repeated values, first occurrences kept in order",
    source: `function dedupe(xs) {
  return [...new Set(xs)];
}`,
    tests: `test("keeps order", () => assert.equal(dedupe([3, 1, 3, 2, 1]), [3, 1, 2]));
test("strings", () => assert.equal(dedupe(["a", "b", "a"]), ["a", "b"]));`,
  },
  {
    name: "toRoman",
    params: ["n"],
    summary: "the Roman numeral for an integer from 1 to 3999",
    source: `function toRoman(n) {
  const table = [[1000, "M"], [900, "CM"], [500, "D"], [400, "CD"], [100, "C"], [90, "XC"], [50, "L"], [40, "XL"], [10, "X"], [9, "IX"], [5, "V"], [4, "IV"], [1, "I"]];
  let out = "";
  for (const [value, numeral] of table) while (n >= value) { out += numeral; n -= value; }
  return out;
}`,
    tests: `test("simple", () => { assert.equal(toRoman(3), "III"); assert.equal(toRoman(8), "VIII"); });
test("subtractive", () => { assert.equal(toRoman(4), "IV"); assert.equal(toRoman(9), "IX"); assert.equal(toRoman(40), "XL"); assert.equal(toRoman(1994), "MCMXCIV"); });
test("largest", () => assert.equal(toRoman(3999), "MMMCMXCIX"));`,
  },
  {
    name: "countVowels",
    params: ["s"],
    summary: "how many of the letters a, e, i, o, u (either case) s contains",
    source: `function countVowels(s) {
  return (s.match(/[aeiou]/gi) || []).length;
}`,
    tests: `test("lowercase", () => assert.equal(countVowels("agents"), 2));
test("uppercase", () => assert.equal(countVowels("AEIOU xyz"), 5));
test("none", () => assert.equal(countVowels("rhythm"), 0));`,
  },
];

/** The library function for a signature, matched by name and number of parameters. */
export function findLibraryFunction(name: string, arity: number): LibraryFunction | undefined {
  return FUNCTION_LIBRARY.find((f) => f.name === name && f.params.length === arity);
}

/**
 * Reads the signature a task asks for: the first `name(params)` in it, e.g. "Write isPrime(n): true when n is
 * prime" gives { name: "isPrime", params: ["n"] }. Undefined when there is none.
 */
export function parseSignature(task: string): { name: string; params: string[] } | undefined {
  const match = /\b([A-Za-z_$][\w$]*)\(\s*([A-Za-z_$][\w$]*(?:\s*,\s*[A-Za-z_$][\w$]*)*)?\s*\)/.exec(task);
  const name = match?.[1];
  if (!match || !name) return undefined;
  const params = match[2] ? match[2].split(",").map((p) => p.trim()) : [];
  return { name, params };
}
