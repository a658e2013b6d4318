import { describe, expect, it } from "vitest";
import { HttpRequestError, LimitExceededRpcError, InvalidParamsRpcError, RpcRequestError, TimeoutError } from "viem";
import { classifyLogsError } from "../../../src/chain/logs/classifyLogsError.js";

function rpc(code: number, message: string): RpcRequestError {
  return new RpcRequestError({ body: {}, error: { code, message }, url: "http://node.invalid" });
}

describe("classifyLogsError", () => {
  it.each([
    ["Infura", rpc(-32005, "query returned more than 10000 results. Try with this block range [0x10, 0x1f].")],
    ["BSC", rpc(-32000, "exceed maximum block range: 5000")],
    ["QuickNode", rpc(-32614, "eth_getLogs is limited to a 10,000 range")],
    ["Ankr", rpc(-32600, "requested too many blocks from 1 to 60000, maximum is set to 2048")],
    [
      "Alchemy",
      rpc(-32602, "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block range"),
    ],
    ["generic -32602 with range words", new InvalidParamsRpcError(new Error("block range is too large"))],
    ["-32005 without words", new LimitExceededRpcError(new Error("limit exceeded"))],
    ["HTTP 413", new HttpRequestError({ url: "http://node.invalid", status: 413 })],
    ["range too large", rpc(-32000, "range too large, max 1000 blocks")],
  ])("sees a range refusal: %s", (_name, error) => {
    expect(classifyLogsError(error).kind).toBe("range");
  });

  it("reads the limit or the suggested range from the message", () => {
    expect(classifyLogsError(rpc(-32000, "exceed maximum block range: 5000")).maxRange).toBe(5_000n);
    expect(classifyLogsError(rpc(-32614, "eth_getLogs is limited to a 10,000 range")).maxRange).toBe(10_000n);
    expect(
      classifyLogsError(rpc(-32600, "requested too many blocks from 1 to 60000, maximum is set to 2048")).maxRange,
    ).toBe(2_048n);
    expect(classifyLogsError(rpc(-32602, "Log response size exceeded. ... up to a 2K block range")).maxRange).toBe(
      2_000n,
    );
    expect(
      classifyLogsError(rpc(-32005, "query returned more than 10000 results. Try with this block range [0x10, 0x1f]."))
        .suggestedRange,
    ).toEqual({ fromBlock: 16n, toBlock: 31n });
  });

  it.each([
    ["HTTP 429", new HttpRequestError({ url: "http://node.invalid", status: 429 })],
    ["HTTP 503", new HttpRequestError({ url: "http://node.invalid", status: 503 })],
    ["-32005 rate limit", rpc(-32005, "daily request rate limit exceeded")],
    ["timeout", new TimeoutError({ body: {}, url: "http://node.invalid" })],
    [
      "connection refused",
      new HttpRequestError({
        url: "http://node.invalid",
        cause: Object.assign(new TypeError("fetch failed"), {
          cause: Object.assign(new Error("connect"), { code: "ECONNREFUSED" }),
        }),
      }),
    ],
  ])("sees a transient failure: %s", (_name, error) => {
    expect(classifyLogsError(error).kind).toBe("transient");
  });

  it.each([
    ["invalid params", new InvalidParamsRpcError(new Error("invalid argument 0: hex string without 0x prefix"))],
    ["method not found", rpc(-32601, "the method eth_getLogs does not exist/is not available")],
  ])("sees a fatal failure: %s", (_name, error) => {
    expect(classifyLogsError(error).kind).toBe("fatal");
  });
});
