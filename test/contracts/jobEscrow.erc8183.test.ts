/**
 * ERC-8183 compatibility: a client written against the ERC's own ABI, where every hookable call carries a
 * trailing `bytes optParams`, drives a job from creation to completion or rejection with an EOA evaluator.
 * Guild has no hooks, so non-empty optParams are refused (EscrowOptParamsNotSupported) and move nothing.
 */
import { encodeFunctionData, getContract, parseAbi, stringToHex, zeroAddress, type Address, type Hex } from "viem";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { eventNamesOf, eventsOf } from "../support/contracts-helpers/events.js";
import { expectRevert } from "../support/contracts-helpers/expectRevert.js";
import {
  createGuildFixture,
  gasCost,
  NATIVE,
  useChainSnapshot,
  type GuildFixture,
} from "../support/contracts-helpers/fixture.js";
import { createdJobId, jobTerms, Status, statusOf } from "../support/contracts-helpers/jobs.js";
import type { TestWallet } from "../support/inProcessChain.js";

/** The ERC's calls as its text states them (with `fund` payable, as a native-ETH kernel needs). */
const erc8183Abi = parseAbi([
  "function createJob(address provider, address evaluator, uint256 expiredAt, string description, address hook) returns (uint256 jobId)",
  "function setProvider(uint256 jobId, address provider, bytes optParams)",
  "function setBudget(uint256 jobId, uint256 amount, bytes optParams)",
  "function fund(uint256 jobId, uint256 expectedBudget, bytes optParams) payable",
  "function submit(uint256 jobId, bytes32 deliverable, bytes optParams)",
  "function complete(uint256 jobId, bytes32 reason, bytes optParams)",
  "function reject(uint256 jobId, bytes32 reason, bytes optParams)",
  "function claimRefund(uint256 jobId)",
]);

const NO_PARAMS: Hex = "0x";
const deliverable = stringToHex("ipfs://the-work", { size: 32 });
const reason = stringToHex("meets the spec", { size: 32 });

let f: GuildFixture;
beforeAll(async () => {
  f = await createGuildFixture();
});
afterAll(async () => f.chain.stop());
useChainSnapshot(() => f);

const addressOf = (w: TestWallet): Address => w.account.address;
/** The escrow as an ERC-8183 SDK sees it: only the ERC's selectors. */
const ercAs = (w: TestWallet) =>
  getContract({ address: f.addresses.escrow, abi: erc8183Abi, client: { public: f.publicClient, wallet: w } });

