import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { formatUnits, zeroAddress, type Address } from "viem";
import { FLOW_CATEGORIES, NETWORK, type AuditReport, type FlowCategory, type JobRow } from "../AuditReport.js";
import { formatTime, shortAddress, tokenBook } from "./format.js";

export type RenderHtmlOptions = {
  /** Delegation trees drawn (those with sub-jobs first); the rest are counted. Default 300. */
  trees?: number;
  /** Counterparties in the chart. Default 12. */
  counterparties?: number;
};

/** Chart data for one token, in display units (the tables carry the exact amounts). */
type TokenCharts = {
  symbol: string;
  period: "hour" | "day";
  time: { labels: string[]; out: Record<FlowCategory, number[]>; in: number[] };
  counterparties: { labels: string[]; out: number[]; in: number[] };
  categories: { labels: FlowCategory[]; out: number[]; in: number[] };
};

const COLORS: Record<FlowCategory, string> = {
  hire: "#3b6fd8",
  refund: "#57a773",
  stake: "#d8973b",
  reward: "#8d5fd3",
  withdrawal: "#2aa5b5",
  transfer: "#7a7f87",
  gas: "#d6455d",
};

let chartJs: string | undefined;

/** Chart.js's UMD build from node_modules, read once and inlined: the report must work offline. */
function chartJsSource(): string {
  if (chartJs === undefined) {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve("chart.js"));
    const minified = join(dist, "chart.umd.min.js");
    let source: string;
    try {
      source = readFileSync(minified, "utf8");
    } catch {
      source = readFileSync(join(dist, "chart.umd.js"), "utf8");
    }
    chartJs = source.replaceAll("</script", "<\\/script");
  }
  return chartJs;
}

/**
 * The report as one self-contained HTML file (`guild audit --html report.html`): the verdict and totals,
 * charts of spending over time, by counterparty and by category (Chart.js inlined, no network access:
 * a Content-Security-Policy forbids any), the delegation trees as nested lists, stakes, credits,
 * transactions and anything unexplained.
 *
 * @example
 * writeFileSync("report.html", renderHtml(report));
 */
