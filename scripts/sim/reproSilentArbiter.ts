/**
 * Reproduction of the one attack the simulation finds profitable at every capital: with an arbiter named in the
 * terms, a stake that takes the lead and an escalation in the same block leave the outbid side no time to
 * answer; an arbiter that stays silent then hands the check to the side that escalated.
 *
 *   npx tsx scripts/sim/reproSilentArbiter.ts
 *
 * Budget 1 ETH, bond 50%, escalation once 200% of the budget is staked. Good work, bonded; an honest checker
 * stakes 0.25 ETH on pass. The client's second address stakes 1.5 ETH on fail (twice the pass side: a flip) and
 * escalates in the same block. The honest checker's answer one minute later reverts `EvaluatorEscalated`; the
 * arbiter stays silent; after the ruling deadline, `settle` rejects the job.
 */
import hre from "hardhat";
import { BaseError, ContractFunctionRevertedError, parseEther, zeroAddress, type Address } from "viem";
import { encodeCheckTerms } from "../../src/chain/checkTerms.js";
import { deployContracts, PUBLIC_CHECK_LIMITS } from "../../src/chain/deployContracts.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";

const connection = await hre.network.create({ override: { initialBaseFeePerGas: 0n } });
const { viem, provider: rpc } = connection;
const publicClient = await viem.getPublicClient();
const [deployer, client, worker, checker, clientSecond, arbiter] = await viem.getWalletClients();
if (!deployer || !client || !worker || !checker || !clientSecond || !arbiter) throw new Error("need 6 accounts");
const guild = await deployContracts(deployer, publicClient, { checkLimits: PUBLIC_CHECK_LIMITS });
const budget = parseEther("1");
const gasPrice = 0n;

async function mined(hash: Promise<`0x${string}`>) {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error("transaction reverted");
}
const balances = async (who: Address[]) => Promise.all(who.map((a) => publicClient.getBalance({ address: a })));
const watched = [client.account.address, clientSecond.account.address, worker.account.address, checker.account.address];
const before = await balances(watched);

const now = (await publicClient.getBlock()).timestamp;
await mined(
  client.writeContract({
    address: guild.escrow,
    abi: jobEscrowAbi,
    functionName: "createAndFund",
    args: [
      {
        provider: worker.account.address,
        evaluator: guild.evaluator,
        token: zeroAddress,
        expiredAt: now + 7n * 86_400n,
        evaluationPeriod: 0n,
        parentJobId: 0n,
        description: "good work ahead",
        evaluatorData: encodeCheckTerms({
          windowSeconds: 600n,
          bondBps: 5_000n,
          arbiter: arbiter.account.address,
          escalationBps: 20_000n,
          arbitrationPeriodSeconds: 600n,
        }),
      },
      budget,
    ],
    value: budget,
    gasPrice,
  }),
);
const jobId = await publicClient.readContract({ address: guild.escrow, abi: jobEscrowAbi, functionName: "jobCount" });
const stake = (wallet: typeof checker, pass: boolean, amount: bigint) =>
  wallet.writeContract({
    address: guild.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stake",
    args: [jobId, pass, amount],
    value: amount,
    gas: 200_000n,
    gasPrice,
  });
await mined(
  worker.writeContract({
    address: guild.escrow,
    abi: jobEscrowAbi,
    functionName: "deliver",
    args: [jobId, "correct"],
    gasPrice,
  }),
);
await mined(stake(worker, true, parseEther("0.5")));
await mined(stake(checker, true, parseEther("0.25")));

// The flip and the escalation, one block.
await rpc.request({ method: "evm_setAutomine", params: [false] });
const flip = await stake(clientSecond, false, parseEther("1.5"));
const escalate = await clientSecond.writeContract({
  address: guild.evaluator,
  abi: stakedEvaluatorAbi,
  functionName: "escalate",
  args: [jobId],
  gas: 200_000n,
  gasPrice,
});
await rpc.request({ method: "evm_mine", params: [] });
await rpc.request({ method: "evm_setAutomine", params: [true] });
for (const hash of [flip, escalate]) {
  const receipt = await publicClient.getTransactionReceipt({ hash });
  console.log(
    `${hash === flip ? "flip (fail stake 1.5 ETH)" : "escalate"}: block ${receipt.blockNumber}, ${receipt.status}`,
  );
}

// The honest answer a minute later, well inside the response period the flip promised.
await rpc.request({ method: "evm_increaseTime", params: [60] });
await rpc.request({ method: "evm_mine", params: [] });
try {
  await publicClient.simulateContract({
    account: checker.account,
    address: guild.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stake",
    args: [jobId, true, parseEther("3")],
    value: parseEther("3"),
  });
  console.log("honest answer 60 s after the flip: would succeed");
} catch (error) {
  const revert = error instanceof BaseError ? error.walk((e) => e instanceof ContractFunctionRevertedError) : null;
  const name = revert instanceof ContractFunctionRevertedError ? revert.data?.errorName : String(error);
  console.log(`honest answer 60 s after the flip: reverts ${name}`);
}

// The arbiter stays silent; after the ruling deadline anyone settles for the leader at escalation.
await rpc.request({ method: "evm_increaseTime", params: [600] });
await rpc.request({ method: "evm_mine", params: [] });
await mined(
  deployer.writeContract({
    address: guild.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "settle",
    args: [jobId],
    gasPrice,
  }),
);
for (const wallet of [worker, checker, clientSecond]) {
  await mined(
    wallet.writeContract({
      address: guild.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "claim",
      args: [jobId],
      gasPrice,
    }),
  );
}
const job = await publicClient.readContract({
  address: guild.escrow,
  abi: jobEscrowAbi,
  functionName: "getJob",
  args: [jobId],
});
const after = await balances(watched);
const delta = (i: number) => Number((after[i] as bigint) - (before[i] as bigint)) / 1e18;
console.log(`job status: ${["Open", "Funded", "Submitted", "Completed", "Rejected", "Expired"][job.status]}`);
console.log(
  `client + its second address: ${(delta(0) + delta(1)).toFixed(2)} ETH (paid nothing for good work, took the stakes); ` +
    `worker: ${delta(2).toFixed(2)} ETH (lost its bond); honest checker: ${delta(3).toFixed(2)} ETH`,
);
await connection.close();
