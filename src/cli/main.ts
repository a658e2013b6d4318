import { Command, Option } from "commander";
import type { LogLevel } from "../log/createLogger.js";
import { createCliContext, reportError, runCommand, type CliContext, type GlobalOptions } from "./cliContext.js";
import { EXIT } from "./exitCodes.js";
import type { AuditOptions } from "./commands/auditCommand.js";
import type { HireOptions } from "./commands/hireCommand.js";
import type { McpOptions } from "./commands/mcpCommand.js";
import type { StartOptions } from "./commands/startCommand.js";

/**
 * The `guild` command line: a declarative list of commands, each a thin adapter over a core function. Each
 * command's module is imported when the command runs, so `--help` and a usage error start in a fraction of
 * the time (no chain, wallet or model libraries loaded).
 * Exit codes: 0 done, 1 failed, 2 bad usage, 3 chain unavailable, 4 work rejected (refunded), 130 interrupted.
 */
const program = new Command()
  .name("guild")
  .description("AI agents with wallets that hire, pay and check each other through an on-chain escrow.")
  .option("--json", "print machine-readable JSON on stdout")
  .addOption(
    new Option("--log-level <level>", "log level on stderr").choices([
      "fatal",
      "error",
      "warn",
      "info",
      "debug",
      "trace",
      "silent",
    ]),
  )
  .showHelpAfterError("(run with --help for usage)")
  // Commander's own errors (a missing or unknown option, an unknown command) are bad usage: exit 2, not 1.
  // Subcommands inherit this. Help asked for exits 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? EXIT.ok : EXIT.usage))
  .addHelpText(
    "after",
    `
Examples:
  $ guild chain                                   start the local chain and deploy Guild
  $ guild start --name bob --skills word-count,sort --roles worker,checker --price 0.001
  $ guild hire --as alice --skill word-count --input "count these words" --budget 0.002
  $ guild ask --as alice "Report my spending for the last 24 hours"
  $ guild jobs --agent alice
  $ guild audit alice --html report.html

Configuration comes from the environment and .env (see .env.example).`,
  );

const controller = new AbortController();
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(EXIT.interrupted);
    interrupted = true;
    controller.abort();
  });
}

/** Runs a command adapter with the global options, turning errors into messages and exit codes. */
function run(action: (ctx: CliContext, ...args: never[]) => Promise<number>, quietLevel: LogLevel = "error") {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const globals = command.optsWithGlobals() as GlobalOptions;
    let ctx: CliContext;
    try {
      ctx = createCliContext(globals, {}, quietLevel);
    } catch (error) {
      process.exitCode = reportError(error, globals.json ?? false);
      return;
    }
    const code = await runCommand(ctx, (ctx) => action(ctx, ...(args.slice(0, -1) as never[])));
    process.exitCode = interrupted && code === EXIT.ok ? EXIT.ok : code;
  };
}

program
  .command("chain")
  .description("start the embedded local chain (or find the running one) and deploy Guild's contracts")
  .addHelpText("after", "\nExamples:\n  $ guild chain\n  $ GUILD_CHAIN_PORT=8546 guild chain --json")
  .action(
    run(async (ctx) => (await import("./commands/chainCommand.js")).chainCommand(ctx, { signal: controller.signal })),
  );

program
  .command("deploy")
  .description("deploy Guild's contracts to the configured chain and record their addresses")
  .option("--from <wallet>", "wallet that pays for the deployment (not needed on a local dev chain)")
  .addHelpText(
    "after",
    "\nExamples:\n  $ guild deploy\n  $ GUILD_RPC_URL=https://sepolia.example/rpc guild deploy --from deployer",
  )
  .action(
    run(async (ctx, options: { from?: string }) =>
      (await import("./commands/deployCommand.js")).deployCommand(ctx, options),
    ),
  );