export function renderHtml(report: AuditReport, options: RenderHtmlOptions = {}): string {
  const { trees = 300, counterparties = 12 } = options;
  const book = tokenBook(report);
  const name = report.agent.name ?? shortAddress(report.agent.address);
  const charts = report.tokens.map((token) => chartsFor(report, token.token, counterparties));
  const data = JSON.stringify({ tokens: charts, colors: COLORS }).replaceAll("<", "\\u003c");

  const verdict = report.reconciled
    ? `<div class="verdict ok" id="verdict"><strong>Reconciled.</strong> For every token, opening + in − out − gas = closing, to the wei, checked against the node's balances.</div>`
    : `<div class="verdict bad" id="verdict"><strong>Not reconciled.</strong> ${report.tokens
        .filter((token) => token.reconciliation.status !== "reconciled")
        .map(
          (token) =>
            `${esc(token.symbol)}: the node says ${esc(book.amount(token.closing, token.token))}, the flows explain ${esc(book.amount(token.reconciliation.expectedClosing, token.token))} (difference ${esc(book.signed(token.reconciliation.difference, token.token))}).`,
        )
        .join(" ")}</div>`;

  const totals = `<table><thead><tr><th>token</th><th>opening</th><th>in</th><th>out</th><th>gas</th><th>closing</th><th>check</th></tr></thead><tbody>${report.tokens
    .map(
      (token) =>
        `<tr><td>${esc(token.symbol)}</td><td>${esc(book.amount(token.opening, token.token))}</td><td>${esc(book.amount(token.inflow, token.token))}</td><td>${esc(book.amount(token.outflow, token.token))}</td><td>${token.token === zeroAddress ? esc(book.amount(token.gas, token.token)) : "–"}</td><td>${esc(book.amount(token.closing, token.token))}</td><td class="${token.reconciliation.status === "reconciled" ? "good" : "warn"}">${token.reconciliation.status === "reconciled" ? "reconciled" : `off by ${esc(book.signed(token.reconciliation.difference, token.token))}`}</td></tr>`,
    )
    .join("")}</tbody></table>`;

  const categories = report.tokens
    .map((token) => {
      const rows = FLOW_CATEGORIES.filter(
        (category) => token.byCategory[category].in !== 0n || token.byCategory[category].out !== 0n,
      );
      if (rows.length === 0) return "";
      return `<table class="small"><caption>${esc(token.symbol)} by category</caption><thead><tr><th>category</th><th>in</th><th>out</th></tr></thead><tbody>${rows
        .map(
          (category) =>
            `<tr><td><span class="dot" style="background:${COLORS[category]}"></span>${category}</td><td>${esc(book.amount(token.byCategory[category].in, token.token))}</td><td>${esc(book.amount(token.byCategory[category].out, token.token))}</td></tr>`,
        )
        .join("")}</tbody></table>`;
    })
    .join("");

  const byId = new Map(report.jobs.map((job) => [job.jobId, job]));
  const roots = report.jobRoots.map((id) => byId.get(id)).filter((job): job is JobRow => job !== undefined);
  const ordered = [
    ...roots.filter((job) => job.children.length > 0),
    ...roots.filter((job) => job.children.length === 0),
  ];
  const node = (job: JobRow, depth: number): string => {
    const children =
      depth < 10 ? job.children.map((id) => byId.get(id)).filter((row): row is JobRow => row !== undefined) : [];
    const line = jobLine(job, book);
    if (children.length === 0) return `<li>${line}</li>`;
    return `<li><details open><summary>${line}</summary><ul>${children.map((child) => node(child, depth + 1)).join("")}</ul></details></li>`;
  };
  const tree = `<ul class="tree" id="job-tree">${ordered
    .slice(0, trees)
    .map((job) => node(job, 0))
    .join("")}</ul>${
    ordered.length > trees
      ? `<p class="muted">… and ${ordered.length - trees} more jobs without sub-jobs (all are in <code>--json</code> and <code>--csv</code>).</p>`
      : ""
  }`;

  const t = report.transactions;
  const stakeCounts = new Map<string, number>();
  for (const stake of report.stakes) stakeCounts.set(stake.outcome, (stakeCounts.get(stake.outcome) ?? 0) + 1);
  const facts = [
    `Transactions sent: <b>${t.sent}</b> (${t.failed} failed), gas ${esc(book.amount(t.gas, zeroAddress))}; ${t.foundByEvents} named by events, ${t.foundByNonce} found through the nonce; ${t.incomingFound} incoming transfers found through the balance history.`,
    report.stakes.length > 0
      ? `Stakes: <b>${report.stakes.length}</b> (${[...stakeCounts].map(([outcome, count]) => `${count} ${esc(outcome)}`).join(", ")}); provider bonds slashed: ${report.stakes.filter((stake) => stake.bond && stake.lost > 0n).length}.`
      : "",
    ...report.credits.map(
      (credit) =>
        `Credits: ${esc(book.amount(credit.credited, credit.token))} credited by the escrow (a refused payout), ${esc(book.amount(credit.withdrawn, credit.token))} withdrawn, ${esc(book.amount(credit.outstanding, credit.token))} still in the escrow.`,
    ),
    report.transcripts
      ? `Transcripts: ${report.transcripts.files} files; ${report.transcripts.attributed.length} transactions traced to the tool call that sent them, ${report.transcripts.unattributed.length} sent outside the agent loop.`
      : "",
  ]
    .filter(Boolean)
    .map((line) => `<p>${line}</p>`)
    .join("");

  const causes = report.transcripts?.attributed ?? [];
  const transcriptTable =
    causes.length > 0
      ? `<details><summary>Which tool call sent each transaction (${causes.length})</summary><table class="small"><thead><tr><th>transaction</th><th>tool</th><th>run</th><th>step</th><th>model turn</th></tr></thead><tbody>${causes
          .slice(0, 500)
          .map(
            (cause) =>
              `<tr><td><code>${esc(cause.txHash.slice(0, 18))}…</code></td><td>${esc(cause.tool)}${cause.claimedBy > 1 ? ` <span class="warn">(named by ${cause.claimedBy} calls)</span>` : ""}</td><td>${esc(cause.runId.slice(0, 8))}</td><td>${cause.step}</td><td style="white-space:normal;text-align:left">${esc(cause.modelTurn ?? "")}</td></tr>`,
          )
          .join("")}</tbody></table></details>`
      : "";

  const unexplained = report.tokens.flatMap((token) =>
    token.reconciliation.unexplained.map(
      (change) =>
        `<li>Block ${change.block}: ${esc(book.signed(change.amount, token.token))} that no flow explains.<ul>${change.transactions
          .slice(0, 10)
          .map(
            (tx) =>
              `<li><code>${esc(tx.hash)}</code> block ${tx.block}: ${esc(shortAddress(tx.from))} → ${tx.to ? esc(shortAddress(tx.to)) : "create"}, ${esc(book.amount(tx.value, zeroAddress))}</li>`,
          )
          .join("")}</ul></li>`,
    ),
  );

  const title = `Guild audit: ${esc(name)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 10px}
.muted{color:#667}.verdict{padding:12px 16px;border-radius:8px;margin:16px 0}
.verdict.ok{background:#e3f4e8;border:1px solid #9fd3ad}.verdict.bad{background:#fbe6e8;border:1px solid #eba3ac}
table{border-collapse:collapse;background:#fff;border:1px solid #dde1e7;margin:0 16px 12px 0}
th,td{padding:5px 10px;border-bottom:1px solid #eceef2;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}caption{text-align:left;font-weight:600;padding:4px 0}
table.small{display:inline-table;vertical-align:top}.good{color:#2f7d46}.warn{color:#b3261e;font-weight:600}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}
.charts{display:grid;grid-template-columns:2fr 1fr;gap:16px}.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:12px}
.card h3{font-size:13px;margin:0 0 8px}.chart{position:relative;height:280px}.wide{grid-column:1/3}
.tree{list-style:none;padding-left:0}.tree ul{list-style:none;padding-left:22px;border-left:1px dashed #c5cad3;margin-left:6px}
.tree li{margin:3px 0}.job{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px}
.pill{display:inline-block;border-radius:9px;padding:0 7px;font-size:11px;background:#eef0f4;margin-left:4px}
.paid{background:#e3f4e8}.refunded{background:#fdf1dc}code{font-size:12px}
select{font:inherit;padding:2px 6px}
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p class="muted"><code>${esc(report.agent.address)}</code>${report.agent.kind === "contract" ? " (contract account)" : ""} · chain ${report.chainId} · blocks ${report.range.fromBlock}–${report.range.toBlock} · ${esc(formatTime(report.range.fromTimestamp))} to ${esc(formatTime(report.range.toTimestamp))}</p>
${verdict}
<h2>Totals</h2>
${totals}
<div>${categories}</div>
<h2>Spending <label class="muted">token <select id="token">${charts.map((chart, index) => `<option value="${index}">${esc(chart.symbol)}</option>`).join("")}</select></label></h2>
<div class="charts">
<div class="card wide"><h3 id="time-title">Over time</h3><div class="chart"><canvas id="chart-time"></canvas></div></div>
<div class="card"><h3>By counterparty</h3><div class="chart"><canvas id="chart-counterparty"></canvas></div></div>
<div class="card"><h3>By category</h3><div class="chart"><canvas id="chart-category"></canvas></div></div>
</div>
<h2>Jobs and delegation trees</h2>
<p>${esc(jobSummary(report))}</p>
${tree}
<h2>Transactions, stakes, credits</h2>
${facts}
${transcriptTable}
${unexplained.length > 0 ? `<h2>Unexplained changes</h2><ul>${unexplained.join("")}</ul>` : ""}
${
  report.warnings.length > 0
    ? `<h2>Warnings</h2><ul>${report.warnings
        .slice(0, 50)
        .map((warning) => `<li>${esc(warning)}</li>`)
        .join("")}</ul>`
    : ""
}
<p class="muted">Generated ${esc(report.generatedAt)} by <code>guild audit</code> from the chain alone: ${report.stats.logs} logs read in ${(report.stats.durationMs / 1000).toFixed(1)} s.</p>
</main>
<script type="application/json" id="audit-data">${data}</script>
<script>${chartJsSource()}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById("audit-data").textContent);
  var charts = [];
  function draw(index) {
    charts.forEach(function (chart) { chart.destroy(); });
    charts = [];
    var token = data.tokens[index];
    if (!token) return;
    var base = { animation: false, responsive: true, maintainAspectRatio: false };
    document.getElementById("time-title").textContent = "Over time (by " + token.period + ", " + token.symbol + "): out by category, and in";
    var timeSets = Object.keys(token.time.out).map(function (category) {
      return { type: "bar", label: category + " out", data: token.time.out[category], backgroundColor: data.colors[category], stack: "out" };
    }).filter(function (set) { return set.data.some(function (value) { return value > 0; }); });
    timeSets.push({ type: "line", label: "in", data: token.time.in, borderColor: "#1d2330", backgroundColor: "#1d2330", pointRadius: 0, borderWidth: 1.5 });
    charts.push(new Chart(document.getElementById("chart-time"), {
      type: "bar", data: { labels: token.time.labels, datasets: timeSets },
      options: Object.assign({}, base, { scales: { x: { stacked: true }, y: { stacked: true, title: { display: true, text: token.symbol } } } })
    }));
    charts.push(new Chart(document.getElementById("chart-counterparty"), {
      type: "bar", data: { labels: token.counterparties.labels, datasets: [
        { label: "out", data: token.counterparties.out, backgroundColor: "#d6455d" },
        { label: "in", data: token.counterparties.in, backgroundColor: "#57a773" }] },
      options: Object.assign({}, base, { indexAxis: "y" })
    }));
    charts.push(new Chart(document.getElementById("chart-category"), {
      type: "doughnut", data: { labels: token.categories.labels, datasets: [
        { label: "out", data: token.categories.out, backgroundColor: token.categories.labels.map(function (category) { return data.colors[category]; }) }] },
      options: Object.assign({}, base, { plugins: { legend: { position: "right" } } })
    }));
    window.__auditChartsReady = charts.length;
  }
  document.getElementById("token").addEventListener("change", function (event) { draw(Number(event.target.value)); });
  draw(0);
})();
</script>
</body>
</html>
`;
}

