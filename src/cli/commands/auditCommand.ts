import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, type Address } from "viem";
import { auditAgent, type AuditProgress } from "../../audit/auditAgent.js";
import { renderCsv } from "../../audit/render/csv.js";
import { renderHtml } from "../../audit/render/html.js";
import { renderJson } from "../../audit/render/json.js";
import { renderTable } from "../../audit/render/table.js";
import { connectGuild } from "../../chain/connectGuild.js";
import type { GuildReader } from "../../chain/GuildClient.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { listAgents } from "../../chain/reads/listAgents.js";
import { guildPaths } from "../../config/loadConfig.js";
import { InvalidInputError } from "../../errors/input.js";
import { WalletNotFoundError } from "../../errors/wallet.js";
import { redact } from "../../log/secrets.js";
import { getWalletAddress } from "../../wallet/getWalletAddress.js";
import { listWallets } from "../../wallet/listWallets.js";
import type { CliContext, TextSink } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";

export type AuditFormat = "table" | "json" | "csv" | "html";

export type AuditOptions = {
  fromBlock?: string;
  toBlock?: string;
  /** CSV instead of the table (--json, the global option, gives JSON). */
  csv?: boolean;
  /** File for the self-contained HTML report. */
  html?: string;
  /** File for JSON or CSV instead of stdout. */
  out?: string;
  /** Join the agent's transcripts (GUILD_HOME/agents/<name>/transcripts). */
  transcripts?: boolean;
};

/**
 * `guild audit <agent> [--from-block N] [--to-block N] [--json|--csv|--html file] [--transcripts]`:
 * reconstructs every wei the agent (a wallet name, a registered name or an address) spent or earned from the
 * chain alone, reconciles it with the node's balances and prints the report; progress goes to stderr. Never
 * starts a chain. Returns {@link EXIT}.ok when every token reconciles, {@link EXIT}.rejected when the report
 * shows an unexplained difference; bad input throws an InvalidInputError.
 *
 * @example
 * const code = await auditCommand(ctx, "alice", { html: "report.html" });
 */
export async function auditCommand(
  ctx: CliContext,
  agent: string,
  options: AuditOptions,
  /** An open connection to use instead of connecting from the configuration (tests, embedding). */
  io: { reader?: GuildReader } = {},
): Promise<number> {
  const { config, logger, stdout, stderr } = ctx;
  const format: AuditFormat = options.html ? "html" : ctx.json ? "json" : options.csv ? "csv" : "table";
  if (options.html !== undefined && options.html.trim() === "")
    throw new InvalidInputError("html", "no file given", "Name the report file: --html report.html.");
  const out = options.html ?? options.out;
  const fromBlock = parseBlock(options.fromBlock, "from-block");
  const toBlock = parseBlock(options.toBlock, "to-block");
  if (fromBlock !== undefined && toBlock !== undefined && fromBlock > toBlock) {
    throw new InvalidInputError(
      "from-block",
      `${fromBlock} is after --to-block ${toBlock}`,
      "Give a range whose start is not after its end.",
    );
  }
  const connection = io.reader ? undefined : await connectGuild({ config, logger, startEmbeddedChain: false });
  const reader: GuildReader = io.reader ?? (connection as GuildReader);
  try {
    const labels = new Map<string, string>();
    const wallets = await listWallets({ home: config.home }).catch(() => []);
    for (const wallet of wallets) labels.set(wallet.address.toLowerCase(), wallet.name);
    const listings = await listAgents(reader, { includeInactive: true }).catch(() => []);
    for (const listing of listings)
      if (!labels.has(listing.address.toLowerCase())) labels.set(listing.address.toLowerCase(), listing.name);

    const { address, name } = await resolveAgent(agent, config.home, listings);
    const walletName = name ?? wallets.find((wallet) => wallet.address.toLowerCase() === address.toLowerCase())?.name;
    if (options.transcripts && !walletName) {
      throw new InvalidInputError(
        "transcripts",
        `${address} has no wallet on this machine`,
        "Audit by wallet name to join its transcripts.",
      );
    }
    const label = walletName ?? labels.get(address.toLowerCase());
    const report = await auditAgent({
      reader,
      agent: address,
      ...(label ? { name: label } : {}),
      ...(fromBlock !== undefined ? { fromBlock } : {}),
      ...(toBlock !== undefined ? { toBlock } : {}),
      ...(options.transcripts && walletName
        ? { transcriptsDir: join(guildPaths(config.home).agent(walletName), "transcripts") }
        : {}),
      includeFlows: format === "json" || format === "csv",
      labels,
      logPageSize: config.logPageSize,
      onProgress: progressLine(stderr),
    });
    endProgress(stderr);
    const text =
      format === "table"
        ? renderTable(report)
        : format === "json"
          ? renderJson(report, { pretty: true })
          : format === "csv"
            ? renderCsv(report)
            : renderHtml(report);
    if (out) {
      await writeFile(out, text);
      stderr.write(
        `Wrote ${out}: ${report.reconciled ? "reconciled" : "NOT reconciled"} (${report.jobs.length} jobs, ${report.transactions.sent} transactions).\n`,
      );
    } else {
      stdout.write(redact(text));
    }
    return report.reconciled ? EXIT.ok : EXIT.rejected;
  } finally {
    endProgress(stderr);
    await connection?.close();
  }
}

