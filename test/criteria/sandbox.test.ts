import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { findSyntaxError, runTestsInSandbox } from "../../src/criteria/sandbox/runTestsInSandbox.js";

const limits = { timeMs: 300, memoryBytes: 8 * 1024 * 1024 };
const run = (delivery: string, testCode: string, loadDelivery = true, timeMs = limits.timeMs) =>
  runTestsInSandbox({ delivery, testCode, loadDelivery, limits: { ...limits, timeMs } });

describe("the sandbox runs tests against a delivery", () => {
  it("reports each test case, passing and failing, with the assertion's message", async () => {
    const result = await run(
      "function add(a, b) { return a + b; }",
      `test("adds", () => assert.equal(add(2, 3), 5));
       test("adds negatives", () => assert.equal(add(-2, -3), -6));
       test("deep equality", () => assert.equal([add(1, 1), { x: add(0, 1) }], [2, { x: 1 }]));`,
    );
    expect(result.stop).toBeUndefined();
    expect(result.tests).toEqual([
      { name: "adds", passed: true },
      { name: "adds negatives", passed: false, message: "AssertionError: expected -6, got -5" },
      { name: "deep equality", passed: true },
    ]);
  });

  it("exposes the delivered text as `delivery` and runs async tests to completion", async () => {
    const result = await run(
      "not code at all",
      `test("text", () => assert.equal(delivery.split(" ").length, 4));
       test("async", async () => { await null; assert.equal(1, 2); });`,
      false,
    );
    expect(result.tests.map((t) => t.passed)).toEqual([true, false]);
  });

  it("lets a delivery define subclasses of Error and override toString (the frozen built-ins still allow it)", async () => {
    const result = await run(
      `class ParseError extends Error { constructor(m) { super(m); this.name = "ParseError"; } }
       function parse(s) { if (s === "") throw new ParseError("empty"); const o = { toString() { return "P:" + s; } }; return o; }`,
      `test("error name", () => { try { parse(""); } catch (e) { assert.equal(e.name, "ParseError"); return; } assert(false); });
       test("toString", () => assert.equal(String(parse("x")), "P:x"));`,
    );
    expect(result.tests).toEqual([
      { name: "error name", passed: true },
      { name: "toString", passed: true },
    ]);
  });

  it("tells a delivery that does not parse from test code that does not", async () => {
    expect((await run("function (", "test('x', () => {})")).stop).toMatchObject({
      phase: "delivery",
      reason: "syntax",
    });
    expect((await run("1", "test('x', () => {")).stop).toMatchObject({ phase: "test-code", reason: "syntax" });
    expect(await findSyntaxError("test('x', () => {")).toMatch(/SyntaxError/);
    expect(await findSyntaxError("test('x', () => assert(true));")).toBeUndefined();
  });

  it("cuts logs to the limit and counts what it dropped", async () => {
    const result = await run("", "for (let i = 0; i < 2000; i++) console.log('x'.repeat(100));");
    expect(result.logs.length).toBe(8_000);
    expect(result.droppedLogChars).toBeGreaterThan(190_000);
  });
});

