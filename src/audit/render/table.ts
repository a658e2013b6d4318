import { zeroAddress, type Address } from "viem";
import { FLOW_CATEGORIES, NETWORK, type AuditReport, type JobRow } from "../AuditReport.js";
import { formatTime, shortAddress, tokenBook } from "./format.js";

export type RenderTableOptions = {
  /** Counterparties listed. Default 10. */
  counterparties?: number;
  /** Delegation trees listed (those with sub-jobs first). Default 10. */
  trees?: number;
  /** Periods listed (the most recent). Default 14. */
  periods?: number;
};

/**
 * The report as text for a terminal: the verdict, then balances and flows per token, by category, by
 * counterparty, by day, jobs and their delegation trees, stakes, credits, transactions, anything
 * unexplained with the transactions around it, and warnings.
 *
 * @example
 * process.stdout.write(renderTable(report));
 */
export function renderTable(report: AuditReport, options: RenderTableOptions = {}): string {
  const { counterparties = 10, trees = 10, periods = 14 } = options;
  const book = tokenBook(report);
  const name = namer(report);
  const out: string[] = [];
  const who = report.agent.name ? `${report.agent.name} (${report.agent.address})` : report.agent.address;
  out.push(`Audit of ${who}${report.agent.kind === "contract" ? ", a contract account" : ""}`);
  out.push(
    `Chain ${report.chainId}, blocks ${report.range.fromBlock}-${report.range.toBlock} (${formatTime(report.range.fromTimestamp)} to ${formatTime(report.range.toTimestamp)})`,
  );
  out.push("");
  if (report.reconciled) out.push("RECONCILED: for every token, opening + in - out - gas = closing, to the wei.");
  else {
    out.push("NOT RECONCILED:");
    for (const token of report.tokens) {
      const { reconciliation } = token;
      if (reconciliation.status === "reconciled") continue;
      out.push(
        `  ${token.symbol}: ${reconciliation.status}; the node says ${book.amount(token.closing, token.token)}, the flows explain ${book.amount(reconciliation.expectedClosing, token.token)} (difference ${book.signed(reconciliation.difference, token.token)})${reconciliation.note ? `; ${reconciliation.note}` : ""}`,
      );
    }
  }

  out.push("", "Balances");
  out.push(
    table(
      ["token", "opening", "in", "out", "gas", "closing", "check"],
      report.tokens.map((token) => [
        token.symbol,
        book.amount(token.opening, token.token),
        book.amount(token.inflow, token.token),
        book.amount(token.outflow, token.token),
        token.token === zeroAddress ? book.amount(token.gas, token.token) : "-",
        book.amount(token.closing, token.token),
        token.reconciliation.status === "reconciled"
          ? "ok"
          : `off by ${book.signed(token.reconciliation.difference, token.token)}`,
      ]),
    ),
  );

  for (const token of report.tokens) {
    const rows = FLOW_CATEGORIES.filter(
      (category) => token.byCategory[category].in !== 0n || token.byCategory[category].out !== 0n,
    ).map((category) => [
      category,
      book.amount(token.byCategory[category].in, token.token),
      book.amount(token.byCategory[category].out, token.token),
    ]);
    if (rows.length === 0) continue;
    out.push("", `By category (${token.symbol})`, table(["category", "in", "out"], rows));
  }

  if (report.counterparties.length > 0) {
    out.push(
      "",
      `By counterparty (${Math.min(counterparties, report.counterparties.length)} of ${report.counterparties.length})`,
    );
    out.push(
      table(
        ["counterparty", "flows", "in", "out"],
        report.counterparties.slice(0, counterparties).map((party) => [
          party.counterparty === NETWORK
            ? "gas (network)"
            : `${party.label ? `${party.label} ` : ""}${shortAddress(party.counterparty)}`,
          String(party.flows),
          party.byToken
            .filter((entry) => entry.in !== 0n)
            .map((entry) => book.amount(entry.in, entry.token))
            .join(", ") || "0",
          party.byToken
            .filter((entry) => entry.out !== 0n)
            .map((entry) => book.amount(entry.out, entry.token))
            .join(", ") || "0",
        ]),
      ),
    );
  }

  const days = report.periods.day.slice(-periods);
  if (days.length > 0) {
    out.push(
      "",
      `By day (UTC${report.periods.day.length > periods ? `, last ${periods} of ${report.periods.day.length}` : ""})`,
    );
    out.push(
      table(
        ["day", "in", "out", "gas"],
        days.map((bucket) => [
          new Date(bucket.start * 1000).toISOString().slice(0, 10),
          bucket.byToken
            .filter((entry) => entry.in !== 0n)
            .map((entry) => book.amount(entry.in, entry.token))
            .join(", ") || "0",
          bucket.byToken
            .filter((entry) => entry.out !== 0n)
            .map((entry) => book.amount(entry.out, entry.token))
            .join(", ") || "0",
          book.amount(bucket.byToken.find((entry) => entry.token === zeroAddress)?.gas ?? 0n, zeroAddress),
        ]),
      ),
    );
  }

  out.push("", jobSummary(report));
  const byId = new Map(report.jobs.map((job) => [job.jobId, job]));
  const roots = report.jobRoots.map((id) => byId.get(id)).filter((job): job is JobRow => job !== undefined);
  const withChildren = roots.filter((job) => job.children.length > 0);
  const listed = [...withChildren, ...roots.filter((job) => job.children.length === 0)].slice(0, trees);
  if (listed.length > 0) {
    out.push(`Delegation trees (${withChildren.length} with sub-jobs; ${listed.length} shown):`);
    const walk = (job: JobRow, depth: number) => {
      out.push(`${"  ".repeat(depth + 1)}${jobLine(job, book, name)}`);
      if (depth < 8)
        for (const child of job.children) {
          const row = byId.get(child);
          if (row) walk(row, depth + 1);
        }
    };
    for (const root of listed) walk(root, 0);
  }

  if (report.stakes.length > 0) {
    const counts = new Map<string, number>();
    for (const stake of report.stakes) counts.set(stake.outcome, (counts.get(stake.outcome) ?? 0) + 1);
    const lost = report.stakes.filter((stake) => stake.lost > 0n);
    out.push(
      "",
      `Stakes: ${report.stakes.length} (${[...counts].map(([outcome, count]) => `${count} ${outcome}`).join(", ")}); bonds slashed: ${report.stakes.filter((stake) => stake.bond && stake.lost > 0n).length}`,
    );
    for (const stake of lost.slice(0, 5))
      out.push(
        `  lost ${book.amount(stake.lost, stake.token)} on job ${stake.jobId}${stake.bond ? " (provider bond)" : ""}`,
      );
  }
  for (const credit of report.credits) {
    out.push(
      "",
      `Credits (${book.of(credit.token).symbol}): ${book.amount(credit.credited, credit.token)} credited by the escrow (payout refused), ${book.amount(credit.withdrawn, credit.token)} withdrawn (${book.amount(credit.withdrawnToSelf, credit.token)} to itself), ${book.amount(credit.outstanding, credit.token)} still in the escrow`,
    );
  }

  const t = report.transactions;
  out.push(
    "",
    `Transactions sent: ${t.sent} (${t.failed} failed), gas ${book.amount(t.gas, zeroAddress)}; ${t.foundByEvents} named by events, ${t.foundByNonce} found through the nonce; ${t.incomingFound} incoming transfers found through the balance.`,
  );
  if (report.transcripts) {
    const join = report.transcripts;
    out.push(
      `Transcripts: ${join.files} files; ${join.attributed.length} transactions traced to a tool call, ${join.unattributed.length} sent outside the agent loop, ${join.notFound.length} transcript hashes not in this range.`,
    );
    for (const cause of join.attributed.slice(0, 10)) {
      out.push(
        `  ${cause.txHash.slice(0, 12)}… ${cause.tool} (run ${cause.runId.slice(0, 8)}, step ${cause.step})${cause.claimedBy > 1 ? ` [named by ${cause.claimedBy} tool calls]` : ""}${cause.modelTurn ? `: "${cause.modelTurn.slice(0, 80)}"` : ""}`,
      );
    }
    if (join.refusals.length > 0) {
      out.push(`Refused by the spending guard: ${join.refusals.length} tool calls (nothing sent).`);
      for (const refusal of join.refusals.slice(0, 10)) {
        out.push(
          `  ${refusal.tool} ${refusal.rule} (run ${refusal.runId.slice(0, 8)}, step ${refusal.step}): ${refusal.message.slice(0, 120)}`,
        );
      }
    }
  }

  const unexplained = report.tokens.flatMap((token) =>
    token.reconciliation.unexplained.map((change) => ({ token, change })),
  );
  if (unexplained.length > 0) {
    out.push("", "Unexplained changes");
    for (const { token, change } of unexplained) {
      out.push(`  block ${change.block}: ${book.signed(change.amount, token.token)} that no flow explains`);
      for (const tx of change.transactions.slice(0, 8)) {
        out.push(
          `    ${tx.hash} (block ${tx.block}) ${shortAddress(tx.from)} -> ${tx.to ? shortAddress(tx.to) : "create"} ${book.amount(tx.value, zeroAddress)}`,
        );
      }
    }
  }
  if (report.warnings.length > 0)
    out.push("", "Warnings", ...report.warnings.slice(0, 20).map((warning) => `  ${warning}`));
  out.push("", `${report.stats.logs} logs read in ${(report.stats.durationMs / 1000).toFixed(1)} s.`);
  return `${out.join("\n")}\n`;
}

