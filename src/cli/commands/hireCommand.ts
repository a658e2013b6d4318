import type { z } from "zod";
import { formatAmount, parseAmount } from "../../chain/amounts.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { parseDuration } from "../../chain/parseDuration.js";
import { parseTokenAmount } from "../../chain/parseTokenAmount.js";
import { InvalidInputError } from "../../errors/input.js";
import { terminalApprover } from "../../guard/approvers.js";
import { loadAddressBook, openSpendingGuard } from "../../guard/openSpendingGuard.js";
import { createTaskContext } from "../../guard/TaskContext.js";
import { hireWorkflow } from "../../llm/hireWorkflow.js";
import { BUILTIN_SKILLS } from "../../skills/builtinSkills.js";
import { ALL_TOOLS } from "../../tools/allTools.js";
import type { GuildTool, ToolContext, ToolResult } from "../../tools/GuildTool.js";
import { runTool } from "../../tools/runTool.js";
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
 * and pays through the escrow, running the offline planner's hire workflow ({@link hireWorkflow}) over the same
 * tools the agent's model uses (no model involved): pick the provider by skill, price and reputation, fund, wait
 * for the delivery, then let the staked check decide (`--accept check`, the default) or verify it here and
 * approve early when it is right (`--accept verified`). Exit 0 when the provider was paid, 4 when the check rejected the work and the
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

    // The workflow the offline planner runs for a hire task, driven here with the same tools.
    const workflow = hireWorkflow({
      skill: options.skill,
      input: options.input,
      budget: formatAmount(budget.amount, budget.token.decimals),
      token: budget.token.address,
      ...(options.provider ? { provider: options.provider } : {}),
      ...(checked.bondPercent === undefined ? {} : { bondPercent: checked.bondPercent }),
      ...(checked.windowMinutes === undefined ? {} : { checkWindowMinutes: checked.windowMinutes }),
      ...(checked.deadlineMinutes === undefined ? {} : { deadlineMinutes: checked.deadlineMinutes }),
      accept: options.accept === "verified" ? "verify" : "check",
      waitSeconds: checked.waitSeconds,
      settleTimeoutSeconds: 3_600,
    });
    let next = workflow.next(undefined as never);
    while (!next.done) {
      const { name, args } = next.value;
      const tool = ALL_TOOLS.find((candidate) => candidate.name === name);
      if (!tool) throw new Error(`guild hire has no tool named ${name}.`);
      const result = await step(tool, args);
      if (!result.ok) return done(EXIT.failed, `${name} failed`);
      next = workflow.next({ ok: result.ok, message: result.message, data: result.data ?? {} });
    }
    const { outcome, decidedBy, jobId } = next.value;
    if (decidedBy === "job ended")
      return done(
        outcome === "paid" ? EXIT.ok : EXIT.rejected,
        `job ${jobId} ended before a delivery was judged (${outcome})`,
      );
    if (outcome === "paid")
      return done(
        EXIT.ok,
        decidedBy === "verification" ? "paid (approved after verification)" : "the check passed; the provider was paid",
      );
    if (outcome === "refunded") return done(EXIT.rejected, "the check rejected the work; the client was refunded");
    return done(EXIT.failed, outcome === "voided" ? "the check was void; every stake was returned" : outcome);
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
  const bondPercent = parsePercent(options.bond, "bond", { min: 0, max: 100, example: 50 });
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
