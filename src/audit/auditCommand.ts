import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { getAddress, type Address } from "viem";
import { connectGuild } from "../chain/connectGuild.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { parseAddress } from "../chain/parseAddress.js";
import { listAgents } from "../chain/reads/listAgents.js";
import { guildPaths, type GuildConfig } from "../config/loadConfig.js";
import { GuildError } from "../errors/GuildError.js";
import { InvalidInputError } from "../errors/input.js";
import { ContractsNotDeployedError, RpcUnavailableError } from "../errors/transaction.js";
import { WalletNotFoundError } from "../errors/wallet.js";
import type { Logger } from "../log/createLogger.js";
import { redact } from "../log/secrets.js";
import { getWalletAddress } from "../wallet/getWalletAddress.js";
import { listWallets } from "../wallet/listWallets.js";
import { auditAgent, type AuditProgress } from "./auditAgent.js";
import { renderCsv } from "./render/csv.js";
import { renderHtml } from "./render/html.js";
import { renderJson } from "./render/json.js";
import { renderTable } from "./render/table.js";

export type AuditFormat = "table" | "json" | "csv" | "html";

/**
 * Exit codes of `guild audit`: 0 reconciled; 1 the audit failed (the node erred); 2 bad usage or input;
 * 3 the chain is unreachable or Guild is not deployed on it; 4 the report was written but something does
 * not reconcile.
 */
export const AUDIT_EXIT = { reconciled: 0, failed: 1, usage: 2, chain: 3, unexplained: 4 } as const;

/** Where text goes: process.stdout and process.stderr, or a test's buffers. */
export type TextSink = { write: (text: string) => unknown; isTTY?: boolean };

export type AuditCommandParameters = {
  config: GuildConfig;
  logger: Logger;
  /** Wallet name (GUILD_HOME/wallets), registered agent name, or 0x address. */
  agent: string;
  fromBlock?: bigint | string;
  toBlock?: bigint | string;
  format: AuditFormat;
  /** File to write; required for html, optional for json and csv (stdout otherwise). */
  out?: string;
  /** Join the agent's transcripts (GUILD_HOME/agents/<name>/transcripts). */
  transcripts?: boolean;
  stdout: TextSink;
  stderr: TextSink;
  /** An open connection to use instead of connecting from `config` (tests, embedding). */
  reader?: GuildReader;
};

/**
 * `guild audit <agent> [--from-block N] [--to-block N] [--json|--csv|--html file] [--transcripts]`:
 * reconstructs every wei the agent spent or earned from the chain alone, reconciles it with the node's
 * balances and prints the report; progress goes to stderr. Never starts a chain. Returns the exit code
 * ({@link AUDIT_EXIT}).
 *
 * @example
 * const code = await auditCommand({ config, logger, agent: "alice", format: "table",
 *   stdout: process.stdout, stderr: process.stderr });
 */
export async function auditCommand(params: AuditCommandParameters): Promise<number> {
  const { config, logger, format, out, stdout, stderr } = params;
  try {
    const fromBlock = parseBlock(params.fromBlock, "from-block");
    const toBlock = parseBlock(params.toBlock, "to-block");
    if (format === "html" && !out)
      throw new InvalidInputError("html", "no file given", "Name the report file: --html report.html.");
    if (fromBlock !== undefined && toBlock !== undefined && fromBlock > toBlock) {
      throw new InvalidInputError(
        "from-block",
        `${fromBlock} is after --to-block ${toBlock}`,
        "Give a range whose start is not after its end.",
      );
    }
    const connection = params.reader ? undefined : await connectGuild({ config, logger, startEmbeddedChain: false });
    const reader: GuildReader = params.reader ?? (connection as GuildReader);
    try {
      const labels = new Map<string, string>();
      const wallets = await listWallets({ home: config.home }).catch(() => []);
      for (const wallet of wallets) labels.set(wallet.address.toLowerCase(), wallet.name);
      const listings = await listAgents(reader, { includeInactive: true }).catch(() => []);
      for (const listing of listings)
        if (!labels.has(listing.address.toLowerCase())) labels.set(listing.address.toLowerCase(), listing.name);

      const { address, name } = await resolveAgent(params.agent, config.home, listings);
      const walletName = name ?? wallets.find((wallet) => wallet.address.toLowerCase() === address.toLowerCase())?.name;
      if (params.transcripts && !walletName) {
        throw new InvalidInputError(
          "transcripts",
          `${address} has no wallet on this machine`,
          "Audit by wallet name to join its transcripts.",
        );
      }
      const report = await auditAgent({
        reader,
        agent: address,
        ...(walletName
          ? { name: walletName }
          : labels.has(address.toLowerCase())
            ? { name: labels.get(address.toLowerCase()) as string }
            : {}),
        ...(fromBlock !== undefined ? { fromBlock } : {}),
        ...(toBlock !== undefined ? { toBlock } : {}),
        ...(params.transcripts && walletName
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
      return report.reconciled ? AUDIT_EXIT.reconciled : AUDIT_EXIT.unexplained;
    } finally {
      await connection?.close();
    }
  } catch (error) {
    endProgress(stderr);
    const short =
      error instanceof GuildError
        ? error.shortMessage
        : error instanceof Error
          ? error.message.split("\n")[0]
          : String(error);
    const hints = error instanceof GuildError ? error.metaMessages : [];
    stderr.write(redact(`error: ${short}\n${hints.map((line) => `  ${line}\n`).join("")}`));
    if (error instanceof InvalidInputError || error instanceof WalletNotFoundError) return AUDIT_EXIT.usage;
    if (error instanceof RpcUnavailableError || error instanceof ContractsNotDeployedError) return AUDIT_EXIT.chain;
    return AUDIT_EXIT.failed;
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
