import { numberToHex, pad } from "viem";
import { formatAmount } from "../../chain/amounts.js";
import { getTokenInfo } from "../../chain/actions/getTokenInfo.js";
import { readJob } from "../../chain/actions/readJob.js";
import { readLogs } from "../../chain/logs/readLogs.js";
import { listJobs } from "../../chain/reads/listJobs.js";
import { readJobTexts } from "../../chain/reads/readJobTexts.js";
import { parseAddress } from "../../chain/parseAddress.js";
import { stakedEvaluatorAbi } from "../../contracts/StakedEvaluator.js";
import { InvalidInputError } from "../../errors/input.js";
import { decodeJobSpec } from "../../skills/jobSpec.js";
import { getWalletAddress } from "../../wallet/getWalletAddress.js";
import { parseJobId } from "../../chain/parseJobId.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { formatTable } from "../formatTable.js";
import { openGuild } from "../openGuild.js";
import { agentNamer } from "../agentNames.js";

/** `guild jobs [--agent <name|address>] [--limit N]`: recent jobs with state, parties and amounts. */
export async function jobsCommand(
  ctx: CliContext,
  { agent, limit }: { agent?: string; limit?: string },
): Promise<number> {
  const count = Number(limit ?? 20);
  if (!Number.isInteger(count) || count < 1)
    throw new InvalidInputError("limit", `"${limit}" is not a positive whole number`, "Give a count such as 20.");
  const guild = await openGuild(ctx);
  try {
    const party =
      agent === undefined
        ? undefined
        : agent.startsWith("0x")
          ? parseAddress(agent, "agent")
          : await getWalletAddress({ home: ctx.config.home, name: agent });
    const jobs = await listJobs(guild, { ...(party ? { party } : {}), limit: count });
    const name = await agentNamer(ctx.config.home);
    const rows: string[][] = [];
    const data = [];
    for (const job of jobs) {
      const token = await getTokenInfo(guild, job.token);
      const spec = decodeJobSpec(job.description);
      rows.push([
        job.jobId.toString(),
        job.status,
        spec?.skill ?? "-",
        formatAmount(job.budget, token.decimals, token.symbol),
        name(job.client),
        name(job.provider),
        job.parentJobId ? job.parentJobId.toString() : "-",
      ]);
      data.push({ ...job, budget: formatAmount(job.budget, token.decimals), token: token.symbol, skill: spec?.skill });
    }
    ctx.print(
      jobs.length === 0
        ? "No jobs yet."
        : formatTable(["job", "status", "skill", "budget", "client", "provider", "parent"], rows),
      data,
    );
    return EXIT.ok;
  } finally {
    await guild.close();
  }
}

/** `guild job <id>`: one job in full: state, parties, amounts, its check and every stake, the deliverable. */
export async function jobCommand(ctx: CliContext, id: string): Promise<number> {
  const jobId = parseJobId(id, "id");
  const guild = await openGuild(ctx);
  try {
    const job = await readJob(guild, { jobId });
    const texts = await readJobTexts(guild, { jobId });
    const token = await getTokenInfo(guild, job.token);
    const amount = (value: bigint) => formatAmount(value, token.decimals, token.symbol);
    const name = await agentNamer(ctx.config.home);
    const who = (address: `0x${string}`) => `${address} (${name(address)})`;
    const stakes = job.check
      ? await readLogs(guild.connection.publicClient, {
          address: guild.addresses.evaluator,
          events: stakedEvaluatorAbi.filter(
            (item) => item.type === "event" && (item.name === "Staked" || item.name === "StakeClaimed"),
          ),
          topics: [pad(numberToHex(jobId))],
          fromBlock: guild.fromBlock,
        })
      : [];
    const lines = [
      `Job ${jobId}: ${job.status}`,
      `  client     ${who(job.client)}`,
      `  provider   ${who(job.provider)}`,
      `  evaluator  ${job.evaluator}${job.check ? " (staked check)" : ""}`,
      `  budget     ${amount(job.budget)}`,
      `  deadline   ${iso(job.expiredAt)}`,
      ...(job.parentJobId ? [`  parent     job ${job.parentJobId}`] : []),
      `  task       ${texts.description ?? "-"}`,
      `  delivered  ${texts.content === undefined ? "-" : JSON.stringify(texts.content)}`,
      ...(texts.declined === undefined ? [] : [`  declined   ${JSON.stringify(texts.declined)}`]),
      ...(job.check
        ? [
            `  check      verdict ${job.check.verdict}; bond ${amount(job.check.bond)}; window ${job.check.closeOffsetSeconds} s${job.check.closesAt ? ` (closes ${iso(job.check.closesAt)}, at the latest ${iso(job.check.latestClose ?? job.check.closesAt)})` : ""}; ${job.check.leader} leads after ${job.check.flips} of ${job.check.maxFlips} flips`,
            ...stakes.map((log) =>
              log.eventName === "Staked"
                ? `    stake    ${name(log.args.staker).padEnd(8)} ${log.args.pass ? "pass" : "fail"} ${amount(log.args.amount)}  [tx ${log.transactionHash}]`
                : `    claim    ${name(log.args.staker).padEnd(8)} got ${amount(log.args.amount)}  [tx ${log.transactionHash}]`,
            ),
          ]
        : []),
    ];
    ctx.print(lines.join("\n"), {
      ...job,
      ...texts,
      token: token.symbol,
      stakes: stakes.map((log) => ({ event: log.eventName, ...log.args, txHash: log.transactionHash })),
    });
    return EXIT.ok;
  } finally {
    await guild.close();
  }
}

function iso(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString();
}