function jobSummary(report: AuditReport): string {
  const mine = report.jobs.filter((job) => job.roles.length > 0);
  const role = (name: JobRow["roles"][number]) => mine.filter((job) => job.roles.includes(name)).length;
  const outcomes = new Map<string, number>();
  for (const job of mine) outcomes.set(job.outcome, (outcomes.get(job.outcome) ?? 0) + 1);
  return `Jobs: ${mine.length} (client ${role("client")}, provider ${role("provider")}, staker ${role("staker")}); ${[...outcomes].map(([outcome, count]) => `${count} ${outcome}`).join(", ")}; ${report.jobs.length - mine.length} sub-jobs of others in the trees.`;
}

/** Names for the addresses the report knows (the agent, labelled counterparties); others shortened. */
function namer(report: AuditReport): (address: string) => string {
  const names = new Map<string, string>();
  for (const party of report.counterparties) if (party.label) names.set(party.counterparty.toLowerCase(), party.label);
  if (report.agent.name) names.set(report.agent.address.toLowerCase(), report.agent.name);
  return (address) => names.get(address.toLowerCase()) ?? shortAddress(address as Address);
}

function jobLine(job: JobRow, book: ReturnType<typeof tokenBook>, who: (address: string) => string): string {
  const token = (job.token ?? zeroAddress) as Address;
  const mine: string[] = [];
  if (job.funded) mine.push(`paid in ${book.amount(job.funded, token)}`);
  if (job.received) mine.push(`earned ${book.amount(job.received, token)}`);
  if (job.refunded) mine.push(`refunded ${book.amount(job.refunded, token)}`);
  if (job.credited) mine.push(`credited ${book.amount(job.credited, token)}`);
  if (job.staked) mine.push(`staked ${book.amount(job.staked, token)}`);
  if (job.reward) mine.push(`reward ${book.amount(job.reward, token)}`);
  if (job.lost) mine.push(`lost ${book.amount(job.lost, token)}`);
  if (job.gas) mine.push(`gas ${book.amount(job.gas, zeroAddress)}`);
  const parties = `${job.client ? who(job.client) : "?"} -> ${job.provider ? who(job.provider) : "?"}`;
  const budget = job.budget === undefined ? "" : ` ${book.amount(job.budget, token)}`;
  return `#${job.jobId} ${parties}${budget} ${job.outcome}${job.roles.length ? ` [${job.roles.join(", ")}]` : ""}${mine.length ? `: ${mine.join(", ")}` : ""}${job.description ? ` "${job.description.slice(0, 40)}"` : ""}`;
}

/** Columns padded to their widest cell; the first column left-aligned, the others right-aligned. */
function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, index) =>
    Math.max(header.length, ...rows.map((row) => (row[index] ?? "").length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, index) => (index === 0 ? cell.padEnd(widths[index] as number) : cell.padStart(widths[index] as number))).join("  ")}`.trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}
