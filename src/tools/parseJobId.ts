import { z } from "zod";

/** A job id as the model writes it: a decimal string (or number) of a positive integer. */
export const jobIdSchema = z
  .union([z.string(), z.number()], { error: 'expected a job id, a positive whole number such as "12"' })
  .describe('The job\'s id, a positive whole number such as "12", as returned by hire_agent or get_job.')
  .transform((value, ctx) => {
    const text = String(value).trim();
    if (!/^[1-9]\d{0,30}$/.test(text)) {
      ctx.addIssue({ code: "custom", message: `"${text}" is not a job id (a positive whole number)` });
      return z.NEVER;
    }
    return BigInt(text);
  });
