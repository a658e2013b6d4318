/**
 * An economic simulation of the staked check on the real contracts, on the in-process Hardhat network.
 *
 *   npm run sim:checks -- [--jobs 3000] [--seed 1] [--concurrency 300] [--honest-rule doubling|all-in]
 *
 * Thousands of checked jobs between honest and dishonest workers, honest checkers and strategic attackers (a
 * last-second sniper, a client with a second address, a provider with a second address, a rich out-staker), each
 * with no arbiter, an honest arbiter and a silent one, over a sweep of attacker capital. Prints per strategy the
 * attacker's mean profit per job with a 95% confidence interval, the honest checkers' return, and where the
 * assumptions break. The model and its assumptions: docs/simulation.md and scripts/sim/model.ts.
 */
import { parseArgs } from "node:util";
import { decodeEventLog, encodeFunctionData, parseEther, zeroAddress, type Address } from "viem";
import { encodeCheckTerms } from "../../src/chain/checkTerms.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import { CheckGame, type CheckState, type GameResult, type Reviewer } from "./checkGame.js";
import {
  allCells,
  DEFAULT_MODEL,
  HEADLINE_MULTIPLE,
  honestCapitalPerJob,
  type Cell,
  type HonestRule,
  type ModelParameters,
} from "./model.js";
import { renderReport } from "./report.js";
import { createRng } from "./rng.js";
import { SimChain, type SimTx } from "./simChain.js";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "3000" },
    seed: { type: "string", default: "1" },
    concurrency: { type: "string", default: "300" },
    "honest-rule": { type: "string", default: DEFAULT_MODEL.honestRule },
  },
});

function positiveInteger(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`--${name} must be a positive whole number (got "${value}"), e.g. --${name} 3000`);
  }
  return n;
}

const jobCount = positiveInteger("jobs", flags.jobs);
const concurrency = positiveInteger("concurrency", flags.concurrency);
const honestRule = flags["honest-rule"];
if (honestRule !== "doubling" && honestRule !== "all-in") {
  throw new Error(`--honest-rule must be "doubling" or "all-in" (got "${honestRule}")`);
}
const model: ModelParameters = { ...DEFAULT_MODEL, honestRule: honestRule as HonestRule };
const rng = createRng(flags.seed);
const budget = parseEther(String(model.budget));
const toWei = (ethAmount: number) => BigInt(Math.round(ethAmount * 1e6)) * 10n ** 12n;

// Accounts: the keeper (deployer), clients, workers, two arbiters, the attackers' addresses, the checkers.
const CLIENTS = 10;
const WORKERS = 10;
const layout = {
  keeper: 0,
  clients: 1,
  workers: 1 + CLIENTS,
  honestArbiter: 1 + CLIENTS + WORKERS,
  silentArbiter: 2 + CLIENTS + WORKERS,
  sniper: 3 + CLIENTS + WORKERS,
  attackingClient: 4 + CLIENTS + WORKERS,
  attackingClientSecond: 5 + CLIENTS + WORKERS,
  attackingProvider: 6 + CLIENTS + WORKERS,
  attackingProviderSecond: 7 + CLIENTS + WORKERS,
  outStaker: 8 + CLIENTS + WORKERS,
  checkers: 9 + CLIENTS + WORKERS,
};

const started = performance.now();
console.log(
  `[sim] ${jobCount} jobs, seed "${flags.seed}", ${concurrency} jobs at a time, honest rule "${model.honestRule}": ` +
    "starting the in-process network",
);
const chain = await SimChain.create(layout.checkers + model.checkers);
const account = (index: number): Address => {
  const address = chain.accounts[index];
  if (!address) throw new Error(`no account ${index}`);
  return address;
};

type Checker = { address: Address; accuracy: number; ceiling: bigint };
const checkers: Checker[] = Array.from({ length: model.checkers }, (_, i) => ({
  address: account(layout.checkers + i),
  accuracy: rng.uniform(model.accuracyLow, model.accuracyHigh),
  ceiling: toWei(rng.logNormal(model.ceilingMedian, model.ceilingSigma)),
}));
const honestCapital = honestCapitalPerJob(model);

const startBalances = new Map<Address, bigint>();
for (const address of chain.accounts) startBalances.set(address, await chain.balanceOf(address));

// Every cell gets the same number of jobs (give or take one), in a seeded random order.
const cells = allCells();
const plan: Cell[] = rng.shuffle(Array.from({ length: jobCount }, (_, i) => cells[i % cells.length] as Cell));