describe("the sandbox is a security boundary: hostile code is contained and reported", () => {
  it("stops an infinite loop at the time limit, in the delivery or in a test", async () => {
    const started = Date.now();
    const inDelivery = await run("while (true) {}", "test('never', () => {})");
    expect(inDelivery.stop).toMatchObject({ phase: "delivery", reason: "time" });
    const inTest = await run("function spin() { for (;;) {} }", "test('ok', () => {}); test('spins', () => spin());");
    expect(inTest.stop).toMatchObject({ phase: "tests", reason: "time", test: "spins" });
    expect(inTest.tests).toEqual([{ name: "ok", passed: true }]);
    // Two runs of 300 ms each, plus setup; generous for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("stops a promise that never settles and a job queue that never drains", async () => {
    const never = await run("", "test('never settles', () => new Promise(() => {}));");
    expect(never.tests).toEqual([{ name: "never settles", passed: false, message: "its promise never settled" }]);
    const drain = await run(
      "",
      "test('spins the queue', () => { const loop = () => Promise.resolve().then(loop); return loop(); });",
    );
    // Each turn of the loop leaves one more promise waiting on the next: whichever limit comes first stops it. Out
    // of time, the run stops; out of memory (first on a fast machine), QuickJS rejects the test's promise.
    expect(drain.tests.some((test) => test.passed)).toBe(false);
    if (drain.stop) expect(drain.stop.reason).toMatch(/time|memory/);
    else expect(drain.tests).toEqual([{ name: "spins the queue", passed: false, message: "threw null" }]);
  });

  it("stops memory bombs at the memory limit", async () => {
    for (const bomb of [
      "const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length });",
      "let s = 'ab'; for (;;) s = s + s;",
      "new Array(1e8).fill(0);",
      "const b = new ArrayBuffer(1024 * 1024 * 1024);",
    ]) {
      // The time limit at its maximum, so that memory runs out first even on a loaded machine.
      const result = await run(bomb, "test('x', () => {})", true, 3_000);
      expect(result.stop, bomb).toMatchObject({ phase: "delivery", reason: "memory" });
    }
  });

  it("terminates the sandbox's thread when native code holds it past the limit (a bomb of large strings)", async () => {
    // Near the memory limit QuickJS can spend tens of seconds inside allocation without polling its interrupt.
    const started = Date.now();
    const result = await run("const hog = []; for (;;) hog.push('x'.repeat(1 << 20) + hog.length);", "", true, 300);
    expect(result.stop?.reason).toMatch(/time|memory/);
    expect(Date.now() - started).toBeLessThan(15_000);
    // A fresh thread serves the next run (a generous limit: a loaded machine is slow to start a thread).
    const next = await run("function one() { return 1; }", "test('one', () => assert.equal(one(), 1))", true, 3_000);
    expect(next.stop).toBeUndefined();
    expect(next.tests).toEqual([{ name: "one", passed: true }]);
  });

  it("stops runaway recursion, in interpreted code and inside native built-ins", async () => {
    expect((await run("function f() { return f() + 1; } f();", "", true, 3_000)).stop).toMatchObject({
      reason: "stack",
    });
    for (const deep of [
      "JSON.parse('['.repeat(100000));",
      "let a = []; for (let i = 0; i < 100000; i++) a = [a]; String(a);",
      "eval('('.repeat(100000) + '1' + ')'.repeat(100000));",
    ]) {
      // The time limit at its maximum, so that the stack runs out first even on a loaded machine.
      const result = await run(deep, "", true, 3_000);
      expect(result.stop, deep).toMatchObject({ phase: "delivery", reason: "stack" });
    }
    // The module is replaced after a failure in the host; the next run works.
    expect((await run("function ok() { return 1; }", "test('ok', () => assert.equal(ok(), 1))")).tests).toEqual([
      { name: "ok", passed: true },
    ]);
  });

  it("has no process, require, fetch, file system, timers or host globals to reach", async () => {
    const result = await run(
      "",
      `const probes = {
         process: typeof process, require: typeof require, fetch: typeof fetch, module: typeof module,
         setTimeout: typeof setTimeout, Buffer: typeof Buffer, WebAssembly: typeof WebAssembly,
         std: typeof std, os: typeof os, Deno: typeof Deno, Bun: typeof Bun,
         viaFunction: typeof Function("return this")().process,
         viaConstructor: typeof (() => {}).constructor("return typeof process")(),
       };
       test("nothing to reach", () => {
         for (const key of Object.keys(probes)) assert.equal(probes[key], key === "viaConstructor" ? "string" : "undefined", key);
         assert.equal((() => {}).constructor("return typeof process")(), "undefined");
       });
       let imported = "pending";
       import("fs").then(() => { imported = "loaded"; }, (e) => { imported = String(e); });
       import("os").then(() => { imported += "; os loaded"; }, () => {});
       test("no modules", async () => { await null; await null; assert(imported.includes("could not load module"), imported); });`,
    );
    expect(result.stop).toBeUndefined();
    expect(result.tests).toEqual([
      { name: "nothing to reach", passed: true },
      { name: "no modules", passed: true },
    ]);
  });

  it("keeps the harness and the built-ins out of the delivery's reach (prototype pollution, a forged assert)", async () => {
    const hostile = `
      try { Object.prototype.polluted = "yes"; } catch (e) {}
      try { Array.prototype.map = function () { return [42]; }; } catch (e) {}
      try { JSON.stringify = () => "{}"; } catch (e) {}
      try { globalThis.assert = { equal() {} }; } catch (e) {}
      try { assert.equal = function () {}; } catch (e) {}
      try { Object.defineProperty(globalThis, "test", { value: () => {} }); } catch (e) {}
      try { test("planted by the delivery", () => {}); } catch (e) {}
      try { Object.defineProperty(globalThis, "JSON", { value: { stringify: () => "{}" } }); } catch (e) {}
      function add(a, b) { return a - b; }`;
    const result = await run(
      hostile,
      `test("no pollution", () => { assert.equal(({}).polluted, undefined); assert.equal([1, 2].map((x) => x * 2), [2, 4]); assert.equal(JSON.stringify({ a: 1 }), '{"a":1}'); });
       test("add", () => assert.equal(add(2, 3), 5));`,
    );
    expect(result.tests).toEqual([
      { name: "no pollution", passed: true },
      { name: "add", passed: false, message: "AssertionError: expected 5, got -1" },
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a daemon-like loop keeps serving while hostile code runs, and after", async () => {
    const server = createServer((_req, res) => res.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const hostile = [
        "while (true) {}",
        "let s = 'ab'; for (;;) s += s;",
        "JSON.parse('['.repeat(100000));",
        "Object.prototype.x = 1; function f() { f(); } f();",
      ];
      let served = 0;
      for (const code of hostile) {
        const result = await run(code, "test('x', () => {})");
        expect(result.stop).toBeDefined();
        // Between checks the host's event loop is free: the server answers.
        expect(await (await fetch(url)).text()).toBe("ok");
        served++;
      }
      expect(served).toBe(hostile.length);
      // And while it runs: the sandbox has its own thread, so the server answers during an infinite loop.
      const order: string[] = [];
      const spinning = run("while (true) {}", "test('x', () => {})", true, 2_000).then(() => order.push("sandbox"));
      expect(await (await fetch(url)).text()).toBe("ok");
      order.push("server");
      await spinning;
      expect(order).toEqual(["server", "sandbox"]);
      const honest = await run("function id(x) { return x; }", "test('id', () => assert.equal(id(7), 7))");
      expect(honest.tests).toEqual([{ name: "id", passed: true }]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
