import { z } from "zod";
import { formatAmount, parseAmount } from "../chain/amounts.js";
import { registerAgent } from "../chain/actions/registerAgent.js";
import { resolveToken } from "../chain/resolveToken.js";
import { defineTool } from "./GuildTool.js";
import { amountSchema, tokenSchema } from "./schemas.js";

export const registerSelfTool = defineTool({
  name: "register_self",
  moves: "none",
  description: "Lists this agent in the registry (or updates its listing) so others can hire it for its skills.",
  schema: z.object({
    name: z.string().describe("Agent name: lowercase letters, digits, - or _, up to 32."),
    skills: z.array(z.string()).min(1).max(16).describe('Skills sold, e.g. ["word-count", "sort"].'),
    price: amountSchema.describe('Price per job in token units, e.g. "0.001".'),
    token: tokenSchema,
  }),
  async invoke({ name, skills, price, token }, { client }) {
    const info = await resolveToken(client, token);
    const amount = parseAmount(price, info.decimals, "price", true);
    const { hash, action } = await registerAgent(client, { name, skills, price: amount, priceToken: info.address });
    return {
      ok: true,
      message: `${action === "unchanged" ? "Already listed" : action === "registered" ? "Registered" : "Updated"} ${name} for ${skills.join(", ")} at ${formatAmount(amount, info.decimals, info.symbol)} per job.`,
      txHashes: hash ? [hash] : [],
      data: { action },
    };
  },
});
