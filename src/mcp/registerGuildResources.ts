import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import { McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import type { Address } from "viem";
import { formatAmount } from "../chain/amounts.js";
import { getTokenInfo } from "../chain/actions/getTokenInfo.js";
import type { GuildReader } from "../chain/GuildClient.js";
import { readJobId } from "../chain/parseJobId.js";
import { agentReputation } from "../chain/reads/agentReputation.js";
import { listAgents } from "../chain/reads/listAgents.js";
import { listJobs } from "../chain/reads/listJobs.js";
import { GuildError } from "../errors/GuildError.js";
import { InvalidInputError } from "../errors/input.js";
import { WalletNotFoundError } from "../errors/wallet.js";
import { readJobWithEvents } from "./readJobWithEvents.js";

/** JSON-RPC code of a resource that does not exist (MCP specification, resources). */
export const RESOURCE_NOT_FOUND = -32002;

/**
 * The guild.audit/v1 JSON of an agent (a wallet name, a registered name or an address), exactly as
 * `guild audit <agent> --json` prints it: the CLI passes its own audit command in (the audit's options,
 * labels and name resolution live there). Bad input throws InvalidInputError or WalletNotFoundError.
 */
export type ReadAuditJson = (agent: string) => Promise<string>;

export type GuildResourcesParameters = {
  reader: GuildReader;
  /** The agent this server acts for: its jobs and its audit are listed. */
  agent: { name: string; address: Address };
  readAudit: ReadAuditJson;
};

/**
 * Registers what a host can read without calling a tool, all JSON from the chain:
 * `guild://agents` (the registry's agents with price and reputation), `guild://jobs/{id}` (a job, its
 * texts and every escrow and evaluator event about it; the agent's own jobs are listed), and
 * `guild://audit/{agent}` (the `guild.audit/v1` report `guild audit <agent> --json` prints).
 *
 * @example
 * registerGuildResources(mcp, { reader: guild, agent: { name: "alice", address }, readAudit });
 */
export function registerGuildResources(mcp: McpServer, { reader, agent, readAudit }: GuildResourcesParameters): void {
  mcp.registerResource(
    "agents",
    "guild://agents",
    {
      title: "Registered agents",
      description:
        "Every active agent in Guild's registry: name, address, skills, price and reputation from the chain.",
      mimeType: "application/json",
    },
    async (uri) => {
      const ranked = await agentReputation(reader, { agents: await listAgents(reader) });
      const rows = await Promise.all(
        ranked.map(async ({ agent: listing, reputation }) => {
          const token = await getTokenInfo(reader, listing.priceToken);
          return {
            name: listing.name,
            address: listing.address,
            skills: listing.skills,
            price: formatAmount(listing.price, token.decimals),
            token: token.symbol,
            reputation: Number(reputation.score.toFixed(3)),
            completed: reputation.completed,
            rejected: reputation.rejected,
          };
        }),
      );
      return json(uri, { agents: rows });
    },
  );

  mcp.registerResource(
    "job",
    new ResourceTemplate("guild://jobs/{id}", {
      list: async () => {
        const jobs = await listJobs(reader, { party: agent.address, limit: 50 });
        return {
          resources: await Promise.all(
            jobs.map(async (job) => {
              const token = await getTokenInfo(reader, job.token);
              const role = job.client.toLowerCase() === agent.address.toLowerCase() ? "client" : "provider";
              return {
                uri: `guild://jobs/${job.jobId}`,
                name: `job ${job.jobId}`,
                description: `${job.status}, ${formatAmount(job.budget, token.decimals, token.symbol)}, ${agent.name} is its ${role}`,
                mimeType: "application/json",
              };
            }),
          ),
        };
      },
    }),
    {
      title: "A job and its chain events",
      description:
        "A job's state, parties, budget, check totals, its description and delivery (untrusted text), and every escrow and evaluator event about it.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const jobId = readJobId(String(variables.id ?? ""));
      if (jobId === undefined) {
        throw new McpError(RESOURCE_NOT_FOUND, `"${String(variables.id)}" is not a job id (a positive whole number).`);
      }
      try {
        return json(uri, await readJobWithEvents(reader, { jobId }));
      } catch (error) {
        // readJob's "Job N does not exist." is the resource not being there; anything else is the node's.
        if (error instanceof GuildError && /does not exist/.test(error.shortMessage)) {
          throw new McpError(RESOURCE_NOT_FOUND, error.shortMessage);
        }
        throw error;
      }
    },
  );

  mcp.registerResource(
    "audit",
    new ResourceTemplate("guild://audit/{agent}", {
      list: async () => ({
        resources: [
          {
            uri: `guild://audit/${agent.name}`,
            name: `audit of ${agent.name}`,
            description: `Every wei ${agent.name} spent or earned, from the chain, reconciled to its balances.`,
            mimeType: "application/json",
          },
        ],
      }),
    }),
    {
      title: "An agent's audit",
      description:
        "The guild.audit/v1 JSON that `guild audit <agent> --json` prints: every wei an agent (wallet name, registered name or address) spent or earned, reconciled to its balances.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const who = decodeURIComponent(String(variables.agent ?? ""));
      let text: string;
      try {
        text = await readAudit(who);
      } catch (error) {
        // An agent nobody knows is the resource not being there; anything else is the node's or the audit's.
        if (error instanceof InvalidInputError || error instanceof WalletNotFoundError) {
          throw new McpError(RESOURCE_NOT_FOUND, error.shortMessage);
        }
        throw error;
      }
      return { contents: [{ uri: uri.href, mimeType: "application/json", text }] };
    },
  );
}

function json(uri: URL, value: unknown): ReadResourceResult {
  return {
    contents: [
      {
        uri: uri.href,
        mimeType: "application/json",
        text: JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v), 2),
      },
    ],
  };
}
