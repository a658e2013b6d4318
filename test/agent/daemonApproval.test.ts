/*
 * A person's approval through a daemon's control API: a delegated task asks for a payment above
 * GUILD_APPROVAL_ABOVE; the request waits in GET /approvals until POST /approvals/:id decides it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseEther } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import type { ApprovalRequest } from "../../src/guard/approvers.js";
import {
  type DaemonHandle,
  delegate,
  startDaemonProcess,
  startTestGuild,
  type TestGuild,
  waitFor,
} from "../daemon/support.js";

describe("approvals through a daemon's control API", () => {
  let guild: TestGuild;
  let alice: DaemonHandle;

  beforeAll(async () => {
    guild = await startTestGuild({ wallets: ["alice"] });
    alice = await startDaemonProcess(guild, "alice", ["--roles", "client"]);
  });
  afterAll(async () => guild?.stop());

  async function pending(): Promise<ApprovalRequest[]> {
    return (await alice.request("GET", "/approvals")).json<ApprovalRequest[]>();
  }

  async function finished(id: string): Promise<{ status: string; result?: { answer?: string } }> {
    return waitFor(`task ${id} to end`, async () => {
      const task = (await alice.request("GET", `/tasks/${id}`)).json<{
        status: string;
        result?: { answer?: string };
      }>();
      return task.status === "running" ? undefined : task;
    });
  }

  const balance = (address: `0x${string}`) => guild.connection.publicClient.getBalance({ address });

  it("a payment above the threshold waits for POST /approvals/:id: approved it is paid, declined nothing moves", async () => {
    const payee = privateKeyToAccount(generatePrivateKey()).address;
    const id = await delegate(alice, `Pay 0.03 ETH to ${payee}`);
    const [request] = await waitFor("an approval request", async () => {
      const list = await pending();
      return list.length > 0 ? list : undefined;
    });
    expect(request).toMatchObject({ action: "pay", amount: "0.03 ETH", counterparty: payee, reasons: ["approval"] });
    expect(await balance(payee)).toBe(0n); // nothing is sent while the person has not answered
    const decided = await alice.request("POST", `/approvals/${request!.id}`, { body: { approved: true } });
    expect(decided.status).toBe(200);
    expect((await finished(id)).status).toBe("done");
    expect(await balance(payee)).toBe(parseEther("0.03"));

    const other = privateKeyToAccount(generatePrivateKey()).address;
    const refusedId = await delegate(alice, `Pay 0.03 ETH to ${other}`);
    const [second] = await waitFor("a second approval request", async () => {
      const list = await pending();
      return list.length > 0 ? list : undefined;
    });
    await alice.request("POST", `/approvals/${second!.id}`, { body: { approved: false } });
    const refused = await finished(refusedId);
    expect(refused.result?.answer).toMatch(/needs a person's approval, and it was not given/);
    expect(await balance(other)).toBe(0n);
    expect(await pending()).toEqual([]);
  }, 180_000);
});
