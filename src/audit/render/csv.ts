import { formatUnits } from "viem";
import { NETWORK, type AuditReport } from "../AuditReport.js";
import { tokenBook } from "./format.js";

/** Columns of `guild audit --csv`, one row per flow, in chain order. */
export const CSV_COLUMNS = [
  "block",
  "timestamp",
  "time_utc",
  "tx_hash",
  "log_index",
  "token",
  "symbol",
  "direction",
  "category",
  "amount",
  "amount_decimal",
  "counterparty",
  "counterparty_label",
  "job_id",
  "source",
] as const;

/**
 * The report's ledger as CSV (RFC 4180): one row per flow, amounts in base units and as decimals, so a
 * spreadsheet sums them to the report's totals. Needs a report audited with `includeFlows`.
 *
 * @example
 * writeFileSync("alice.csv", renderCsv(await auditAgent({ reader, agent, includeFlows: true })));
 */
export function renderCsv(report: AuditReport): string {
  if (!report.flows) throw new TypeError("renderCsv needs a report audited with includeFlows.");
  const book = tokenBook(report);
  const labels = new Map(report.counterparties.map((party) => [party.counterparty.toLowerCase(), party.label ?? ""]));
  const lines = [CSV_COLUMNS.join(",")];
  for (const flow of report.flows) {
    const { symbol, decimals } = book.of(flow.token);
    const timestamp = flow.timestamp;
    lines.push(
      [
        flow.block.toString(),
        timestamp === undefined ? "" : String(timestamp),
        timestamp === undefined ? "" : new Date(timestamp * 1000).toISOString(),
        flow.txHash,
        flow.logIndex === undefined ? "" : String(flow.logIndex),
        flow.token,
        symbol,
        flow.direction,
        flow.category,
        flow.amount.toString(),
        formatUnits(flow.amount, decimals),
        flow.counterparty,
        flow.counterparty === NETWORK ? "gas (network)" : (labels.get(flow.counterparty.toLowerCase()) ?? ""),
        flow.jobId === undefined ? "" : flow.jobId.toString(),
        flow.source,
      ]
        .map(cell)
        .join(","),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}

function cell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
