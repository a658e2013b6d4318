import type { GameResult } from "./checkGame.js";
import { ARBITER_MODES, ATTACKS, CAPITAL_MULTIPLES, HEADLINE_MULTIPLE, type Cell } from "./model.js";

/** Mean and the half-width of its 95% confidence interval (normal approximation). */
export type Estimate = { n: number; mean: number; half: number };

export function estimate(values: readonly number[]): Estimate {
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, half: Number.NaN };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, half: Number.NaN };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  return { n, mean, half: 1.96 * Math.sqrt(variance / n) };
}

const eth = (wei: bigint) => Number(wei) / 1e18;
const fmt = (x: number, digits = 3) => (Number.isNaN(x) ? "n/a" : x.toFixed(digits));
const fmtEstimate = (e: Estimate) => `${fmt(e.mean)} ± ${fmt(e.half)}`;
const pct = (x: number) => (Number.isNaN(x) ? "n/a" : `${(x * 100).toFixed(0)}%`);

function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

function select(results: readonly GameResult[], match: Partial<Cell>): GameResult[] {
  return results.filter(
    (r) =>
      (match.attack === undefined || r.cell.attack === match.attack) &&
      (match.arbiter === undefined || r.cell.arbiter === match.arbiter) &&
      (match.work === undefined || r.cell.work === match.work) &&
      (match.capitalMultiple === undefined || r.cell.capitalMultiple === match.capitalMultiple),
  );
}

/** The honest checkers' result on a set of jobs: mean profit per job and return on what they staked. */
function honestReturn(results: readonly GameResult[]): { perJob: Estimate; roi: number } {
  const committed = results.reduce((s, r) => s + eth(r.honestCommitted), 0);
  const profit = results.reduce((s, r) => s + eth(r.honestProfit), 0);
  return {
    perJob: estimate(results.map((r) => eth(r.honestProfit))),
    roi: committed > 0 ? profit / committed : Number.NaN,
  };
}

/** How an estimate reads against 0: the attacker's mean profit is below 0 with 95% confidence, or not. */
function sign(e: Estimate): string {
  if (Number.isNaN(e.half)) return "too few jobs";
  if (e.mean + e.half < 0) return "loses";
  if (e.mean - e.half > 0) return "PROFITS";
  return "inconclusive";
}

export type GoalVerdict = { met: boolean; lines: string[] };