type Draw = { cell: Cell; good: boolean; openers: Reviewer[]; disputeReviewers: Reviewer[] };
function draw(cell: Cell): Draw {
  const good = cell.work === "good" ? true : cell.work === "bad" ? false : rng.chance(0.5);
  const openers: Reviewer[] = [];
  const disputeReviewers: Reviewer[] = [];
  for (const checker of checkers) {
    const opens = rng.chance(model.reviewChance);
    const looksInDispute = rng.chance(model.disputeReviewChance);
    const right = rng.chance(checker.accuracy);
    const reviewer = { address: checker.address, pass: right === good, ceiling: checker.ceiling };
    if (opens) openers.push(reviewer);
    else if (looksInDispute) disputeReviewers.push(reviewer);
  }
  return { cell, good, openers, disputeReviewers };
}

function termsFor(cell: Cell) {
  const arbiter =
    cell.arbiter === "honest"
      ? account(layout.honestArbiter)
      : cell.arbiter === "silent"
        ? account(layout.silentArbiter)
        : undefined;
  return encodeCheckTerms({
    windowSeconds: model.windowSeconds,
    responsePeriodSeconds: model.responsePeriodSeconds,
    maxFlips: BigInt(model.maxFlips),
    minStakeBps: model.minStakeBps,
    bondBps: model.bondBps,
    ...(arbiter
      ? { arbiter, escalationBps: model.escalationBps, arbitrationPeriodSeconds: model.arbitrationPeriodSeconds }
      : {}),
  });
}

async function readCheck(jobId: bigint): Promise<CheckState> {
  const view = await chain.publicClient.readContract({
    address: chain.guild.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "getCheck",
    args: [jobId],
  });
  return {
    closesAt: view.closesAt,
    flips: Number(view.flips),
    maxFlips: Number(view.maxFlips),
    passLeads: view.passLeads,
    passTotal: view.passTotal,
    failTotal: view.failTotal,
    minStake: view.minStake,
    bond: view.bond,
    escalationThreshold: view.escalationThreshold,
    escalated: view.escalated,
    rulingDeadline: view.rulingDeadline,
    verdict: view.verdict,
  };
}

const results: GameResult[] = [];
for (let start = 0; start < jobCount; start += concurrency) {
  const wave = plan.slice(start, start + concurrency).map(draw);
  const t0 = (await chain.now()) + 10n;
  const games: CheckGame[] = [];
  const creates: SimTx[] = wave.map((d, i) => {
    const attackingClient = d.cell.attack === "client-second-address";
    const attackingProvider = d.cell.attack === "provider-second-address";
    const client = attackingClient ? account(layout.attackingClient) : account(layout.clients + (i % CLIENTS));
    const provider = attackingProvider ? account(layout.attackingProvider) : account(layout.workers + (i % WORKERS));
    const attacker =
      d.cell.attack === "sniper"
        ? account(layout.sniper)
        : attackingClient
          ? account(layout.attackingClientSecond)
          : attackingProvider
            ? account(layout.attackingProviderSecond)
            : d.cell.attack === "rich-out-staker"
              ? account(layout.outStaker)
              : undefined;
    const arbiter =
      d.cell.arbiter === "honest"
        ? account(layout.honestArbiter)
        : d.cell.arbiter === "silent"
          ? account(layout.silentArbiter)
          : undefined;
    return {
      from: client,
      to: chain.guild.escrow,
      value: budget,
      gas: 400_000n,
      label: "createAndFund",
      data: encodeFunctionData({
        abi: jobEscrowAbi,
        functionName: "createAndFund",
        args: [
          {
            provider,
            evaluator: chain.guild.evaluator,
            token: zeroAddress,
            expiredAt: t0 + 7n * 86_400n,
            evaluationPeriod: 0n,
            parentJobId: 0n,
            description: `sim job ${start + i}`,
            evaluatorData: termsFor(d.cell),
          },
          budget,
        ],
      }),
      onMined: (r) => {
        if (!r.ok) throw new Error(`createAndFund of sim job ${start + i} reverted`);
        for (const log of r.logs) {
          if (log.address.toLowerCase() !== chain.guild.escrow.toLowerCase()) continue;
          const event = decodeEventLog({ abi: jobEscrowAbi, data: log.data, topics: log.topics });
          if (event.eventName !== "JobCreated") continue;
          games.push(
            new CheckGame({
              jobId: event.args.jobId,
              cell: d.cell,
              good: d.good,
              model,
              budget,
              addresses: {
                escrow: chain.guild.escrow,
                evaluator: chain.guild.evaluator,
                keeper: account(layout.keeper),
                client,
                provider,
                ...(attacker ? { attacker } : {}),
                ...(arbiter ? { arbiter } : {}),
              },
              openers: d.openers,
              disputeReviewers: d.disputeReviewers,
              attackerCeiling: toWei(d.cell.capitalMultiple * honestCapital),
            }),
          );
        }
      },
    };
  });
  await chain.execute(t0, creates);

  let now = t0 + 1n;
  let active = games;
  while (active.length > 0) {
    const txs: SimTx[] = [];
    const touched: CheckGame[] = [];
    for (const game of active) {
      const due = game.actions(now);
      if (due.length > 0) {
        touched.push(game);
        txs.push(...due);
      }
    }
    if (txs.length > 0) await chain.execute(now, txs);
    for (const game of touched) game.observe(await readCheck(game.jobId), now);
    let next: bigint | undefined;
    const still: CheckGame[] = [];
    for (const game of active) {
      const wake = game.wakeAt(now);
      if (wake === undefined) {
        results.push(game.result());
        continue;
      }
      still.push(game);
      if (next === undefined || wake < next) next = wake;
    }
    active = still;
    if (next !== undefined) now = next;
  }
  const seconds = (performance.now() - started) / 1000;
  const txCount = [...chain.sent.values()].reduce((s, n) => s + n, 0);
  console.log(
    `[sim] ${results.length}/${jobCount} jobs settled and claimed; ${txCount} transactions in ${chain.blocks} blocks, ` +
      `${seconds.toFixed(0)} s (${(txCount / seconds).toFixed(0)} tx/s)`,
  );
}

