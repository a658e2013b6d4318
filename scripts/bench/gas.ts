/**
 * Gas per call and per full job lifecycle, on the in-process Hardhat network.
 *
 *   npm run bench:gas
 *
 * Gas is deterministic, so these are exact figures. Targets (issue #2): path (a) at most 200,000 gas;
 * path (c) at most 520,000; the standard ERC-8183 flow (d) at most 60% of the reference's 543,354.
 */
import hre from "hardhat";
import { parseEther, parseUnits, zeroAddress, type Address, type Hash } from "viem";
import { encodeCheckTerms } from "../../src/chain/checkTerms.js";
import { deployContracts } from "../../src/chain/deployContracts.js";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";

const REFERENCE_ERC8183_FLOW = 543_354n;
const ACP_V1_HAPPY_PATH = 1_158_855n;

const connection = await hre.network.create();
const { viem } = connection;
const publicClient = await viem.getPublicClient();
const testClient = await viem.getTestClient();
const [deployer, client, provider, checker1, checker2] = await viem.getWalletClients();
if (!deployer || !client || !provider || !checker1 || !checker2) throw new Error("need 5 accounts");
const providerAddress = provider.account.address;

const guild = await deployContracts(deployer, publicClient, { withTestToken: true });
const token = guild.testToken as Address;

type Row = { path: string; call: string; gas: bigint };
const rows: Row[] = [];

async function measure(path: string, call: string, hash: Promise<Hash>): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`${path} ${call} reverted`);
  rows.push({ path, call, gas: receipt.gasUsed });
}

async function lastJobId(): Promise<bigint> {
  return publicClient.readContract({ address: guild.escrow, abi: jobEscrowAbi, functionName: "jobCount" });
}

async function expiry(): Promise<bigint> {
  const block = await publicClient.getBlock();
  return block.timestamp + 3_600n;
}

const description = "word-count: Count the words in the attached paragraph and return the number.";
const content = '{"words":42}';

function terms(evaluator: Address, paymentToken: Address, expiredAt: bigint, evaluatorData: `0x${string}` = "0x") {
  return {
    provider: providerAddress,
    evaluator,
    token: paymentToken,
    expiredAt,
    evaluationPeriod: 0n,
    parentJobId: 0n,
    description,
    evaluatorData,
  };
}

const budget = parseEther("0.01");

// The contract's first job also pays for its job counter's first write (a one-time ~17,000 gas), so a
// warm-up job runs first and every figure below is what each later job costs.
await publicClient.waitForTransactionReceipt({
  hash: await client.writeContract({
    address: guild.escrow,
    abi: jobEscrowAbi,
    functionName: "createJob",
    args: [provider.account.address, client.account.address, await expiry(), "warm-up", zeroAddress],
  }),
});

// (a) native job, the client is the evaluator and approves.
{
  const path = "(a) native, client approves";
  await measure(
    path,
    "createAndFund",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createAndFund",
      args: [terms(client.account.address, zeroAddress, await expiry()), budget],
      value: budget,
    }),
  );
  const jobId = await lastJobId();
  await measure(
    path,
    "deliver",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "deliver",
      args: [jobId, content],
    }),
  );
  await measure(
    path,
    "complete",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "complete",
      args: [jobId, "0x".padEnd(66, "0") as `0x${string}`],
    }),
  );
}

// (a') native job judged by the staked evaluator, client approves early.
{
  const path = "(a') native, staked evaluator, client approves";
  await measure(
    path,
    "createAndFund",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createAndFund",
      args: [terms(guild.evaluator, zeroAddress, await expiry()), budget],
      value: budget,
    }),
  );
  const jobId = await lastJobId();
  await measure(
    path,
    "deliver",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "deliver",
      args: [jobId, content],
    }),
  );
  await measure(
    path,
    "approve",
    client.writeContract({ address: guild.evaluator, abi: stakedEvaluatorAbi, functionName: "approve", args: [jobId] }),
  );
}

// (b) ERC-20 job, approve included, the client is the evaluator.
{
  const path = "(b) ERC-20, client approves";
  const amount = parseUnits("12.5", 6);
  await (async () => {
    const hash = await client.writeContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "mint",
      args: [client.account.address, amount * 10n],
    });
    await publicClient.waitForTransactionReceipt({ hash });
  })();
  await measure(
    path,
    "token.approve",
    client.writeContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "approve",
      args: [guild.escrow, amount],
    }),
  );
  await measure(
    path,
    "createAndFund",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createAndFund",
      args: [terms(client.account.address, token, await expiry()), amount],
    }),
  );
  const jobId = await lastJobId();
  await measure(
    path,
    "deliver",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "deliver",
      args: [jobId, content],
    }),
  );
  await measure(
    path,
    "complete",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "complete",
      args: [jobId, "0x".padEnd(66, "0") as `0x${string}`],
    }),
  );
}

