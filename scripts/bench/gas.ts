/**
 * Gas per call and per full job lifecycle, on the in-process Hardhat network.
 *
 *   npm run bench:gas
 *
 * Gas is deterministic, so these are exact figures, read from each transaction's receipt. Targets (issue #9):
 * the fast path (a') at most 200,000 gas; the staked path (c) at most 520,000; each extra stake at most 75,000.
 * The standard ERC-8183 flow is compared with the reference implementation's 543,354 (an ERC-20 flow): (g) is
 * the like-for-like ERC-20 flow; (d) is native ETH and kept for continuity (issue #2's target: at most 60%).
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
const [deployer, client, provider, checker1, checker2, checker3, arbiter] = await viem.getWalletClients();
if (!deployer || !client || !provider || !checker1 || !checker2 || !checker3 || !arbiter) {
  throw new Error("need 7 accounts");
}

const providerAddress = provider.account.address;

const guild = await deployContracts(deployer, publicClient, { withTestToken: true });
const token = guild.testToken as Address;

type Row = { path: string; call: string; gas: bigint };
const rows: Row[] = [];

async function measure(path: string, call: string, hash: Promise<Hash>): Promise<bigint> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`${path} ${call} reverted`);
  rows.push({ path, call, gas: receipt.gasUsed });
  return receipt.gasUsed;
}

/** A setup transaction that is not part of any measured path. */
async function setup(what: string, hash: Promise<Hash>): Promise<void> {
  const receipt = await publicClient.waitForTransactionReceipt({ hash: await hash });
  if (receipt.status !== "success") throw new Error(`setup ${what} reverted`);
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

// (d) the standard 5-call ERC-8183 flow on the same contract, native ETH; (h) the same five calls through the
// ERC's trailing-`optParams` overloads (empty), as a client holding only the ERC's ABI sends them.
const PATH_D = "(d) ERC-8183 5-call flow, native";
const PATH_H = "(h) ERC-8183 5-call flow, native, optParams overloads";
for (const path of [PATH_D, PATH_H]) {
  const opt = path === PATH_H;
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
  const deliverable = `0x${"ab".repeat(32)}` as const;
  const reason = `0x${"00".repeat(32)}` as const;
  await measure(
    path,
    opt ? "setBudget(optParams)" : "setBudget",
    opt
      ? client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "setBudget",
          args: [jobId, budget, "0x"],
        })
      : client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "setBudget",
          args: [jobId, budget],
        }),
  );
  await measure(
    path,
    opt ? "fund(optParams)" : "fund",
    opt
      ? client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "fund",
          args: [jobId, budget, "0x"],
          value: budget,
        })
      : client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "fund",
          args: [jobId, budget],
          value: budget,
        }),
  );
  await measure(
    path,
    opt ? "submit(optParams)" : "submit",
    opt
      ? provider.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "submit",
          args: [jobId, deliverable, "0x"],
        })
      : provider.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "submit",
          args: [jobId, deliverable],
        }),
  );
  await measure(
    path,
    opt ? "complete(optParams)" : "complete",
    opt
      ? client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "complete",
          args: [jobId, reason, "0x"],
        })
      : client.writeContract({
          address: guild.escrow,
          abi: jobEscrowAbi,
          functionName: "complete",
          args: [jobId, reason],
        }),
  );
}

// (g) the 5-call ERC-8183 flow with an ERC-20 token, like the reference's. The ERC's `createJob` has no token
// argument (the reference escrow has one payment token per contract), so the job is created with its token in
// the terms; every other call is the ERC's. The token approve is shown apart.
const PATH_G = "(g) ERC-8183 5-call flow, ERC-20";
let tokenApproveGas = 0n;
{
  const amount = parseUnits("12.5", 6);
  await setup(
    "mint",
    client.writeContract({
      address: token,
      abi: guildTestTokenAbi,
      functionName: "mint",
      args: [client.account.address, amount],
    }),
  );
  await measure(
    PATH_G,
    "createJobWithTerms (token in the terms)",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "createJobWithTerms",
      args: [terms(client.account.address, token, await expiry())],
    }),
  );
  const jobId = await lastJobId();
  await measure(
    PATH_G,
    "setBudget",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "setBudget",
      args: [jobId, amount],
    }),
  );
  const approveHash = client.writeContract({
    address: token,
    abi: guildTestTokenAbi,
    functionName: "approve",
    args: [guild.escrow, amount],
  });
  const approveReceipt = await publicClient.waitForTransactionReceipt({ hash: await approveHash });
  if (approveReceipt.status !== "success") throw new Error("token approve reverted");
  tokenApproveGas = approveReceipt.gasUsed;
  await measure(
    PATH_G,
    "fund",
    client.writeContract({ address: guild.escrow, abi: jobEscrowAbi, functionName: "fund", args: [jobId, amount] }),
  );
  await measure(
    PATH_G,
    "submit",
    provider.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "submit",
      args: [jobId, `0x${"cd".repeat(32)}`],
    }),
  );
  await measure(
    PATH_G,
    "complete",
    client.writeContract({
      address: guild.escrow,
      abi: jobEscrowAbi,
      functionName: "complete",
      args: [jobId, `0x${"00".repeat(32)}`],
    }),
  );
}