function chartsFor(report: AuditReport, token: Address, limit: number): TokenCharts {
  const book = tokenBook(report);
  const { symbol, decimals } = book.of(token);
  const number = (amount: bigint) => Number(formatUnits(amount, decimals));
  const span = report.range.toTimestamp - report.range.fromTimestamp;
  const period: "hour" | "day" = span <= 3 * 86_400 ? "hour" : "day";
  const buckets = report.periods[period];
  const out = Object.fromEntries(FLOW_CATEGORIES.map((category) => [category, [] as number[]])) as Record<
    FlowCategory,
    number[]
  >;
  const inflow: number[] = [];
  const labels: string[] = [];
  for (const bucket of buckets) {
    const row = bucket.byToken.find((entry) => entry.token.toLowerCase() === token.toLowerCase());
    const iso = new Date(bucket.start * 1000).toISOString();
    labels.push(period === "day" ? iso.slice(0, 10) : `${iso.slice(5, 10)} ${iso.slice(11, 13)}h`);
    for (const category of FLOW_CATEGORIES) out[category].push(row ? number(row.byCategory[category].out) : 0);
    inflow.push(row ? number(row.in) : 0);
  }
  const parties = report.counterparties
    .map((party) => {
      const entry = party.byToken.find((row) => row.token.toLowerCase() === token.toLowerCase());
      return { party, in: entry?.in ?? 0n, out: entry?.out ?? 0n };
    })
    .filter((row) => row.in !== 0n || row.out !== 0n)
    .sort((a, b) => (b.out + b.in > a.out + a.in ? 1 : b.out + b.in < a.out + a.in ? -1 : 0))
    .slice(0, limit);
  const summary = report.tokens.find((entry) => entry.token.toLowerCase() === token.toLowerCase());
  const used = FLOW_CATEGORIES.filter((category) => (summary?.byCategory[category].out ?? 0n) !== 0n);
  return {
    symbol,
    period,
    time: { labels, out, in: inflow },
    counterparties: {
      labels: parties.map(({ party }) =>
        party.counterparty === NETWORK
          ? "gas (network)"
          : `${party.label ? `${party.label} ` : ""}${shortAddress(party.counterparty)}`,
      ),
      out: parties.map((row) => number(row.out)),
      in: parties.map((row) => number(row.in)),
    },
    categories: {
      labels: used,
      out: used.map((category) => number(summary?.byCategory[category].out ?? 0n)),
      in: used.map((category) => number(summary?.byCategory[category].in ?? 0n)),
    },
  };
}