// (c) native job with a staked check: bond + 1 pass stake, 1 fail stake, settle, 3 claims. The client
// configures the check at creation (window, minimum stake 10%, bond 50%); (c') runs the same calls on
// the evaluator's defaults (no evaluatorData), for comparison.
const PATH_C = "(c) native, staked check";
const PATH_C_DEFAULTS = "(c') same, evaluator defaults";
for (const path of [PATH_C, PATH_C_DEFAULTS]) {
  const window = 600n; // equal to the deployment's default window
  const bond = parseEther("0.005"); // 50% of the budget
  const stake = parseEther("0.002");
  const evaluatorData =
    path === PATH_C ? encodeCheckTerms({ windowSeconds: window, minStakeBps: 1_000n, bondBps: 5_000n }) : "0x";
  await measure(
    path,
    "createAndFund",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createAndFund",
      args: [terms(guild.evaluator, zeroAddress, await expiry(), evaluatorData), budget],
      value: budget,
    }),
  );
  const jobId = await lastJobId();
  await measure(
    path,
    "deliver",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "deliver",
      args: [jobId, content],
    }),
  );
  const stakeCall = (wallet: typeof provider, pass: boolean, amount: bigint) =>
    wallet.writeContract({
      address: guild.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "stake",
      args: [jobId, pass, amount],
      value: amount,
    });
  await measure(path, "stake (provider bond)", stakeCall(provider, true, bond));
  await measure(path, "stake (pass)", stakeCall(checker1, true, stake));
  await measure(path, "stake (fail)", stakeCall(checker2, false, stake));
  await testClient.increaseTime({ seconds: Number(window) });
  await testClient.mine({ blocks: 1 });
  await measure(
    path,
    "settle",
    checker1.writeContract({
      address: guild.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "settle",
      args: [jobId],
    }),
  );
  for (const [label, wallet] of [
    ["claim (provider)", provider],
    ["claim (pass)", checker1],
    ["claim (fail, lost)", checker2],
  ] as const) {
    await measure(
      path,
      label,
      wallet.writeContract({ address: guild.evaluator, abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] }),
    );
  }
}

// (d) the standard 5-call ERC-8183 flow on the same contract.
{
  const path = "(d) ERC-8183 standard flow";
  await measure(
    path,
    "createJob",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createJob",
      args: [provider.account.address, client.account.address, await expiry(), description, zeroAddress],
    }),
  );
  const jobId = await lastJobId();
  await measure(
    path,
    "setBudget",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "setBudget",
      args: [jobId, budget],
    }),
  );
  await measure(
    path,
    "fund",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "fund",
      args: [jobId, budget],
      value: budget,
    }),
  );
  await measure(
    path,
    "submit",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "submit",
      args: [jobId, `0x${"ab".repeat(32)}`],
    }),
  );
  await measure(
    path,
    "complete",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "complete",
      args: [jobId, "0x".padEnd(66, "0") as `0x${string}`],
    }),
  );
}

const fmt = (n: bigint) => n.toLocaleString("en-US");
const paths = [...new Set(rows.map((r) => r.path))];
const totals = new Map(paths.map((p) => [p, rows.filter((r) => r.path === p).reduce((s, r) => s + r.gas, 0n)]));

const compiler = hre.config.solidity.profiles.default?.compilers[0];
const networkConfig = connection.networkConfig;
const hardfork = networkConfig.type === "edr-simulated" ? `, hardfork ${networkConfig.hardfork}` : "";
console.log(
  `### Gas used per call and per job lifecycle (receipts' gasUsed, steady state after a warm-up job) on network ` +
    `"${connection.networkName}" (${networkConfig.type}, ${networkConfig.chainType}${hardfork}, chain id ` +
    `${await publicClient.getChainId()}); contracts from solc ${compiler?.version ?? "?"}, viaIR ` +
    `${compiler?.settings?.viaIR ?? false}, optimizer runs ${compiler?.settings?.optimizer?.runs ?? "?"}`,
);
console.log("");
console.log("| path | call | gas |");
console.log("| --- | --- | ---: |");
for (const row of rows) console.log(`| ${row.path} | ${row.call} | ${fmt(row.gas)} |`);
const total = (path: string) => {
  const gas = totals.get(path);
  if (gas === undefined) throw new Error(`no total for path ${path}`);
  return gas;
};
for (const path of paths) console.log(`| ${path} | **total** | **${fmt(total(path))}** |`);

const pct = (a: bigint, b: bigint) => `${((Number(a) / Number(b)) * 100).toFixed(1)}%`;
const a = total("(a) native, client approves");
const c = total(PATH_C);
const d = total("(d) ERC-8183 standard flow");
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");
console.log("");
console.log(`(a) ${fmt(a)} gas, target <= 200,000: ${verdict(a <= 200_000n)}`);
console.log(
  `(c) ${fmt(c)} gas, target <= 520,000: ${verdict(c <= 520_000n)} (${pct(c, ACP_V1_HAPPY_PATH)} of ACP v1's ${fmt(ACP_V1_HAPPY_PATH)} happy path, which has no staking)`,
);
console.log(
  `(d) ${fmt(d)} gas = ${pct(d, REFERENCE_ERC8183_FLOW)} of the reference's ${fmt(REFERENCE_ERC8183_FLOW)}, target <= 60%: ${verdict(d * 100n <= REFERENCE_ERC8183_FLOW * 60n)}`,
);
await connection.close();
