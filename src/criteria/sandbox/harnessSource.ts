import { SANDBOX_LIMITS } from "./sandboxLimits.js";

/**
 * What the test code sees as local bindings, captured before the delivery runs. QuickJS lets a script redefine
 * even a non-writable, non-configurable property of the global object (`Object.defineProperty(globalThis, "JSON",
 * ...)` succeeds), so read-only globals are not enough: the test code is compiled as a function of these names.
 */
export const TEST_BINDINGS = [
  "test",
  "assert",
  "console",
  "delivery",
  "globalThis",
  "Object",
  "Array",
  "JSON",
  "Math",
  "String",
  "Number",
  "Boolean",
  "BigInt",
  "Symbol",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Promise",
  "Date",
  "RegExp",
  "Error",
  "TypeError",
  "RangeError",
  "Reflect",
  "Proxy",
  "parseInt",
  "parseFloat",
  "isNaN",
  "isFinite",
  "undefined",
  "NaN",
  "Infinity",
] as const;

/** Wraps test code as the function the harness calls with {@link TEST_BINDINGS}. */
export function wrapTestCode(testCode: string): string {
  return `(function (${TEST_BINDINGS.join(", ")}) {\n${testCode}\n})`;
}

/**
 * The test harness, evaluated in a fresh QuickJS context before the delivery. It is a function of the host's
 * two callbacks (report a result, log a line) and the delivery's text, and returns its control function:
 * `control("load", wrappedTestCode)` calls the compiled test code with the bindings, `control("run")` runs
 * the registered tests and returns how many are still pending (async).
 *
 * What it guards against (the delivery is the adversary; it runs after this and before the tests):
 * - redefining the harness or a global the tests use: the test code gets `test`, `assert`, `console`, `delivery`
 *   and the common built-ins as local bindings captured here ({@link TEST_BINDINGS}), and the host callbacks
 *   exist only inside this closure;
 * - changing the built-ins the tests rely on (prototype pollution, a replaced `JSON` or `Array.prototype.map`):
 *   every object reachable from the global object is frozen, and every global binding made read-only;
 * - registering tests of its own: `test` is not global, and it refuses calls once the tests run.
 * The helpers use only values captured here, before any delivery code ran.
 */