// (e) one extra stake on a check that already holds the bond and a pass stake (terms as in (c)): a stake that
// does not change the lead, and one that does (a flip: the close moves and `LeadChanged` is emitted). Each
// staker is new to the job, as in (c), so each stake writes a fresh position slot.
const EXTRA_NO_FLIP = "extra stake, no flip (pass, while pass leads)";
const EXTRA_FLIP = "extra stake, flips the lead (fail, to 2x pass)";
const PATH_E = "(e) one extra stake";
const extra = { noFlip: 0n, flip: 0n };
{
  const evaluatorData = encodeCheckTerms({ windowSeconds: 600n, minStakeBps: 1_000n, bondBps: 5_000n });
  await setup(
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
  await setup(
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
  await setup("bond", stakeCall(provider, true, parseEther("0.005")));
  await setup("pass stake", stakeCall(checker1, true, parseEther("0.002")));
  // pass total 0.009 ETH after the next stake; a fail stake of 0.018 takes the lead.
  extra.noFlip = await measure(PATH_E, EXTRA_NO_FLIP, stakeCall(checker3, true, parseEther("0.002")));
  extra.flip = await measure(PATH_E, EXTRA_FLIP, stakeCall(checker2, false, parseEther("0.018")));
  const check = await publicClient.readContract({
    address: guild.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "getCheck",
    args: [jobId],
  });
  if (check.passLeads || check.flips !== 1n) throw new Error("(e): the flipping stake did not take the lead");
}

// (f) an escalation settled by the arbiter's ruling: the terms name an arbiter (escalation once both sides hold
// 100% of the budget); bond, a pass stake, a fail stake that flips the lead, the outbid pass staker escalates, the
// arbiter rules pass, and the three stakers claim.
const PATH_F = "(f) native, escalated, arbiter rules";
{
  const evaluatorData = encodeCheckTerms({
    windowSeconds: 600n,
    minStakeBps: 1_000n,
    bondBps: 5_000n,
    arbiter: arbiter.account.address,
    escalationBps: 10_000n,
    arbitrationPeriodSeconds: 3_600n,
  });
  await measure(
    PATH_F,
    "createAndFund (arbiter in the terms)",
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
    PATH_F,
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
  await measure(PATH_F, "stake (provider bond)", stakeCall(provider, true, parseEther("0.005")));
  await measure(PATH_F, "stake (pass)", stakeCall(checker1, true, parseEther("0.002")));
  await measure(PATH_F, "stake (fail, flips the lead)", stakeCall(checker2, false, parseEther("0.014")));
  await measure(
    PATH_F,
    "escalate (by the outbid pass staker)",
    checker1.writeContract({
      address: guild.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "escalate",
      args: [jobId],
    }),
  );
  await measure(
    PATH_F,
    "rule (pass)",
    arbiter.writeContract({
      address: guild.evaluator,
      abi: stakedEvaluatorAbi,
      functionName: "rule",
      args: [jobId, true],
    }),
  );
  for (const [label, wallet] of [
    ["claim (provider)", provider],
    ["claim (pass)", checker1],
    ["claim (fail, lost)", checker2],
  ] as const) {
    await measure(
      PATH_F,
      label,
      wallet.writeContract({ address: guild.evaluator, abi: stakedEvaluatorAbi, functionName: "claim", args: [jobId] }),
    );
  }
}

const fmt = (n: bigint) => n.toLocaleString("en-US");
const paths = [...new Set(rows.map((r) => r.path))];
const totals = new Map(paths.map((p) => [p, rows.filter((r) => r.path === p).reduce((s, r) => s + r.gas, 0n)]));
function totalOf(path: string): bigint {
  const total = totals.get(path);
  if (total === undefined) throw new Error(`no figures for path ${path}`);
  return total;
}

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
console.log(`| (g) ERC-8183 5-call flow, ERC-20 | token.approve (apart, not in the total) | ${fmt(tokenApproveGas)} |`);
// (e) is two separate extra stakes, not a lifecycle: it has no total.
for (const path of paths.filter((p) => p !== PATH_E)) {
  console.log(`| ${path} | **total** | **${fmt(totalOf(path))}** |`);
}

const pct = (x: bigint, of: bigint) => `${((Number(x) / Number(of)) * 100).toFixed(1)}%`;
const a = totalOf("(a) native, client approves");
const aFast = totalOf("(a') native, staked evaluator, client approves");
const c = totalOf(PATH_C);
const d = totalOf(PATH_D);
const f = totalOf(PATH_F);
const g = totalOf(PATH_G);
const h = totalOf(PATH_H);
const gWithApprove = g + tokenApproveGas;

type Target = { what: string; gas: bigint; limit: bigint };
const targets: Target[] = [
  {
    what: "(a') fast path: createAndFund + deliver + the client's early approve, staked evaluator",
    gas: aFast,
    limit: 200_000n,
  },
  {
    what: "(c) staked path: createAndFund, deliver, bond, pass stake, fail stake, settle, 3 claims",
    gas: c,
    limit: 520_000n,
  },
  { what: `(e) ${EXTRA_NO_FLIP}`, gas: extra.noFlip, limit: 75_000n },
  { what: `(e) ${EXTRA_FLIP}`, gas: extra.flip, limit: 75_000n },
  {
    what: "(d) ERC-8183 5-call flow, native, vs 60% of the reference's ERC-20 flow",
    gas: d,
    limit: (REFERENCE_ERC8183_FLOW * 60n) / 100n,
  },
];
const verdict = (ok: boolean) => (ok ? "met" : "MISSED");

console.log("");
console.log("Comparisons (each names what it compares):");
console.log(
  `- (a') fast path, the path every Guild hire takes when nobody disagrees (createAndFund + deliver + the ` +
    `client's early approve through the staked evaluator): ${fmt(aFast)} gas vs target 200,000: ${verdict(aFast <= 200_000n)}` +
    ` (${fmt(200_000n - aFast)} to spare)`,
);
console.log(
  `- (a) the client as its own evaluator calling complete (no staked evaluator; not the path the 200,000 target ` +
    `is about): ${fmt(a)} gas`,
);
console.log(
  `- (c) staked path (fund, deliver, bond, one more pass stake, one fail stake, settle, three claims): ` +
    `${fmt(c)} gas vs target 520,000: ${verdict(c <= 520_000n)}; ${pct(c, ACP_V1_HAPPY_PATH)} of ACP v1's ` +
    `${fmt(ACP_V1_HAPPY_PATH)} happy path, which has no staking`,
);
console.log(
  `- (e) one extra stake, target 75,000 for each extra stake (the issue sets it per extra stake, so both kinds ` +
    `are held to it; the flip is the dearer one): no flip ${fmt(extra.noFlip)} gas (${verdict(extra.noFlip <= 75_000n)}), ` +
    `flip ${fmt(extra.flip)} gas (${verdict(extra.flip <= 75_000n)})`,
);
const firstDefaultStake = rows.find((r) => r.path === PATH_C_DEFAULTS && r.call === "stake (provider bond)")?.gas ?? 0n;
console.log(
  `- (c') the first stake on a job created without terms (evaluator defaults): ${fmt(firstDefaultStake)} gas; ` +
    `it writes the check's slot for the first time, so it is not an extra stake (in (c) the terms wrote it at creation)`,
);
console.log(
  `- (f) escalation with an arbiter's ruling (createAndFund naming an arbiter, deliver, bond, pass stake, a ` +
    `flipping fail stake, escalate, rule, three claims): ${fmt(f)} gas; no target, shown separately; ` +
    `${fmt(f - c)} more than (c)`,
);
console.log(
  `- (g) ERC-8183 5-call flow with an ERC-20 token vs the reference's ${fmt(REFERENCE_ERC8183_FLOW)} (an ERC-20 ` +
    `flow; like for like): ${fmt(g)} gas without the token approve = ${pct(g, REFERENCE_ERC8183_FLOW)}; ` +
    `${fmt(gWithApprove)} with the approve (${fmt(tokenApproveGas)}) = ${pct(gWithApprove, REFERENCE_ERC8183_FLOW)}`,
);
console.log(
  `- (d) ERC-8183 5-call flow in native ETH vs the same ${fmt(REFERENCE_ERC8183_FLOW)} (native against ERC-20: ` +
    `not like for like, no token transfers): ${fmt(d)} gas = ${pct(d, REFERENCE_ERC8183_FLOW)}`,
);
console.log(
  `- (h) the same native 5-call flow through the ERC's optParams overloads (empty optParams) vs (d): ${fmt(h)} gas, ` +
    `${h >= d ? "+" : "-"}${fmt(h >= d ? h - d : d - h)} (the longer calldata and the overload's dispatch)`,
);

console.log("");
console.log("Targets:");
for (const t of targets) {
  console.log(`- ${verdict(t.gas <= t.limit)}: ${t.what}: ${fmt(t.gas)} <= ${fmt(t.limit)}`);
}
const missed = targets.filter((t) => t.gas > t.limit).length;
console.log(missed === 0 ? `All ${targets.length} targets met.` : `${missed} of ${targets.length} targets MISSED.`);
await connection.close();
