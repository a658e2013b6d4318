import { askAgent } from "../../agent/askAgent.js";
import type { Approver } from "../../guard/approvers.js";
import { redact } from "../../log/secrets.js";
import type { PromptPassword } from "../../wallet/promptPassword.js";
import { type CliContext, reportError } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";

export type AskOptions = {
  /** The agent's wallet name. */
  as: string;
  /** The task, in words. */
  task: string;
  /** Asks for the keystore password when GUILD_KEYSTORE_PASSWORD is unset (a terminal prompt on a TTY). */
  promptPassword?: PromptPassword;
  /** Decides what needs a person's approval; default a terminal prompt (refuses without a terminal). */
  approver?: Approver;
  /** Model turns before giving up; default 20. */
  maxSteps?: number;
  /** scrypt cost of a wallet created on a dev chain (tests lower it). */
  scryptN?: number;
};

/**
 * `guild ask --as alice "<task>"`: one task through the agent's LLM loop (see askAgent). The answer goes to
 * stdout (`{ status, answer, refused, transcript }` with --json), progress and each tool call to stderr.
 * Exit codes (src/cli/exitCodes.ts): 0 done; 1 the guard refused something, a tool's last answer was a
 * failure or the loop ran out of turns, or anything else failed; 2 bad usage (no task, a bad agent name,
 * offline a task the planner does not understand); 3 the chain is unreachable or Guild is not deployed.
 *
 * @example
 * const code = await askCommand(ctx, { as: "alice", task: "What is my balance?" });
 * // stdout: Wallet 0x... holds 1 ETH, 100 gUSD.
 */
export async function askCommand(ctx: CliContext, options: AskOptions): Promise<number> {
  const say = (line: string) => ctx.stderr.write(`${redact(line)}\n`);
  try {
    const outcome = await askAgent({
      config: ctx.config,
      logger: ctx.logger,
      agentName: options.as,
      task: options.task,
      say,
      ...(options.promptPassword ? { promptPassword: options.promptPassword } : {}),
      ...(options.approver ? { approver: options.approver } : {}),
      ...(options.maxSteps ? { maxSteps: options.maxSteps } : {}),
      ...(options.scryptN ? { scryptN: options.scryptN } : {}),
    });
    if (outcome.status === "usage") {
      say(outcome.message);
      return EXIT.usage;
    }
    const { status, answer, refused, transcriptPath } = outcome;
    ctx.print(answer, { status, answer, refused, transcript: transcriptPath });
    if (refused.length > 0) say(`Refused by the spending policy: ${refused.join(", ")}.`);
    return status === "done" ? EXIT.ok : EXIT.failed;
  } catch (error) {
    return reportError(error, ctx.json, ctx.stderr);
  }
}
