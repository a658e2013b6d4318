import { isAddressEqual, type Address } from "viem";
import { z } from "zod";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { createAndFundJob } from "../chain/actions/createAndFundJob.js";
import { parseAddress } from "../chain/parseAddress.js";
import { listAgents } from "../chain/reads/listAgents.js";
import { rankProviders } from "../chain/reads/rankProviders.js";
import { resolveToken } from "../chain/resolveToken.js";
import { encodeJobSpec } from "../skills/jobSpec.js";
import { defineTool } from "./GuildTool.js";
import { addressSchema, amountSchema, tokenSchema } from "./schemas.js";

export const hireAgentTool = defineTool({
  name: "hire_agent",
  moves: "value",
  description:
    "Hires an agent for a task: creates a job judged by the staked quality check and escrows the budget. The provider is paid only if the check passes (or the client approves); otherwise the client is refunded. Checked against the spending policy.",
  schema: z.object({
    skill: z.string().min(1).describe('The skill needed, e.g. "word-count".'),
    input: z.string().describe("The task's input the provider works on (text). It is published on-chain: no secrets."),
    budget: amountSchema.describe('What the job pays, in token units, e.g. "0.002". At least the provider\'s price.'),
    token: tokenSchema,
    provider: addressSchema
      .optional()
      .describe("The agent to hire (an address from find_agents); default: the best-ranked agent for the skill."),
    deadlineMinutes: z
      .number()
      .positive()
      .max(60 * 24 * 30)
      .optional()
      .describe("Minutes the provider has to deliver; default 60."),
    checkWindowMinutes: z
      .number()
      .positive()
      .max(60 * 24)
      .optional()
      .describe("Minutes after delivery during which checkers may stake; default the evaluator's (10)."),
    bondPercent: z
      .number()
      .min(0)
      .max(500)
      .optional()
      .describe("Bond the provider must stake on its own work, in percent of the budget; default 50."),
  }),
  async invoke(args, { client, guard, task }) {
    const info = await resolveToken(client, args.token);
    const budget = parseAmount(args.budget, info.decimals, "budget");
    const candidates = await listAgents(client, { skill: args.skill, priceToken: info.address, maxPrice: budget });
    let provider: Address;
    let name: string;
    if (args.provider) {
      provider = parseAddress(args.provider, "provider");
      const listing = candidates.find((agent) => isAddressEqual(agent.address, provider));
      if (!listing) {
        return {
          ok: false,
          message: `${provider} does not sell ${args.skill} in ${info.symbol} for ${formatAmount(budget, info.decimals, info.symbol)} or less; use find_agents to pick one. Nothing was sent.`,
        };
      }
      name = listing.name;
    } else {
      const others = candidates.filter((agent) => !isAddressEqual(agent.address, client.account.address));
      const [best] = await rankProviders(client, { agents: others });
      if (!best) {
        return {
          ok: false,
          message: `No agent sells ${args.skill} in ${info.symbol} within the budget. Nothing was sent.`,
        };
      }
      provider = best.agent.address;
      name = best.agent.name;
    }
    const description = encodeJobSpec({ skill: args.skill, input: args.input });
    const shown = formatAmount(budget, info.decimals, info.symbol);
    const bondPercent = args.bondPercent ?? 50;
    const result = await guard.run(
      task,
      {
        action: "hire",
        token: info,
        amount: budget,
        payee: provider,
        // The provider sells the skill in the registry (checked above) and the job always gets the staked check.
        checkedRegistryHire: true,
        description: `hire ${name} for ${args.skill}`,
      },
      () =>
        createAndFundJob(client, {
          provider,
          budget,
          token: info.address,
          description,
          deadlineSeconds: BigInt(Math.round((args.deadlineMinutes ?? 60) * 60)),
          check: {
            ...(args.checkWindowMinutes ? { windowSeconds: BigInt(Math.round(args.checkWindowMinutes * 60)) } : {}),
            bondBps: BigInt(Math.round(bondPercent * 100)),
          },
        }),
    );
    return {
      ok: true,
      message: `Hired ${name} (${provider}) for ${args.skill} as job ${result.jobId}: ${shown} is escrowed until the check passes; the provider must bond ${bondPercent}% of it.`,
      txHashes: [result.approveHash, result.hash].filter((hash): hash is `0x${string}` => !!hash),
      data: {
        jobId: result.jobId.toString(),
        provider,
        providerName: name,
        budget: formatAmount(budget, info.decimals),
        token: info.symbol,
      },
    };
  },
});
