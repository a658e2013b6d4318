import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { zeroAddress } from "viem";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { createInProcessChain, type InProcessChain } from "../support/inProcessChain.js";

describe("in-process chain", () => {
  let chain: InProcessChain;
  beforeAll(async () => {
    chain = await createInProcessChain();
  });
  afterAll(async () => chain.close());

  it("deploys the escrow with no jobs", async () => {
    const count = await chain.publicClient.readContract({
      address: chain.addresses.escrow,
      abi: jobEscrowAbi,
      functionName: "jobCount",
    });
    expect(count).toBe(0n);
    expect(chain.addresses.escrow).not.toBe(zeroAddress);
  });
});