function jobSummary(report: AuditReport): string {
  const mine = report.jobs.filter((job) => job.roles.length > 0);
  const role = (name: JobRow["roles"][number]) => mine.filter((job) => job.roles.includes(name)).length;
  return `${mine.length} jobs: client of ${role("client")}, provider of ${role("provider")}, staker on ${role("staker")}; ${report.jobs.length - mine.length} sub-jobs hired by others below them.`;
}

function jobLine(job: JobRow, book: ReturnType<typeof tokenBook>): string {
  const token = (job.token ?? zeroAddress) as Address;
  const parts: string[] = [];
  if (job.funded) parts.push(`paid in ${book.amount(job.funded, token)}`);
  if (job.received) parts.push(`earned ${book.amount(job.received, token)}`);
  if (job.refunded) parts.push(`refunded ${book.amount(job.refunded, token)}`);
  if (job.credited) parts.push(`credited ${book.amount(job.credited, token)}`);
  if (job.staked) parts.push(`staked ${book.amount(job.staked, token)}`);
  if (job.reward) parts.push(`reward ${book.amount(job.reward, token)}`);
  if (job.lost) parts.push(`lost ${book.amount(job.lost, token)}`);
  if (job.gas) parts.push(`gas ${book.amount(job.gas, zeroAddress)}`);
  const parties = `${job.client ? shortAddress(job.client) : "?"} → ${job.provider ? shortAddress(job.provider) : "?"}`;
  return `<span class="job">#${job.jobId}</span> ${esc(parties)}${job.budget === undefined ? "" : ` · ${esc(book.amount(job.budget, token))}`}<span class="pill ${esc(job.outcome)}">${esc(job.outcome)}</span>${
    job.roles.length > 0
      ? `<span class="pill">${esc(job.roles.join(", "))}</span>`
      : `<span class="pill">sub-job</span>`
  }${parts.length > 0 ? ` <span class="muted">${esc(parts.join(" · "))}</span>` : ""}${job.description ? ` <span class="muted">“${esc(job.description.slice(0, 60))}”</span>` : ""}`;
}

function esc(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");
}