describe("JobEscrow through the ERC-8183 optParams ABI, EOA evaluator", () => {
  it("createJob -> setProvider -> setBudget -> fund -> submit -> complete pays the provider (native)", async () => {
    const budget = 750_000n;
    const created = await f.tx(
      ercAs(f.client).write.createJob([
        zeroAddress,
        addressOf(f.evaluator),
        (await f.now()) + 3_600n,
        "summarise",
        zeroAddress,
      ]),
    );
    const jobId = createdJobId(created);
    const steps = [
      await f.tx(ercAs(f.client).write.setProvider([jobId, addressOf(f.provider), NO_PARAMS])),
      await f.tx(ercAs(f.provider).write.setBudget([jobId, budget, NO_PARAMS])),
      await f.tx(ercAs(f.client).write.fund([jobId, budget, NO_PARAMS], { value: budget })),
      await f.tx(ercAs(f.provider).write.submit([jobId, deliverable, NO_PARAMS])),
    ];
    expect(steps.map((receipt) => eventNamesOf(receipt, jobEscrowAbi, f.addresses.escrow))).toEqual([
      ["ProviderSet"],
      ["BudgetSet"],
      ["JobFunded"],
      ["JobSubmitted"],
    ]);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(budget);
    const providerBefore = await f.balanceOf(NATIVE, addressOf(f.provider));
    const completed = await f.tx(ercAs(f.evaluator).write.complete([jobId, reason, NO_PARAMS]));
    expect(eventsOf(completed, jobEscrowAbi, "JobCompleted", f.addresses.escrow)).toEqual([
      { jobId, evaluator: addressOf(f.evaluator), reason },
    ]);
    expect(await statusOf(f, jobId)).toBe(Status.Completed);
    expect(await f.balanceOf(NATIVE, addressOf(f.provider))).toBe(providerBefore + budget);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(0n);
  });

  it("an ERC-20 job: fund (not payable) and reject refund the client", async () => {
    const budget = 2_000_000n;
    const token = f.erc20.token;
    await f.mintAndApprove(token, f.client, budget);
    const jobId = createdJobId(
      await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { token })])),
    );
    await f.tx(ercAs(f.client).write.setBudget([jobId, budget, NO_PARAMS]));
    await f.tx(ercAs(f.client).write.fund([jobId, budget, NO_PARAMS]));
    await f.tx(ercAs(f.provider).write.submit([jobId, deliverable, NO_PARAMS]));
    const clientBefore = await f.balanceOf(token, addressOf(f.client));
    const rejected = await f.tx(ercAs(f.evaluator).write.reject([jobId, reason, NO_PARAMS]));
    expect(eventNamesOf(rejected, jobEscrowAbi, f.addresses.escrow)).toEqual(["JobRejected", "Refunded"]);
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
    expect(await f.balanceOf(token, addressOf(f.client))).toBe(clientBefore + budget);
    expect(await f.balanceOf(token, f.addresses.escrow)).toBe(0n);
  });

  it("the client rejects an Open job through reject(optParams)", async () => {
    const jobId = createdJobId(await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f)])));
    await f.tx(ercAs(f.client).write.reject([jobId, reason, NO_PARAMS]));
    expect(await statusOf(f, jobId)).toBe(Status.Rejected);
  });

  it("refuses non-empty optParams in every overload (EscrowOptParamsNotSupported) and moves nothing", async () => {
    const budget = 10_000n;
    const params: Hex = "0x01";
    const open = createdJobId(
      await f.tx(f.escrowAs(f.client).write.createJobWithTerms([await jobTerms(f, { provider: zeroAddress })])),
    );
    await expectRevert(
      ercAs(f.client).write.setProvider([open, addressOf(f.provider), params]),
      "EscrowOptParamsNotSupported",
      [],
    );
    await expectRevert(ercAs(f.client).write.setBudget([open, budget, params]), "EscrowOptParamsNotSupported", []);
    await expectRevert(ercAs(f.client).write.reject([open, reason, params]), "EscrowOptParamsNotSupported", []);
    await f.tx(ercAs(f.client).write.setProvider([open, addressOf(f.provider), NO_PARAMS]));
    await f.tx(ercAs(f.client).write.setBudget([open, budget, NO_PARAMS]));
    const clientBefore = await f.balanceOf(NATIVE, addressOf(f.client));
    await expectRevert(
      ercAs(f.client).write.fund([open, budget, params], { value: budget }),
      "EscrowOptParamsNotSupported",
      [],
    );
    // A refused call costs nothing (viem's estimate fails before anything is sent).
    expect(await f.balanceOf(NATIVE, addressOf(f.client))).toBe(clientBefore);
    const funded = await f.tx(ercAs(f.client).write.fund([open, budget, NO_PARAMS], { value: budget }));
    expect(await f.balanceOf(NATIVE, addressOf(f.client))).toBe(clientBefore - budget - gasCost(funded));
    await expectRevert(ercAs(f.provider).write.submit([open, deliverable, params]), "EscrowOptParamsNotSupported", []);
    await f.tx(ercAs(f.provider).write.submit([open, deliverable, NO_PARAMS]));
    await expectRevert(ercAs(f.evaluator).write.complete([open, reason, params]), "EscrowOptParamsNotSupported", []);
    await expectRevert(ercAs(f.evaluator).write.reject([open, reason, params]), "EscrowOptParamsNotSupported", []);
    expect(await statusOf(f, open)).toBe(Status.Submitted);
    expect(await f.balanceOf(NATIVE, f.addresses.escrow)).toBe(budget);
  });
});

describe("JobEscrow with a contract evaluator that takes no terms", () => {
  it("a multisig-like contract evaluator without configureJob works with a custom evaluation period", async () => {
    const evaluator = await f.deployReceiver(f.evaluator);
    const budget = 5_000n;
    const terms = await jobTerms(f, { evaluator: evaluator.address, evaluationPeriod: 3_600n });
    const created = await f.tx(f.escrowAs(f.client).write.createAndFund([terms, budget], { value: budget }));
    const jobId = createdJobId(created);
    expect((await f.escrow.read.getJob([jobId])).evaluationPeriod).toBe(3_600n);
    await f.tx(f.escrowAs(f.provider).write.submit([jobId, deliverable]));
    const providerBefore = await f.balanceOf(NATIVE, addressOf(f.provider));
    await f.tx(
      evaluator.write.execute([
        f.addresses.escrow,
        0n,
        encodeFunctionData({ abi: jobEscrowAbi, functionName: "complete", args: [jobId, reason] }),
      ]),
    );
    expect(await f.balanceOf(NATIVE, addressOf(f.provider))).toBe(providerBefore + budget);
  });
});
