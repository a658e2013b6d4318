import { join } from "node:path";
import { parseAmount } from "../../chain/amounts.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { parseTokenAmount } from "../../chain/parseTokenAmount.js";
import { guildPaths } from "../../config/loadConfig.js";
import { InvalidInputError } from "../../errors/input.js";
import { terminalApprover } from "../../guard/approvers.js";
import { createSpendingGuard } from "../../guard/createSpendingGuard.js";
import { fileNativePaymentLedger } from "../../guard/nativePaymentLedger.js";
import { loadSpendingPolicy } from "../../guard/SpendingPolicy.js";
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
    await parseTokenAmount(guild, options.budget, "budget", options.token);
    const { client } = await openAgentClient(ctx, guild, options.as);
    const guard = createSpendingGuard({
      reader: guild,
      account: client.account.address,
      policy: await loadSpendingPolicy(guild, ctx.config.spending, ctx.logger),
      approver: terminalApprover(),
      ledger: fileNativePaymentLedger(join(guildPaths(ctx.config.home).agent(options.as), "native-payments.jsonl")),
      logger: ctx.logger,
    });
    const context: ToolContext = {
      client,
      guard,
      skills: BUILTIN_SKILLS,
      logger: ctx.logger,
      onProgress: ctx.progress,
      pollIntervalMs: guild.connection.pollingIntervalMs * 4,
    };
    const steps: { tool: string; result: ToolResult }[] = [];
    const step = async (tool: GuildTool, args: Record<string, unknown>) => {
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

    // "--budget 1.5" with "--token gUSD", or "--budget '1.5 gUSD'".
    const [budget = "", budgetToken] = options.budget.trim().split(/\s+/);
    const token = budgetToken ?? options.token;
    // The workflow the offline planner runs for a hire task, driven here with the same tools.
    const workflow = hireWorkflow({
      skill: options.skill,
      input: options.input,
      budget,
      ...(token ? { token } : {}),
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
  const duration = (text: string | undefined, field: string) => {
    if (text === undefined) return undefined;
    const value = minutes(text);
    if (!(value > 0))
      throw new InvalidInputError(
        field,
        `"${text}" is not a duration`,
        "Give seconds, minutes or hours, e.g. 90s, 2m, 1h.",
      );
    return value;
  };
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

/** "90s", "2m", "1h" or a bare number of minutes. */
function minutes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/i.exec(text.trim());
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  const unit = (match[2] ?? "m").toLowerCase();
  return unit === "s" ? value / 60 : unit === "h" ? value * 60 : value;
}
