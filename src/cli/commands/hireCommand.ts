import type { z } from "zod";
import { formatAmount, parseAmount } from "../../chain/amounts.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { parseDuration } from "../../chain/parseDuration.js";
import { parseTokenAmount } from "../../chain/parseTokenAmount.js";
import { InvalidInputError } from "../../errors/input.js";
import { terminalApprover } from "../../guard/approvers.js";
import { loadAddressBook, openSpendingGuard } from "../../guard/openSpendingGuard.js";
import { createTaskContext } from "../../guard/TaskContext.js";
import { BUILTIN_SKILLS } from "../../skills/builtinSkills.js";
import { approveDeliveryTool } from "../../tools/approveDeliveryTool.js";
import type { GuildTool, ToolContext, ToolResult } from "../../tools/GuildTool.js";
import { hireAgentTool } from "../../tools/hireAgentTool.js";
import { runTool } from "../../tools/runTool.js";
import { settleJobTool } from "../../tools/settleJobTool.js";
import { verifyDeliveryTool } from "../../tools/verifyDeliveryTool.js";
import { waitForDeliveryTool } from "../../tools/waitForDeliveryTool.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { openAgentClient, openGuild } from "../openGuild.js";
import { parsePercent } from "../parsePercent.js";

export type HireOptions = {
  as: string;
  skill: string;
  input: string;
  budget: string;
  token?: string;
  provider?: string;
  bond?: string;
  window?: string;
  deadline?: string;
  accept?: "check" | "verified";
  waitSeconds?: string;
};

/**
 * `guild hire --as alice --skill word-count --input "..." --budget 0.002`: delegates a task to another agent
 * and pays through the escrow, with the same tools the agent's model uses (no model involved): pick the
 * provider by skill, price and reputation, fund, wait for the delivery, then let the staked check decide
 * (`--accept check`, the default) or verify it here and approve early when it is right
 * (`--accept verified`). Exit 0 when the provider was paid, 4 when the check rejected the work and the
 * client was refunded.
 */
export async function hireCommand(ctx: CliContext, options: HireOptions): Promise<number> {
  // Bad input is a usage error (exit 2), found before anything is unlocked or sent.
  const checked = checkHireOptions(options);
  const guild = await openGuild(ctx);
  try {
    // "--budget 1.5" with "--token gUSD", or "--budget '1.5 gUSD'".
    const budget = await parseTokenAmount(guild, options.budget, "budget", options.token);
    const { client } = await openAgentClient(ctx, guild, options.as);
    const guard = await openSpendingGuard({
      config: ctx.config,
      reader: guild,
      agentName: options.as,
      account: client.account.address,
      logger: ctx.logger,
    });
    // A person typed this command: its budget and its provider are the task's trusted words.
    const shownBudget = `${formatAmount(budget.amount, budget.token.decimals)} ${budget.token.symbol}`;
    const task = createTaskContext({
      text: `Hire an agent for ${options.skill}${options.provider ? ` (${options.provider})` : ""}. Budget ${shownBudget}.`,
      policy: guard.policy,
      approver: terminalApprover(),
      addressBook: await loadAddressBook(ctx.config.home),
    });
    const context: ToolContext = {
      client,
      guard,
      task,
      skills: BUILTIN_SKILLS,
      logger: ctx.logger,
      onProgress: ctx.progress,
      pollIntervalMs: guild.connection.pollingIntervalMs * 4,
    };
    const steps: { tool: string; result: ToolResult }[] = [];
    const step = async <D extends Record<string, unknown>>(
      tool: GuildTool<z.ZodObject, D>,
      args: Record<string, unknown>,
    ): Promise<ToolResult<D>> => {
      const result = await runTool(tool, args, context);
      steps.push({ tool: tool.name, result });
      const hashes = result.txHashes?.length ? ` [tx ${result.txHashes.join(", ")}]` : "";
      ctx.progress(`${result.ok ? "✓" : "✗"} ${result.message}${hashes}`);
      return result;
    };
    const done = (code: number, outcome: string) => {
      ctx.print(`Outcome: ${outcome}.`, { outcome, steps });
      return code;
    };

    const hired = await step(hireAgentTool, {
      skill: options.skill,
      input: options.input,
      budget: formatAmount(budget.amount, budget.token.decimals),
      token: budget.token.address,
      ...(options.provider ? { provider: options.provider } : {}),
      ...(checked.bondPercent === undefined ? {} : { bondPercent: checked.bondPercent }),
      ...(checked.windowMinutes === undefined ? {} : { checkWindowMinutes: checked.windowMinutes }),
      ...(checked.deadlineMinutes === undefined ? {} : { deadlineMinutes: checked.deadlineMinutes }),
    });
    if (!hired.ok) return done(EXIT.failed, "not hired");
    const { jobId } = hired.data;
    const delivered = await step(waitForDeliveryTool, { jobId, timeoutSeconds: checked.waitSeconds });
    if (!delivered.ok) return done(EXIT.failed, "no delivery in time");
    if (delivered.data.status !== "Submitted") {
      return done(
        delivered.data.status === "Completed" ? EXIT.ok : EXIT.rejected,
        `job ended ${delivered.data.status}`,
      );
    }
    if (options.accept === "verified") {
      const verified = await step(verifyDeliveryTool, { jobId });
      if (verified.ok && verified.data.verdict === "pass") {
        const approved = await step(approveDeliveryTool, { jobId });
        if (approved.ok) return done(EXIT.ok, "paid (approved after verification)");
      }
    }
    const settled = await step(settleJobTool, { jobId, timeoutSeconds: 3_600 });
    if (!settled.ok) return done(EXIT.failed, "not settled");
    const { outcome } = settled.data;
    return done(
      outcome === "paid" ? EXIT.ok : EXIT.rejected,
      outcome === "paid"
        ? "the check passed; the provider was paid"
        : "the check rejected the work; the client was refunded",
    );
  } finally {
    await guild.close();
  }
}

/** The numbers among the options, checked: each bad one is an {@link InvalidInputError} naming its option. */
function checkHireOptions(options: HireOptions) {
  // The number's form here; its token and the token's decimals once connected.
  parseAmount(options.budget.trim().split(/\s+/)[0] ?? "", 18, "budget");
  if (options.provider !== undefined) parseAddress(options.provider, "provider");
  const duration = (text: string | undefined, field: string) =>
    text === undefined ? undefined : parseDuration(text, field, "m") / 60;
  const bondPercent = parsePercent(options.bond, "bond", { min: 0, max: 500, example: 50 });
  const waitSeconds = Number(options.waitSeconds ?? 300);
  if (!(waitSeconds > 0))
    throw new InvalidInputError(
      "wait-seconds",
      `"${options.waitSeconds}" is not a positive number of seconds`,
      "Give a number such as 300.",
    );
  return {
    bondPercent,
    windowMinutes: duration(options.window, "window"),
    deadlineMinutes: duration(options.deadline, "deadline"),
    waitSeconds,
  };
}
