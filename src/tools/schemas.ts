import { z } from "zod";
import { readJobId } from "../chain/parseJobId.js";

/** An amount as the model writes it. Parsed against the token's decimals by the tool. */
export const amountSchema = z
  .union([z.string(), z.number()], { error: 'expected an amount as a decimal string, such as "0.01"' })
  .transform((value) => String(value))
  .describe('Amount in whole token units as a decimal string, e.g. "0.01" for 0.01 ETH. Not wei.');

export const tokenSchema = z
  .string()
  .optional()
  .describe('Token: "ETH" (default, the native currency), a known symbol such as "gUSD", or the token\'s 0x address.');

export const addressSchema = z
  .string()
  .describe("A 0x-prefixed 40-hex-digit address. Copy it exactly from a tool result; never invent one.");

/** A job id as the model writes it: a decimal string (or number) of a positive integer; parsed to a bigint. */
export const jobIdSchema = z
  .union([z.string(), z.number()], { error: 'expected a job id, a positive whole number such as "12"' })
  .describe('The job\'s id, a positive whole number such as "12", as returned by hire_agent or get_job.')
  .transform((value, ctx) => {
    const jobId = readJobId(value);
    if (jobId === undefined) {
      ctx.addIssue({ code: "custom", message: `"${String(value).trim()}" is not a job id (a positive whole number)` });
      return z.NEVER;
    }
    return jobId;
  });