function parseBlock(value: bigint | string | undefined, field: string): bigint | undefined {
  if (value === undefined || typeof value === "bigint") return value;
  if (!/^\d+$/.test(value.trim()))
    throw new InvalidInputError(field, `"${value}" is not a block number`, "Give a whole number such as 120.");
  return BigInt(value.trim());
}

/** A 0x address, a wallet name, or (failing those) a name listed in the registry. */
async function resolveAgent(
  agent: string,
  home: string,
  listings: { address: Address; name: string }[],
): Promise<{ address: Address; name: string | undefined }> {
  if (agent.startsWith("0x")) return { address: parseAddress(agent, "agent"), name: undefined };
  try {
    return { address: await getWalletAddress({ home, name: agent }), name: agent };
  } catch (error) {
    if (!(error instanceof WalletNotFoundError)) throw error;
    const listed = listings.filter((listing) => listing.name === agent);
    if (listed.length === 1)
      return { address: getAddress((listed[0] as { address: Address }).address), name: undefined };
    if (listed.length > 1) {
      throw new InvalidInputError(
        "agent",
        `${listed.length} registered agents are named "${agent}"`,
        "Give its address instead.",
      );
    }
    throw error;
  }
}

const PHASES: Record<AuditProgress["phase"], string> = {
  logs: "reading events",
  jobs: "reading job facts",
  transactions: "finding the agent's transactions",
  balances: "checking the balance history",
  timestamps: "reading block times",
  transcripts: "joining transcripts",
};

const lastLine = new WeakMap<TextSink, { at: number; open: boolean }>();

/** A status line on stderr: rewritten in place on a terminal, a line every two seconds otherwise. */
function progressLine(stderr: TextSink): (progress: AuditProgress) => void {
  // Quick audits print nothing: the first line waits a second.
  const started = Date.now();
  return ({ phase, done, total, detail }) => {
    const state = lastLine.get(stderr) ?? { at: started, open: false };
    const now = Date.now();
    if (now - state.at < (stderr.isTTY ? (state.open ? 200 : 1_000) : 2_000)) return;
    state.at = now;
    const percent = total > 0 ? ` ${Math.min(100, Math.round((done / total) * 100))}%` : "";
    const text = `audit: ${PHASES[phase]}${percent}${detail ? ` (${detail})` : ""}`;
    if (stderr.isTTY) {
      stderr.write(`\r${text.padEnd(72)}`);
      state.open = true;
    } else stderr.write(`${text}\n`);
    lastLine.set(stderr, state);
  };
}

function endProgress(stderr: TextSink): void {
  const state = lastLine.get(stderr);
  if (state?.open) {
    stderr.write("\n");
    state.open = false;
  }
}