// The chain's own account of the money: nothing left in the contracts, and every address's balance moved by
// exactly what the simulation's ledger says (gas is free here, so balances move only by value).
const ledger = new Map<Address, bigint>();
for (const result of results) {
  for (const [address, amount] of result.ledger) ledger.set(address, (ledger.get(address) ?? 0n) + amount);
}
let mismatches = 0;
for (const address of chain.accounts) {
  const delta = (await chain.balanceOf(address)) - (startBalances.get(address) ?? 0n);
  if (delta !== (ledger.get(address) ?? 0n)) mismatches++;
}
const evaluatorBalance = await chain.balanceOf(chain.guild.evaluator);
const escrowBalance = await chain.balanceOf(chain.guild.escrow);
const txCount = [...chain.sent.values()].reduce((s, n) => s + n, 0);
const reverts = [...chain.reverted.entries()].map(([label, n]) => `${label} ${n}`).join(", ") || "none";
const kinds = [...chain.sent.entries()]
  .sort(([a], [b]) => a.localeCompare(b))
  .map(([label, n]) => `${label} ${n}`)
  .join(", ");

const report = renderReport(results);
const ceilings = checkers.map((c) => Number(c.ceiling) / 1e18).sort((a, b) => a - b);
console.log("");
console.log(
  `### sim:checks: ${results.length} jobs, seed "${flags.seed}", honest rule "${model.honestRule}" ` +
    `(${((performance.now() - started) / 1000).toFixed(0)} s on the in-process network)`,
);
console.log("");
console.log(
  `Terms: budget ${model.budget} ETH, window ${model.windowSeconds} s, response period ${model.responsePeriodSeconds} s, ` +
    `${model.maxFlips} flips, minimum stake ${Number(model.minStakeBps) / 100}%, bond ${Number(model.bondBps) / 100}%; ` +
    `with an arbiter: escalation at ${Number(model.escalationBps) / 100}% of the budget staked, ` +
    `${model.arbitrationPeriodSeconds} s to rule.`,
);
console.log(
  `Honest checkers: ${model.checkers}, accuracy U(${model.accuracyLow}, ${model.accuracyHigh}), per-job ceiling ` +
    `log-normal (median ${model.ceilingMedian} ETH, sigma ${model.ceilingSigma}; drawn: ${ceilings[0]?.toFixed(2)} to ` +
    `${ceilings[ceilings.length - 1]?.toFixed(2)} ETH), each reviews a job with chance ${model.reviewChance} at ` +
    `delivery (opening stake ${model.openingStake} ETH) and with chance ${model.disputeReviewChance} once its lead ` +
    `changes; they answer ${model.honestDelaySeconds} s after a change of lead. The honest side's expected capital ` +
    `per job: ${honestCapital.toFixed(2)} ETH (the unit of attacker capital).`,
);
console.log("");
for (const line of report.lines) console.log(line);
console.log("");
console.log(
  `Chain: ${txCount} transactions (${kinds}) in ${chain.blocks} blocks, ${(Number(chain.gasUsed) / 1e6).toFixed(0)}M gas; ` +
    `reverted: ${reverts}. Left in the evaluator: ${evaluatorBalance} wei, in the escrow: ${escrowBalance} wei; ` +
    `addresses whose balance change differs from the ledger: ${mismatches} of ${chain.accounts.length}.`,
);
console.log("");
console.log(
  report.goal.met
    ? `Goal met at the headline capital (${HEADLINE_MULTIPLE}x): every attack loses on average and honest checkers earn, with every arbiter mode.`
    : `Goal NOT met at the headline capital (${HEADLINE_MULTIPLE}x) for every arbiter mode:`,
);
for (const line of report.goal.lines) console.log(`- ${line}`);
await chain.close();
if (evaluatorBalance !== 0n || escrowBalance !== 0n || mismatches !== 0) {
  console.error("[sim] the chain's balances disagree with the simulation's ledger: see above");
  process.exitCode = 1;
}