export const HARNESS_SOURCE = `(function (hostReport, hostLog, deliveryText) {
  "use strict";
  const global = globalThis;
  const O = Object;
  const freeze = O.freeze, defineProperty = O.defineProperty, getPrototypeOf = O.getPrototypeOf,
    getOwnPropertyDescriptor = O.getOwnPropertyDescriptor, is = O.is;
  const ownKeys = Reflect.ownKeys, apply = Reflect.apply, isArray = Array.isArray;
  const S = String, jsonStringify = JSON.stringify;
  const SetCtor = Set, setHas = Set.prototype.has, setAdd = Set.prototype.add;
  const strSlice = String.prototype.slice;
  const arrPush = Array.prototype.push, arrayFrom = Array.from;
  const datePrototype = Date.prototype, dateGetTime = Date.prototype.getTime;
  const mapPrototype = Map.prototype, setPrototype = Set.prototype;
  const thenOf = (value) => {
    try { const then = value !== null && (typeof value === "object" || typeof value === "function") ? value.then : undefined; return typeof then === "function" ? then : undefined; }
    catch (e) { return undefined; }
  };
  const MAX_TESTS = ${SANDBOX_LIMITS.maxTests};
  const MAX_MESSAGE = ${SANDBOX_LIMITS.maxMessageChars};
  const cut = (text) => { const s = S(text); return s.length > MAX_MESSAGE ? apply(strSlice, s, [0, MAX_MESSAGE]) + "..." : s; };

  function show(value) {
    try {
      if (typeof value === "string") return jsonStringify(value);
      if (typeof value === "bigint") return S(value) + "n";
      if (typeof value === "function") return "[function]";
      if (value === undefined) return "undefined";
      if (typeof value === "number" && !(value === value)) return "NaN";
      const text = jsonStringify(value);
      return text === undefined ? S(value) : text;
    } catch (e) { return "[unprintable value]"; }
  }
  function messageOf(error) {
    try {
      if (error !== null && typeof error === "object") {
        const name = error.name, message = error.message;
        if (typeof message === "string") return cut((typeof name === "string" ? name + ": " : "") + message);
      }
      return cut("threw " + show(error));
    } catch (e) { return "threw an unprintable value"; }
  }

  function AssertionError(message) { this.message = message; }
  AssertionError.prototype.name = "AssertionError";

  function deepEqual(a, b, seen) {
    if (is(a, b)) return true;
    if (typeof a === "number" && typeof b === "number") return a === b;
    if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
    if (isArray(a) !== isArray(b) || getPrototypeOf(a) !== getPrototypeOf(b)) return false;
    if (getPrototypeOf(a) === datePrototype) return is(apply(dateGetTime, a, []), apply(dateGetTime, b, []));
    if (getPrototypeOf(a) === mapPrototype || getPrototypeOf(a) === setPrototype) {
      if (!deepEqual(arrayFrom(a), arrayFrom(b), seen)) return false;
    }
    if (apply(setHas, seen, [a])) return true;
    apply(setAdd, seen, [a]);
    const ka = ownKeys(a), kb = ownKeys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) {
      const key = ka[i];
      const da = getOwnPropertyDescriptor(a, key), db = getOwnPropertyDescriptor(b, key);
      if (!db || !("value" in da) || !("value" in db) || da.enumerable !== db.enumerable) return false;
      if (!deepEqual(da.value, db.value, seen)) return false;
    }
    return true;
  }

  function assert(condition, message) {
    if (!condition) throw new AssertionError(message === undefined ? "assertion failed" : cut(message));
  }
  assert.ok = assert;
  assert.equal = function equal(actual, expected, message) {
    if (!deepEqual(actual, expected, new SetCtor())) throw new AssertionError((message === undefined ? "" : cut(message) + ": ") + "expected " + cut(show(expected)) + ", got " + cut(show(actual)));
  };
  assert.notEqual = function notEqual(actual, expected, message) {
    if (deepEqual(actual, expected, new SetCtor())) throw new AssertionError(message === undefined ? "expected something other than " + cut(show(expected)) : cut(message));
  };
  assert.close = function close(actual, expected, tolerance, message) {
    const tol = tolerance === undefined ? 1e-9 : tolerance;
    if (typeof actual !== "number" || !(actual - expected <= tol && expected - actual <= tol)) throw new AssertionError(message === undefined ? "expected " + show(expected) + " within " + show(tol) + ", got " + cut(show(actual)) : cut(message));
  };
  assert.throws = function throws(fn, message) {
    try { fn(); } catch (e) { return; }
    throw new AssertionError(message === undefined ? "expected the call to throw" : cut(message));
  };

  const tests = [];
  let open = true;
  function test(name, fn) {
    if (!open) throw new TypeError("test() is only available while the test code is loading");
    if (typeof fn !== "function") throw new TypeError("test(name, fn): fn must be a function");
    if (tests.length >= MAX_TESTS) throw new RangeError("more than " + MAX_TESTS + " tests");
    apply(arrPush, tests, [{ name: cut(name), fn }]);
  }

  const console = { log: function log() { let line = ""; for (let i = 0; i < arguments.length; i++) line += (i ? " " : "") + (typeof arguments[i] === "string" ? arguments[i] : show(arguments[i])); hostLog(cut(line)); } };
  console.error = console.log; console.warn = console.log; console.info = console.log;

  // The "override mistake": with a frozen Error.prototype, "this.name = 'MyError'" in a subclass throws. Like
  // SES, turn the properties code commonly overrides into accessors whose setter defines an own property.
  const overridable = [[O.prototype, ["toString", "valueOf", "toLocaleString", "constructor", "hasOwnProperty"]], [Function.prototype, ["toString", "constructor"]]];
  const errors = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError];
  if (typeof AggregateError === "function") apply(arrPush, errors, [AggregateError]);
  for (let i = 0; i < errors.length; i++) apply(arrPush, overridable, [[errors[i].prototype, ["name", "message", "constructor", "toString"]]]);
  for (let i = 0; i < overridable.length; i++) {
    const target = overridable[i][0], keys = overridable[i][1];
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j], d = getOwnPropertyDescriptor(target, key);
      if (!d || !("value" in d)) continue;
      const value = d.value;
      defineProperty(target, key, {
        get: function () { return value; },
        set: function (next) {
          if (this === target) throw new TypeError("Cannot assign to read only property '" + key + "'");
          defineProperty(this, key, { value: next, writable: true, enumerable: true, configurable: true });
        },
        enumerable: d.enumerable, configurable: false,
      });
    }
  }

  // Lock down: freeze everything reachable from the global object (not the global object itself, so the
  // delivery can still declare its functions), then make the existing global bindings read-only.
  const seen = new SetCtor();
  const stack = [global];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || (typeof value !== "object" && typeof value !== "function") || apply(setHas, seen, [value])) continue;
    apply(setAdd, seen, [value]);
    const keys = ownKeys(value);
    for (let i = 0; i < keys.length; i++) {
      const d = getOwnPropertyDescriptor(value, keys[i]);
      if ("value" in d) apply(arrPush, stack, [d.value]); else apply(arrPush, stack, [d.get, d.set]);
    }
    apply(arrPush, stack, [getPrototypeOf(value)]);
    if (value !== global) freeze(value);
  }
  for (const f of [assert, assert.equal, assert.notEqual, assert.close, assert.throws, AssertionError, AssertionError.prototype, test, console, console.log]) freeze(f);
  const globals = ownKeys(global);
  for (let i = 0; i < globals.length; i++) {
    const d = getOwnPropertyDescriptor(global, globals[i]);
    if (d.configurable) defineProperty(global, globals[i], "value" in d ? { writable: false, configurable: false } : { configurable: false });
  }
  defineProperty(global, "console", { value: console, writable: false, configurable: false, enumerable: false });
  const bindings = { test, assert, console, delivery: S(deliveryText) };
  const names = ${JSON.stringify(TEST_BINDINGS)};
  const values = [];
  for (let i = 0; i < names.length; i++) apply(arrPush, values, [names[i] in bindings ? bindings[names[i]] : names[i] === "globalThis" ? global : names[i] === "undefined" ? undefined : global[names[i]]]);

  // Runs the registered tests: each reports "start", then "pass" or "fail"; an async test reports when it settles.
  function runTests() {
    open = false;
    let pending = 0;
    for (let i = 0; i < tests.length; i++) {
      const t = tests[i];
      hostReport("start", t.name, "");
      let result;
      try { result = t.fn(); }
      catch (e) { hostReport("fail", t.name, messageOf(e)); continue; }
      const then = thenOf(result);
      if (!then) { hostReport("pass", t.name, ""); continue; }
      pending++;
      try {
        apply(then, result, [
          function () { hostReport("pass", t.name, ""); },
          function (e) { hostReport("fail", t.name, messageOf(e)); },
        ]);
      } catch (e) { hostReport("fail", t.name, messageOf(e)); }
    }
    return pending;
  }
  return function control(command, wrapped) {
    if (command === "load") { apply(wrapped, undefined, values); return 0; }
    return runTests();
  };
})`;