program
  .command("start")
  .description("run an agent daemon: take paid jobs, check deliveries for a stake, settle its own jobs")
  .requiredOption("--name <name>", "agent name (its wallet is created on a dev chain if missing)")
  .option(
    "--skills <list>",
    "skills sold and checked, comma-separated: word-count, sort, sha256, json-validate, summarize-extractive, js-function, extract-fields (the last two checked by the job's criteria)",
  )
  .option("--roles <list>", "worker, checker, client (comma-separated)", "worker,checker,client")
  .option("--price <amount>", "price per job in token units", "0.001")
  .option("--token <token>", "price token: ETH, gUSD or an address", "ETH")
  .option("--api-port <port>", "control API port on 127.0.0.1 (0: any free port)", "0")
  .option("--stake-percent <n>", "checker stake per check, in percent of the job's budget", "20")
  .option(
    "--max-stake-percent <n>",
    "most a checker stakes on one job (answering a stake that took the lead), in percent of its budget",
    "1000",
  )
  .option(
    "--max-open-stakes <limits>",
    'most held in stakes not yet claimed, over all jobs, e.g. "0.5 ETH, 500 gUSD" (default: GUILD_MAX_OPEN_STAKES)',
  )
  // Acceptance terms (src/daemon/acceptTerms.ts, docs/daemon.md): out-of-policy jobs are declined on chain with the
  // reason, and checks with them get no stake. Chain-dependent defaults are applied by the daemon, not here.
  .option(
    "--accept-evaluators <addresses>",
    "evaluators accepted besides the deployment's staked evaluator, comma-separated (default: none)",
  )
  .option(
    "--accept-arbiters <addresses|any>",
    "arbiters accepted on checks that name one, comma-separated, or any (default: none: jobs with an arbiter are declined)",
  )
  .option("--deny-arbiters <addresses>", "arbiters refused even with --accept-arbiters any (default: none)")
  .option("--max-bond-percent <n>", "highest bond a worker posts, in percent of the budget (default: 50)")
  .option(
    "--max-min-stake-percent <n>",
    "highest minimum stake a worker accepts, in percent of the budget (default: 20)",
  )
  .option("--min-window <duration>", "shortest check window a worker accepts (default: 10m; 3s on dev chains)")
  .option(
    "--min-response-period <duration>",
    "shortest time to answer a change of lead (default: 5m; 1s on dev chains)",
  )
  .option("--max-flips <n>", "most changes of lead a worker accepts; odd counts need an arbiter (default: 6)")
  .option("--max-check-time <duration>", "longest a check may last after delivery, every flip used (default: 3d)")
  .option(
    "--min-settle-margin <duration>",
    "least time between a check's latest end and the client's refund, to settle in (default: 1h; 5s on dev chains)",
  )
  .option("--min-time-to-deadline <duration>", "least time left to deliver when a worker takes a job (default: 1m)")
  .addOption(
    // Demo only (npm start's cheating worker): sells the wrong-result versions of its skills (src/skills/demo).
    new Option(
      "--deliver-wrong",
      "demo only: deliver wrong results on purpose (src/skills/demo/wrongResults.ts)",
    ).hideHelp(),
  )
  .addHelpText(
    "after",
    "\nExamples:\n  $ guild start --name bob --skills word-count,sort --roles worker,checker --price 0.001\n  $ guild start --name alice --roles client --api-port 7410\n  $ guild start --name bob --skills sort --max-bond-percent 25 --min-settle-margin 2h --accept-arbiters 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  )
  .action(
    run(
      async (ctx, options: StartOptions) =>
        (await import("./commands/startCommand.js")).startCommand(ctx, options, { signal: controller.signal }),
      "info",
    ),
  );

program
  .command("hire")
  .description("delegate a task to another agent, paying through the escrow; the staked check decides")
  .requiredOption("--as <agent>", "the paying agent's wallet name")
  .requiredOption("--skill <skill>", "skill to hire for, e.g. word-count")
  .requiredOption("--input <text>", "the task's input (published on-chain)")
  .requiredOption("--budget <amount>", 'what the job pays, in token units: 0.002, or "1.5 gUSD"')
  .option("--token <token>", "payment token: ETH, gUSD or an address", "ETH")
  .option("--provider <address>", "hire this agent instead of the best-ranked one")
  .option("--bond <percent>", "bond the provider stakes on its work, in percent of the budget", "50")
  .option("--window <duration>", "check window after delivery: 90s, 2m, 1h", "2m")
  .option("--deadline <duration>", "time to deliver: 30m, 2h", "60m")
  .addOption(
    new Option("--accept <mode>", "check: let the staked check decide; verified: re-compute and approve early")
      .choices(["check", "verified"])
      .default("check"),
  )
  .option("--wait-seconds <n>", "longest wait for the delivery", "300")
  .addHelpText(
    "after",
    '\nExamples:\n  $ guild hire --as alice --skill word-count --input "the quick brown fox" --budget 0.002 --window 30s\n  $ guild hire --as alice --skill sort --input "3 1 2" --budget "1.5 gUSD" --json\n\nExit codes: 0 paid, 1 failed, 2 bad input, 3 no chain, 4 the check rejected the work (refunded).',
  )
  .action(
    run(async (ctx, options: HireOptions) => (await import("./commands/hireCommand.js")).hireCommand(ctx, options)),
  );

program
  .command("ask")
  .description("give an agent's LLM loop a free-form task (offline planner without OPENAI_API_KEY)")
  .requiredOption("--as <agent>", "the agent's wallet name")
  .argument("<task...>", "what to do, in words")
  .addHelpText(
    "after",
    '\nExamples:\n  $ guild ask --as alice "What is my balance?"\n  $ guild ask --as alice "Hire an agent for word-count to count the words in: a b c. Budget 0.002 ETH"',
  )
  .action(
    run(async (ctx, words: string[], options: { as: string }) => {
      // Loaded on use: the LLM client is heavy, and the other commands do not need it.
      const { askCommand } = await import("./commands/askCommand.js");
      const { promptPassword } = await import("../wallet/promptPassword.js");
      return askCommand(ctx, {
        as: options.as,
        task: words.join(" "),
        ...(process.stdin.isTTY ? { promptPassword } : {}),
      });
    }),
  );

program
  .command("mcp")
  .description("serve an agent's Guild tools and resources to any MCP host (stdio, or Streamable HTTP with --http)")
  .requiredOption("--as <agent>", "the agent's wallet name (unlocked with GUILD_KEYSTORE_PASSWORD)")
  .option("--http <port>", "serve Streamable HTTP on 127.0.0.1:<port>/mcp behind the control API's bearer token")
  .option(
    "--budget <amounts>",
    'what each session may spend in all, e.g. "0.01 ETH, 5 gUSD" (default GUILD_MAX_PER_TASK)',
  )
  .option("--trust <addresses>", "payees the operator trusts for direct payments, comma-separated")
  .addHelpText(
    "after",
    '\nExamples:\n  $ guild mcp --as alice\n  $ guild mcp --as alice --budget "0.01 ETH" --http 7420\n\nA host runs it as: {"command": "<guild>/node_modules/.bin/node", "args": ["<guild>/bin/guild.js", "mcp", "--as", "alice"],\n  "env": {"GUILD_HOME": "<guild>/.guild", "GUILD_KEYSTORE_PASSWORD": "..."}}. See docs/mcp.md.',
  )
  .action(
    run(async (ctx, options: McpOptions) => {
      // Loaded on use: the MCP SDK is only needed here.
      const { mcpCommand } = await import("./commands/mcpCommand.js");
      return mcpCommand(ctx, options, { signal: controller.signal });
    }, "info"),
  );

program
  .command("jobs")
  .description("list recent jobs: state, skill, budget, parties")
  .option("--agent <name|address>", "only jobs where this agent is client or provider")
  .option("--limit <n>", "how many", "20")
  .addHelpText("after", "\nExamples:\n  $ guild jobs\n  $ guild jobs --agent alice --limit 5\n  $ guild jobs --json")
  .action(
    run(async (ctx, options: { agent?: string; limit?: string }) =>
      (await import("./commands/jobsCommand.js")).jobsCommand(ctx, options),
    ),
  );

program
  .command("job")
  .description("one job in full: state, parties, amounts, stakes, deliverable")
  .argument("<id>", "job id")
  .addHelpText("after", "\nExamples:\n  $ guild job 3\n  $ guild job 3 --json")
  .action(run(async (ctx, id: string) => (await import("./commands/jobsCommand.js")).jobCommand(ctx, id)));

program
  .command("agents")
  .description("registered agents with skills, price and reputation")
  .option("--skill <skill>", "only agents with this skill")
  .option("--all", "include deactivated agents")
  .addHelpText("after", "\nExamples:\n  $ guild agents\n  $ guild agents --skill word-count --json")
  .action(
    run(async (ctx, options: { skill?: string; all?: boolean }) =>
      (await import("./commands/agentsCommand.js")).agentsCommand(ctx, options),
    ),
  );

const wallet = program
  .command("wallet")
  .description("agent wallets (encrypted keystores under GUILD_HOME/wallets)")
  .addHelpText(
    "after",
    "\nExamples:\n  $ guild wallet new alice\n  $ guild wallet list --json\n  $ guild wallet address alice",
  );
wallet
  .command("new")
  .argument("<name>")
  .description("create a wallet (password from GUILD_KEYSTORE_PASSWORD or a prompt)")
  .addHelpText(
    "after",
    "\nExamples:\n  $ guild wallet new alice\n  $ GUILD_KEYSTORE_PASSWORD=... guild wallet new bob --json",
  )
  .action(run(async (ctx, name: string) => (await import("./commands/walletCommand.js")).walletNewCommand(ctx, name)));
wallet
  .command("import")
  .argument("<name>")
  .description("import a private key (from GUILD_PRIVATE_KEY or a hidden prompt)")
  .addHelpText("after", "\nExamples:\n  $ GUILD_PRIVATE_KEY=0x... guild wallet import carol")
  .action(
    run(async (ctx, name: string) => (await import("./commands/walletCommand.js")).walletImportCommand(ctx, name)),
  );
wallet
  .command("list")
  .description("wallet names and addresses (no password needed)")
  .addHelpText("after", "\nExamples:\n  $ guild wallet list\n  $ guild wallet list --json")
  .action(run(async (ctx) => (await import("./commands/walletCommand.js")).walletListCommand(ctx)));
wallet
  .command("address")
  .argument("<name>")
  .description("a wallet's address")
  .addHelpText("after", "\nExamples:\n  $ guild wallet address alice")
  .action(
    run(async (ctx, name: string) => (await import("./commands/walletCommand.js")).walletAddressCommand(ctx, name)),
  );
wallet
  .command("fund")
  .argument("<name>")
  .description("top a wallet up from a dev account (local dev chains only)")
  .addHelpText("after", "\nExamples:\n  $ guild wallet fund alice")
  .action(run(async (ctx, name: string) => (await import("./commands/walletCommand.js")).walletFundCommand(ctx, name)));

program
  .command("withdraw")
  .description("withdraw payouts the escrow credited to an agent")
  .requiredOption("--as <agent>", "the agent's wallet name")
  .option("--token <token>", "ETH, gUSD or an address", "ETH")
  .option("--to <address>", "send to this address instead of the agent")
  .addHelpText(
    "after",
    "\nExamples:\n  $ guild withdraw --as bob\n  $ guild withdraw --as bob --token gUSD --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
  )
  .action(
    run(async (ctx, options: { as: string; token?: string; to?: string }) =>
      (await import("./commands/withdrawCommand.js")).withdrawCommand(ctx, options),
    ),
  );

program
  .command("audit")
  .description("every wei an agent spent or earned, from the chain alone, reconciled to its balances")
  .argument("<agent>", "agent wallet name, registered name, or address")
  .option("--from-block <n>", "first block (default: all history)")
  .option("--to-block <n>", "last block (default: latest)")
  .option("--csv", "CSV on stdout (or --out)")
  .option("--html <file>", "write a self-contained HTML report with charts")
  .option("--out <file>", "write JSON or CSV to a file instead of stdout")
  .option("--transcripts", "join the agent's transcripts: which tool call and model turn sent each transaction")
  .addHelpText(
    "after",
    "\nExit 0 when every token reconciles to the wei, 4 when a difference is unexplained.\n\nExamples:\n  $ guild audit alice\n  $ guild audit alice --json > alice.json\n  $ guild audit 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --from-block 100 --csv\n  $ guild audit alice --html report.html --transcripts",
  )
  .action(
    run(async (ctx, agent: string, options: AuditOptions) => {
      // Loaded on use: the report renderers are large and no other command needs them.
      const { auditCommand } = await import("./commands/auditCommand.js");
      return auditCommand(ctx, agent, options);
    }),
  );

await program.parseAsync(process.argv);
