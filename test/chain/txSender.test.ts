import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createConnection } from "../../src/chain/createConnection.js";
import { createTxSender, type SubmittedTx } from "../../src/chain/tx/createTxSender.js";
import { RpcUnavailableError, TransactionTimeoutError } from "../../src/errors/transaction.js";
import { DEV_KEYS, NODE_KINDS, startTestNode, type TestNode } from "../support/nodes.js";
import { startRpcProxy, type RpcProxy } from "../support/rpcProxy.js";

const to = privateKeyToAccount(DEV_KEYS[9]!).address;

describe.each(NODE_KINDS)("transaction sender on %s", (kind) => {
  let node: TestNode;
  let proxy: RpcProxy;

  beforeAll(async () => {
    node = await startTestNode(kind);
    proxy = await startRpcProxy(node.url);
  });
  afterAll(async () => {
    await proxy?.close();
    await node?.stop();
  });

  it("does not send twice when the answer to a send is lost", async () => {
    const connection = await createConnection({ url: proxy.url });
    const account = privateKeyToAccount(DEV_KEYS[5]!);
    const sender = createTxSender({ connection, account, timeoutMs: 10_000 });
    const nonceBefore = await connection.publicClient.getTransactionCount({ address: account.address });

    proxy.dropResponseOnce("eth_sendRawTransaction");
    const receipt = await sender.send({ to, value: parseEther("0.001"), label: "pay" });

    expect(receipt.status).toBe("success");
    // The node got the first copy; the resent identical bytes did not make a second transaction.
    expect(await connection.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 1);
    expect(proxy.seen.filter((m) => m === "eth_sendRawTransaction").length).toBeGreaterThanOrEqual(2);
  });

  it("resends the same signed transaction while the node keeps failing, and it is mined once", async () => {
    const connection = await createConnection({ url: proxy.url });
    const account = privateKeyToAccount(DEV_KEYS[6]!);
    const sender = createTxSender({ connection, account, timeoutMs: 10_000 });
    const nonceBefore = await connection.publicClient.getTransactionCount({ address: account.address });
    const sendsBefore = proxy.seen.filter((m) => m === "eth_sendRawTransaction").length;

    // viem never retries a send itself (retryCount 0): each 503 reaches the sender, which resends after 100, 200, 400 ms.
    proxy.fail("eth_sendRawTransaction", 3);
    const receipt = await sender.send({ to, value: parseEther("0.001"), label: "pay through a flaky node" });

    expect(receipt.status).toBe("success");
    expect(await connection.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 1);
    expect(proxy.seen.filter((m) => m === "eth_sendRawTransaction").length - sendsBefore).toBe(4);
  });

  it("never signs a second transaction while the node cannot say whether the first arrived", async () => {
    const connection = await createConnection({ url: proxy.url });
    const account = privateKeyToAccount(DEV_KEYS[4]!);
    const reported: SubmittedTx[] = [];
    const sender = createTxSender({
      connection,
      account,
      timeoutMs: 10_000,
      onSubmitted: (submitted) => reported.push(submitted),
    });
    const direct = await createConnection({ url: node.url });
    const nonceBefore = await direct.publicClient.getTransactionCount({ address: account.address });

    // The node takes the payment but its answer is lost; the resend is refused as a used nonce, and every question
    // about the transaction gets a 503: the sender cannot tell whether the payment is its own.
    proxy.dropResponseOnce("eth_sendRawTransaction");
    proxy.fail("eth_getTransactionByHash");
    try {
      const error = await sender.send({ to, value: 11n, gas: 21_000n, label: "pay once" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RpcUnavailableError);
      // The payment the node took is reported, marked uncertain, so a caller can ask about it before acting again.
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatchObject({ label: "pay once", uncertain: true, nonce: nonceBefore });
      expect(await direct.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 1);

      // While the node still cannot say, nothing new is signed.
      const again = await sender.send({ to, value: 12n, gas: 21_000n, label: "pay next" }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(RpcUnavailableError);
      expect(await direct.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 1);
    } finally {
      proxy.heal();
    }

    // The node answers again: the next payment goes out under the next nonce, and the first was sent once.
    const receipt = await sender.send({ to, value: 13n, gas: 21_000n, label: "pay after" });
    expect(receipt.status).toBe("success");
    expect(await direct.publicClient.getTransactionCount({ address: account.address })).toBe(nonceBefore + 2);
    const first = await direct.publicClient.getTransaction({ hash: reported[0]!.hash });
    expect(first.value).toBe(11n);
    expect((await direct.publicClient.getTransaction({ hash: receipt.transactionHash })).value).toBe(13n);
  });

  it("reports an unreachable node as RpcUnavailableError and works again when it is back", async () => {
    const connection = await createConnection({ url: proxy.url });
    const account = privateKeyToAccount(DEV_KEYS[6]!);
    const sender = createTxSender({ connection, account, timeoutMs: 10_000 });
    await sender.send({ to, value: 1n, label: "warm up" });

    await proxy.down();
    const error = await sender.send({ to, value: 2n, gas: 21_000n, label: "pay while down" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RpcUnavailableError);
    expect((error as Error).message).toContain("did not answer");

    await proxy.up();
    const receipt = await sender.send({ to, value: 3n, gas: 21_000n, label: "pay when back" });
    expect(receipt.status).toBe("success");
    const tx = await connection.publicClient.getTransaction({ hash: receipt.transactionHash });
    expect(tx.value).toBe(3n);
  });

  it("keeps waiting through a short outage and still finds the receipt", async () => {
    const connection = await createConnection({ url: proxy.url });
    const account = privateKeyToAccount(DEV_KEYS[7]!);
    const sender = createTxSender({ connection, account, timeoutMs: 15_000 });
    await connection.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      const submitted = await sender.submit({ to, value: 5n, gas: 21_000n, label: "pay during outage" });
      const waiting = sender.waitForReceipt(submitted);
      await proxy.down();
      await new Promise((resolve) => setTimeout(resolve, 300));
      await proxy.up();
      await connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
      const receipt = await waiting;
      expect(receipt.transactionHash).toBe(submitted.hash);
      expect(receipt.status).toBe("success");
    } finally {
      await connection.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
  });

  it("gives up waiting with a TransactionTimeoutError naming the hash", async () => {
    const connection = await createConnection({ url: node.url });
    const account = privateKeyToAccount(DEV_KEYS[8]!);
    const sender = createTxSender({ connection, account, timeoutMs: 1_000 });
    await connection.publicClient.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      const submitted = await sender.submit({ to, value: 7n, gas: 21_000n, label: "never mined" });
      const error = await sender.waitForReceipt(submitted).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransactionTimeoutError);
      expect((error as TransactionTimeoutError).hash).toBe(submitted.hash);
    } finally {
      await connection.publicClient.request({ method: "evm_setAutomine" as never, params: [true] as never });
      await connection.publicClient.request({ method: "evm_mine" as never, params: [] as never });
    }
  });
});