/** The report's tables, as markdown lines, and the goal's verdict at the headline capital. */
export function renderReport(results: readonly GameResult[]): { lines: string[]; goal: GoalVerdict } {
  const lines: string[] = [];
  lines.push("#### Workers without an attacker (the attack rows' baseline)", "");
  lines.push(
    "| work | arbiter | jobs | paid | worker's profit per job (ETH) | honest checkers' profit per job (ETH) | honest checkers' return on stake |",
  );
  lines.push("| --- | --- | ---: | ---: | ---: | ---: | ---: |");
  for (const work of ["good", "bad"] as const) {
    for (const arbiter of ARBITER_MODES) {
      const rs = select(results, { attack: "none", arbiter, work });
      const honest = honestReturn(rs);
      lines.push(
        `| ${work === "good" ? "good (honest worker)" : "wrong (dishonest worker)"} | ${arbiter} | ${rs.length} | ` +
          `${pct(rs.filter((r) => r.completed).length / rs.length)} | ${fmtEstimate(estimate(rs.map((r) => eth(r.workerProfit))))} | ` +
          `${fmtEstimate(honest.perJob)} | ${pct(honest.roi)} |`,
      );
    }
  }

  lines.push("", `#### Attacks, attacker capital ${HEADLINE_MULTIPLE}x the honest side's expected capital per job`, "");
  lines.push(
    "| attack | work | arbiter | jobs | attacker's profit per job (ETH, 95% CI) | verdict | attacker wins | honest checkers' profit per job (ETH) | honest return on stake |",
  );
  lines.push("| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: |");
  for (const attack of ATTACKS) {
    for (const arbiter of ARBITER_MODES) {
      const rs = select(results, { attack, arbiter, capitalMultiple: HEADLINE_MULTIPLE });
      const profit = estimate(rs.map((r) => eth(r.attackerProfit)));
      const honest = honestReturn(rs);
      lines.push(
        `| ${attack} | ${rs[0]?.cell.work ?? "?"} | ${arbiter} | ${rs.length} | ${fmtEstimate(profit)} | ${sign(profit)} | ` +
          `${pct(rs.filter((r) => r.attackerWon).length / rs.length)} | ${fmtEstimate(honest.perJob)} | ${pct(honest.roi)} |`,
      );
    }
  }
  const all = honestReturn(results);

  // The goal, per arbiter mode, at the headline capital: every attack loses with 95% confidence, and the honest
  // checkers earn (their profit per job above 0 with 95% confidence) on the jobs without an attacker and on the
  // attacked jobs.
  const goalLines: string[] = [];
  let met = true;
  for (const arbiter of ARBITER_MODES) {
    const failures: string[] = [];
    for (const attack of ATTACKS) {
      const profit = estimate(
        select(results, { attack, arbiter, capitalMultiple: HEADLINE_MULTIPLE }).map((r) => eth(r.attackerProfit)),
      );
      const verdict = sign(profit);
      if (verdict !== "loses") failures.push(`${attack} ${verdict} (${fmtEstimate(profit)} ETH per job)`);
    }
    const calm = honestReturn(select(results, { attack: "none", arbiter }));
    if (!(calm.perJob.mean - calm.perJob.half > 0)) {
      failures.push(`honest checkers on jobs without an attacker: ${fmtEstimate(calm.perJob)} ETH per job`);
    }
    const attacked = honestReturn(
      results.filter(
        (r) => r.cell.attack !== "none" && r.cell.arbiter === arbiter && r.cell.capitalMultiple === HEADLINE_MULTIPLE,
      ),
    );
    if (!(attacked.perJob.mean - attacked.perJob.half > 0)) {
      failures.push(`honest checkers on attacked jobs: ${fmtEstimate(attacked.perJob)} ETH per job`);
    }
    if (failures.length > 0) met = false;
    goalLines.push(
      failures.length === 0
        ? `arbiter ${arbiter}: met (every attack loses, honest checkers earn)`
        : `arbiter ${arbiter}: NOT met: ${failures.join("; ")}`,
    );
  }

  lines.push("", "#### Where the assumptions break: attacker's mean profit per job (ETH) by capital", "");
  lines.push(
    "Capital is a multiple of the honest side's expected capital per job; in brackets the attacker's win rate and " +
      "the median ratio of its capital to the honest truthful side's actual ceilings on the job.",
    "",
  );
  lines.push(`| attack | arbiter | ${CAPITAL_MULTIPLES.map((k) => `${k}x`).join(" | ")} | first multiple that pays |`);
  lines.push(`| --- | --- | ${CAPITAL_MULTIPLES.map(() => "---:").join(" | ")} | --- |`);
  for (const attack of ATTACKS) {
    for (const arbiter of ARBITER_MODES) {
      let breaks = "none swept";
      const cells = CAPITAL_MULTIPLES.map((capitalMultiple) => {
        const rs = select(results, { attack, arbiter, capitalMultiple });
        const profit = estimate(rs.map((r) => eth(r.attackerProfit)));
        if (breaks === "none swept" && profit.mean > 0) breaks = `${capitalMultiple}x`;
        const wins = rs.filter((r) => r.attackerWon).length / rs.length;
        return `${fmt(profit.mean, 2)} (${pct(wins)}, ${fmt(median(rs.map((r) => r.capitalRatio)), 1)}x)`;
      });
      lines.push(`| ${attack} | ${arbiter} | ${cells.join(" | ")} | ${breaks} |`);
    }
  }

  lines.push("", "#### Honest checkers", "");
  lines.push("| jobs | arbiter | profit per job (ETH, 95% CI) | return on stake |");
  lines.push("| --- | --- | ---: | ---: |");
  for (const arbiter of ARBITER_MODES) {
    const none = honestReturn(select(results, { attack: "none", arbiter }));
    lines.push(
      `| no attacker (half good, half wrong work) | ${arbiter} | ${fmtEstimate(none.perJob)} | ${pct(none.roi)} |`,
    );
    const attacked = honestReturn(results.filter((r) => r.cell.attack !== "none" && r.cell.arbiter === arbiter));
    lines.push(
      `| attacked, every capital swept | ${arbiter} | ${fmtEstimate(attacked.perJob)} | ${pct(attacked.roi)} |`,
    );
  }
  lines.push(
    `| all ${results.length} jobs, every capital swept | all | ${fmtEstimate(all.perJob)} | ${pct(all.roi)} |`,
  );

  // Without attackers, honest checkers lose a little on good work (the checkers who got it wrong pay the pass
  // side, the provider's bond among it) and win the bond on wrong work: they earn only if enough work is wrong.
  lines.push("", "Share of wrong work above which the honest checkers earn, with no attacker about:", "");
  lines.push("| arbiter | profit per good job (ETH) | profit per wrong job (ETH) | break-even share of wrong work |");
  lines.push("| --- | ---: | ---: | ---: |");
  for (const arbiter of ARBITER_MODES) {
    const good = honestReturn(select(results, { attack: "none", arbiter, work: "good" })).perJob.mean;
    const bad = honestReturn(select(results, { attack: "none", arbiter, work: "bad" })).perJob.mean;
    const share = good >= 0 ? (bad > 0 ? 0 : Number.NaN) : bad > 0 ? -good / (bad - good) : Number.NaN;
    lines.push(`| ${arbiter} | ${fmt(good)} | ${fmt(bad)} | ${Number.isNaN(share) ? "never" : pct(share)} |`);
  }

  return { lines, goal: { met, lines: goalLines } };
}
