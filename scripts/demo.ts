/**
 * The Guild demo (`npm start`): five agent daemons on a local chain. alice hires bob (honest) and mallory
 * (who delivers wrong results); carol and dave re-check both deliveries and stake; the staked check pays
 * bob and refunds alice for mallory's work, and mallory's bond goes to the checkers who caught her. eve, mallory's
 * friend, tries to buy that check at the last second (a pass stake just before the close, from her own wallet through
 * the chain layer); the contract gives the checkers a response period to answer, they do, and eve loses her stake.
 *
 * `npm start -- --scenario code`: the same five agents around a code job checked by tests. alice asks bob and mallory
 * for the same JavaScript function with the same test suite (in the job's criteria); bob's passes, mallory's has an
 * edge-case bug (it lets the squares of primes through), the checkers run the tests in the sandbox, and the staked
 * check pays bob and refunds alice.
 *
 * Uses the chain already running at GUILD_RPC_URL or GUILD_CHAIN_HOST:GUILD_CHAIN_PORT (and leaves it
 * running), or starts the embedded one (and stops it at the end).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { config as loadDotenv } from "dotenv";
import { formatEther, getAddress, isAddressEqual, parseEther, parseUnits, type Address, type Hash } from "viem";
import { claimStake } from "../src/chain/actions/claimStake.js";
import { readJob } from "../src/chain/actions/readJob.js";
import { stakeOnCheck } from "../src/chain/actions/stakeOnCheck.js";
import { connectGuild } from "../src/chain/connectGuild.js";
import { createGuildClient } from "../src/chain/createGuildClient.js";
import type { GuildReader } from "../src/chain/GuildClient.js";
import { readStake } from "../src/chain/reads/readStake.js";
import { ensureEmbeddedChain, PACKAGE_ROOT, type EmbeddedChain } from "../src/chain/embeddedChain.js";
import { followLogs } from "../src/chain/logs/followLogs.js";
import { createMemoryCursorStore } from "../src/chain/logs/memoryCursorStore.js";
import { guildPaths, loadConfig } from "../src/config/loadConfig.js";
import { jobEscrowAbi } from "../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../src/contracts/StakedEvaluator.js";
import { stakeToLead } from "../src/daemon/checkJob.js";
import type { DaemonFile } from "../src/daemon/startDaemon.js";
import { createLogger } from "../src/log/createLogger.js";
import { readJobTexts } from "../src/chain/reads/readJobTexts.js";
import { BUILTIN_SKILLS } from "../src/skills/builtinSkills.js";
import { FUNCTION_LIBRARY } from "../src/skills/functions/functionLibrary.js";
import { decodeJobSpec } from "../src/skills/jobSpec.js";
import { verifyDelivery } from "../src/skills/verifyDelivery.js";
import { createWallet } from "../src/wallet/createWallet.js";
import { fundFromDevAccount } from "../src/wallet/fundFromDevAccount.js";
import { getWalletAddress } from "../src/wallet/getWalletAddress.js";
import { loadAccount } from "../src/wallet/loadAccount.js";
import { describeError } from "../src/errors/describeError.js";

loadDotenv({ quiet: true });
// The demo's wallets are throwaway keys on a local chain: a fixed password and a cheap scrypt cost.
process.env.GUILD_KEYSTORE_PASSWORD ??= "guild-demo-password";
process.env.GUILD_KEYSTORE_SCRYPT_N ??= "4096";
const config = loadConfig(process.env);
const logger = createLogger({ level: "error" });
const started = Date.now();
const t = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s]`;
const say = (line: string) => process.stdout.write(`${t()} ${line}\n`);
const CHECK_WINDOW_DEFAULT = "18s";

const { values: cli } = parseArgs({ options: { scenario: { type: "string", default: "default" } }, strict: true });
if (cli.scenario !== "default" && cli.scenario !== "code") {
  process.stderr.write(`Unknown --scenario ${cli.scenario}: use "default" or "code".\n`);
  process.exit(2);
}
const CODE = cli.scenario === "code";
// A checker's first test run also starts its sandbox thread (seconds on a loaded machine): a longer window.
const CHECK_WINDOW = CODE ? "30s" : CHECK_WINDOW_DEFAULT;

type AgentSpec = { name: string; args: string[]; role: string };
const DEFAULT_AGENTS: AgentSpec[] = [
  { name: "alice", role: "client", args: ["--roles", "client"] },
  {
    name: "bob",
    role: "honest worker",
    args: ["--roles", "worker", "--skills", "word-count,summarize-extractive", "--price", "0.001"],
  },
  {
    name: "mallory",
    role: "worker who delivers wrong results",
    args: ["--roles", "worker", "--skills", "sort", "--price", "0.001", "--deliver-wrong"],
  },
  {
    name: "carol",
    role: "checker",
    args: ["--roles", "checker", "--skills", "word-count,sort,summarize-extractive", "--stake-percent", "25"],
  },
  {
    name: "dave",
    role: "checker",
    args: ["--roles", "checker", "--skills", "word-count,sort,summarize-extractive", "--stake-percent", "15"],
  },
];
/** `--scenario code`: both workers sell js-function; mallory's functions carry an edge-case bug. */
const CODE_AGENTS: AgentSpec[] = [
  { name: "alice", role: "client", args: ["--roles", "client"] },
  { name: "bob", role: "honest coder", args: ["--roles", "worker", "--skills", "js-function", "--price", "0.001"] },
  {
    name: "mallory",
    role: "coder who ships an edge-case bug",
    args: ["--roles", "worker", "--skills", "js-function", "--price", "0.001", "--deliver-wrong"],
  },
  {
    name: "carol",
    role: "checker",
    args: ["--roles", "checker", "--skills", "js-function", "--stake-percent", "25"],
  },
  { name: "dave", role: "checker", args: ["--roles", "checker", "--skills", "js-function", "--stake-percent", "15"] },
];
const AGENTS = CODE ? CODE_AGENTS : DEFAULT_AGENTS;
/**
 * The default scenario's sniper: a wallet, not a daemon. The demo stakes for her through the chain layer, as an
 * attacker's own script would: pass on mallory's wrong work, in the last seconds of the check window.
 */
const EVE = { name: "eve", role: "mallory's friend, who stakes pass on mallory's wrong work just before the close" };
/** Every wallet of the story: the daemons' and, in the default scenario, eve's. */
const WALLETS: { name: string; role: string }[] = CODE ? AGENTS : [...AGENTS, EVE];
/** The code scenario's job: isPrime(n), with the function library's test suite as its criteria. */
const IS_PRIME = requireFunction("isPrime");

function requireFunction(name: string): (typeof FUNCTION_LIBRARY)[number] {
  const found = FUNCTION_LIBRARY.find((f) => f.name === name);
  if (!found) throw new Error(`the function library has no ${name}`);
  return found;
}

const children = new Map<string, ChildProcess>();
let chain: EmbeddedChain | undefined;

async function main(): Promise<void> {
  say("Guild demo: five agents with wallets hire, pay and check each other through an on-chain escrow.");
  if (!config.openai.apiKey)
    say("No LLM in use (OPENAI_API_KEY is not set): the agents' deterministic offline planner decides.");
  if (CODE)
    say(
      "Scenario code: alice hires bob and mallory to write isPrime(n), each job carrying the test suite it must pass; checkers run the tests in a WebAssembly sandbox and stake on the result.",
    );

  // 1. The chain and the contracts.
  if (!config.rpcUrl) {
    chain = await ensureEmbeddedChain({
      host: config.chainHost,
      port: config.chainPort,
      logFile: join(config.home, "chain.log"),
      logger,
    });
    say(
      chain.started
        ? `Started the embedded Hardhat chain at ${chain.url}.`
        : `Using the chain already running at ${chain.url} (it stays running).`,
    );
  }
  const guild = await connectGuild({ config, logger, startEmbeddedChain: false });
  say(
    `Guild's contracts: escrow ${guild.addresses.escrow}, staked evaluator ${guild.addresses.evaluator}, registry ${guild.addresses.registry}.`,
  );

  // 2. Wallets, funded from the chain's dev accounts.
  const names = new Map<string, string>();
  const addressOf: Record<string, Address> = {};
  for (const agent of WALLETS) {
    let address: Address;
    try {
      address = await getWalletAddress({ home: config.home, name: agent.name });
    } catch {
      ({ address } = await createWallet({
        home: config.home,
        name: agent.name,
        password: config.keystorePassword ?? "guild-demo-password",
        scryptN: config.keystoreScryptN,
        logger,
      }));
    }
    addressOf[agent.name] = getAddress(address);
    names.set(getAddress(address), agent.name);
    await fundFromDevAccount({
      rpcUrl: guild.connection.url ?? `http://${config.chainHost}:${config.chainPort}`,
      address,
      nativeTarget: parseEther("10"),
      ...(guild.addresses.testToken
        ? { token: { address: guild.addresses.testToken, target: parseUnits("1000", 6) } }
        : {}),
      logger,
    });
  }
  const nameOf = (address: Address) => names.get(getAddress(address)) ?? `${address.slice(0, 8)}…`;
  say(
    `Wallets: ${WALLETS.map((a) => `${a.name} ${addressOf[a.name]?.slice(0, 10)}…`).join(", ")} (each topped up to 10 ETH).`,
  );
  const balancesBefore = await balances(guild.connection.publicClient, addressOf);

  // 3. Narrate every escrow and evaluator event from here on, from the chain.
  const head = await guild.connection.publicClient.getBlockNumber();
  const flows = new Map<string, { spent: bigint; earned: bigint; lines: string[] }>();
  const flow = (address: Address) => {
    const name = nameOf(address);
    let entry = flows.get(name);
    if (!entry) {
      entry = { spent: 0n, earned: 0n, lines: [] };
      flows.set(name, entry);
    }
    return entry;
  };
  const settledJobs = new Map<bigint, boolean>();
  const follower = followLogs(guild.connection.publicClient, {
    address: [guild.addresses.escrow, guild.addresses.evaluator],
    events: [...jobEscrowAbi, ...stakedEvaluatorAbi].filter((item) => item.type === "event"),
    store: createMemoryCursorStore(),
    fromBlock: head + 1n,
    pollingIntervalMs: 100,
    logger,
    onLogs: ({ logs }) => {
      for (const log of logs) narrate(log as never, log.transactionHash, log.blockNumber);
    },
  });
  const jobs = new Map<bigint, { client: Address; provider: Address }>();
  const nameOfProvider = (jobId: bigint) => {
    const job = jobs.get(jobId);
    return job ? nameOf(job.provider) : "someone";
  };
  /** The union of the narrated events' arguments; each event fills its own subset. */
  type Args = {
    jobId: bigint;
    client: Address;
    provider: Address;
    amount: bigint;
    content: string;
    staker: Address;
    pass: boolean;
    passed: boolean;
    passTotal: bigint;
    failTotal: bigint;
    stake: bigint;
    rejector: Address;
    reason: Hash;
    total: bigint;
    closesAt: bigint;
    flips: bigint;
  };
  /** Every narrated event, for the summary's story of eve's stake. */
  const history: { eventName: string; args: Args; tx: Hash; block: bigint }[] = [];
  /** Who staked in each transaction: a LeadChanged event names the side, its Staked event the staker. */
  const stakerOf = new Map<Hash, Address>();
  function narrate(log: { eventName: string; args: unknown }, tx: Hash, block: bigint): void {
    const a = log.args as Args;
    history.push({ eventName: log.eventName, args: a, tx, block });
    const eth = (amount: bigint) => `${formatEther(amount)} ETH`;
    const ref = ` [tx ${tx.slice(0, 12)}…]`;
    switch (log.eventName) {
      case "JobCreated":
        jobs.set(a.jobId, { client: a.client, provider: a.provider });
        break;
      case "JobFunded":
        flow(a.client).spent += a.amount;
        say(
          `${nameOf(a.client)} hired ${nameOf(jobs.get(a.jobId)?.provider ?? a.client)} for job ${a.jobId}: ${eth(a.amount)} escrowed${ref}`,
        );
        break;
      case "DeliverablePublished":
        say(
          `${nameOfProvider(a.jobId)} delivered job ${a.jobId}: ${JSON.stringify(CODE ? a.content.replace(/\s+/g, " ") : a.content)}${ref}`,
        );
        break;
      case "Staked": {
        flow(a.staker).spent += a.amount;
        stakerOf.set(tx, a.staker);
        const isBond = isAddressEqual(
          a.staker,
          jobs.get(a.jobId)?.provider ?? "0x0000000000000000000000000000000000000000",
        );
        say(
          `${nameOf(a.staker)} ${isBond ? "bonded" : "staked"} ${eth(a.amount)} on ${a.pass ? "pass" : "fail"} for job ${a.jobId}${isBond ? " (its own work)" : ""}${ref}`,
        );
        break;
      }
      case "LeadChanged": {
        const who = stakerOf.get(tx);
        const side = a.pass ? "pass" : "fail";
        say(
          `${who ? `${nameOf(who)}'s stake` : "A stake"} took the lead of job ${a.jobId} for ${side} (${side} ${eth(a.total)}, lead change ${a.flips}): the close is now at least a response period away, for the other side to answer${ref}`,
        );
        break;
      }
      case "CheckSettled":
        settledJobs.set(a.jobId, a.passed);
        say(
          `The check of job ${a.jobId} ${a.passed ? "PASSED" : "FAILED"}: pass ${eth(a.passTotal)} vs fail ${eth(a.failTotal)}${ref}`,
        );
        break;
      case "PaymentReleased":
        flow(a.provider).earned += a.amount;
        say(`${nameOf(a.provider)} was paid ${eth(a.amount)} for job ${a.jobId}${ref}`);
        break;
      case "Refunded":
        flow(a.client).earned += a.amount;
        say(`${nameOf(a.client)} was refunded ${eth(a.amount)} for job ${a.jobId}${ref}`);
        break;
      case "JobRejected":
        if (a.reason === "0x6465636c696e6564000000000000000000000000000000000000000000000000")
          say(`${nameOf(a.rejector)} declined job ${a.jobId}${ref}`);
        break;
      case "StakeClaimed": {
        flow(a.staker).earned += a.amount;
        const reward = a.amount - a.stake;
        say(
          a.amount === 0n
            ? `${nameOf(a.staker)} lost its ${eth(a.stake)} stake on job ${a.jobId}${ref}`
            : `${nameOf(a.staker)} claimed ${eth(a.amount)} on job ${a.jobId} (stake ${eth(a.stake)}${reward > 0n ? ` + reward ${eth(reward)}` : ""})${ref}`,
        );
        break;
      }
      default:
        break;
    }
  }

  // 4. The daemons, as real processes.
  const logDir = join(config.home, "logs");
  mkdirSync(logDir, { recursive: true });
  for (const agent of AGENTS) {
    const file = join(guildPaths(config.home).agent(agent.name), "daemon.json");
    rmSync(file, { force: true });
    const child = spawn(
      process.execPath,
      [join(PACKAGE_ROOT, "bin", "guild.js"), "start", "--name", agent.name, "--log-level", "info", ...agent.args],
      {
        env: {
          ...process.env,
          ...(chain ? { GUILD_CHAIN_HOST: config.chainHost, GUILD_CHAIN_PORT: String(config.chainPort) } : {}),
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const sink = createWriteStream(join(logDir, `${agent.name}.log`));
    child.stdout?.pipe(sink);
    child.stderr?.pipe(sink);
    children.set(agent.name, child);
  }
  const daemons: Record<string, DaemonFile> = {};
  await Promise.all(
    AGENTS.map(async (agent) => {
      daemons[agent.name] = await waitForDaemon(agent.name, 90_000);
    }),
  );
  say(`Daemons running: ${AGENTS.map((a) => `${a.name} (${a.role})`).join(", ")}. Logs in ${logDir}.`);

  // 5. alice delegates two tasks through her daemon's API; her agent's loop hires, waits and settles.
  const tasks = CODE
    ? ["bob", "mallory"].map(
        (who) =>
          `Hire ${who} to write isPrime(n): true when the integer n is a prime number. Budget 0.002 ETH, bond 50%, check window ${CHECK_WINDOW}. Let the check decide. That passes: ${IS_PRIME.tests}`,
      )
    : [
        `Hire an agent for word-count to count the words in: Agents with wallets hire each other and a staked check decides who gets paid. Budget 0.002 ETH, bond 50%, check window ${CHECK_WINDOW}. Let the check decide.`,
        `Hire an agent for sort to sort: 42 7 19 3 88 21. Budget 0.002 ETH, bond 50%, check window ${CHECK_WINDOW}. Let the check decide.`,
      ];
  const alice = daemons.alice;
  if (!alice) throw new Error("alice's daemon did not start");
  const taskIds: string[] = [];
  for (const task of tasks) {
    const { id } = (await api(alice, "POST", "/tasks", { task })) as { id: string };
    taskIds.push(id);
    say(`alice was asked: "${task.slice(0, 70)}…"`);
  }
  // eve's attempt runs beside alice's tasks: she stakes when mallory's check is in its last seconds.
  const sniping = CODE ? undefined : eveSnipes();
  const answers = await Promise.all(taskIds.map((id) => waitForTask(alice, id, 120_000)));
  const sniped = await sniping;

  // 6. Wait until every stake on both jobs is claimed (the daemons claim on their own).
  await waitFor(
    async () => {
      const open = await openStakes(guild, [...settledJobs.keys()], Object.values(addressOf));
      return settledJobs.size >= 2 && open === 0;
    },
    60_000,
    "every stake to be claimed",
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  await follower.stop();
  // The answers end with every transaction hash; the events above already showed them.
  for (const answer of answers) say(`alice's agent answered: ${answer.split(" Transactions:")[0]}`);
  if (CODE) {
    // What the checkers saw: the same criteria, run here on what each job delivered.
    for (const jobId of [...settledJobs.keys()].sort((x, y) => (x < y ? -1 : 1))) {
      const { description, content } = await readJobTexts(guild, { jobId });
      const spec = description === undefined ? undefined : decodeJobSpec(description);
      if (!spec || content === undefined) continue;
      const verdict = await verifyDelivery(spec, content, BUILTIN_SKILLS);
      say(`The tests of job ${jobId} on its delivery: ${verdict.verdict}: ${verdict.reason}`);
    }
  }

  /**
   * eve, mallory's friend, stakes pass on mallory's wrong work just before the close, from her own wallet through the
   * chain layer (no daemon: an attacker's script): what takes the lead (twice the fail side, and the flip floor). She
   * claims after settlement, which closes her position.
   */
  async function eveSnipes(): Promise<{ jobId: bigint; amount: bigint }> {
    const { account } = await loadAccount({ config, name: EVE.name });
    const eve = createGuildClient(guild, { account });
    const malloryAddress = addressOf.mallory;
    if (!malloryAddress) throw new Error("mallory has no wallet");
    let jobId: bigint | undefined;
    await waitFor(
      async () => {
        jobId ??= [...jobs].find(([, job]) => isAddressEqual(job.provider, malloryAddress))?.[0];
        if (jobId === undefined) return false;
        const job = await readJob(guild, { jobId });
        return job.status === "Submitted" && job.check?.leader === "fail";
      },
      60_000,
      "the checkers to take the lead of mallory's check",
    );
    if (jobId === undefined) throw new Error("mallory has no job");
    const closesAt = (await readJob(guild, { jobId })).check?.closesAt ?? 0n;
    say(
      `eve (mallory's friend) waits for the last seconds of job ${jobId}'s check window, to stake pass when a checker would have no time left to answer.`,
    );
    await waitFor(
      async () => {
        // The time the next block would carry: the chain's own clock, which can differ from this machine's.
        const pending = await guild.connection.publicClient.getBlock({ blockTag: "pending" });
        return pending.timestamp >= closesAt - 2n;
      },
      60_000,
      "the last seconds of the check window",
    );
    const check = (await readJob(guild, { jobId })).check;
    if (check?.leader !== "fail") throw new Error(`fail no longer leads job ${jobId}'s check`);
    const amount = stakeToLead(check, "pass", 0n);
    await stakeOnCheck(eve, { jobId, pass: true, amount });
    const settled = jobId;
    await waitFor(async () => settledJobs.has(settled), 60_000, `the check of job ${jobId} to settle`);
    await claimStake(eve, { jobId });
    return { jobId, amount };
  }

  // 7. Who spent and earned what.
  const balancesAfter = await balances(guild.connection.publicClient, addressOf);
  say("Spending summary (escrow and stakes from the chain's events; gas is the rest of each balance change):");
  // ETH with at most 8 decimals, for reading; the audit (`guild audit`) gives every wei.
  const eth = (wei: bigint) => {
    const [whole, fraction = ""] = formatEther(wei < 0n ? -wei : wei).split(".");
    const short = fraction.slice(0, 8).replace(/0+$/, "");
    return `${wei < 0n ? "-" : ""}${whole}${short ? `.${short}` : ""}`;
  };
  const table: string[][] = [["agent", "paid out (ETH)", "received", "gas", "net change"]];
  for (const agent of WALLETS) {
    const entry = flows.get(agent.name) ?? { spent: 0n, earned: 0n, lines: [] };
    const net = (balancesAfter[agent.name] ?? 0n) - (balancesBefore[agent.name] ?? 0n);
    const gas = entry.earned - entry.spent - net;
    table.push([agent.name, eth(entry.spent), eth(entry.earned), eth(gas), `${net >= 0n ? "+" : ""}${eth(net)}`]);
  }
  const widths = table.reduce<number[]>((max, row) => row.map((cell, i) => Math.max(max[i] ?? 0, cell.length)), []);
  for (const row of table)
    process.stdout.write(
      `         ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ")}\n`,
    );
  if (sniped) await tellEvesStory(sniped.jobId, balancesAfter, balancesBefore);
  const outcomes = [...settledJobs.values()];
  if (outcomes.length !== 2 || outcomes.filter(Boolean).length !== 1) {
    throw new Error(
      `expected bob's job to pass and mallory's to fail; got ${outcomes.map((p) => (p ? "pass" : "fail")).join(", ")}`,
    );
  }
  /** eve's attempt as the chain recorded it: her stake, the lead it took, the close it moved, the answer, the end. */
  async function tellEvesStory(
    jobId: bigint,
    after: Record<string, bigint>,
    before: Record<string, bigint>,
  ): Promise<void> {
    const eveAddress = addressOf[EVE.name];
    if (!eveAddress) throw new Error("eve has no wallet");
    const events = history.filter((event) => event.args.jobId === jobId);
    const at = async (block: bigint) =>
      (await guild.connection.publicClient.getBlock({ blockNumber: block })).timestamp;
    const stakeIndex = events.findIndex(
      (event) => event.eventName === "Staked" && isAddressEqual(event.args.staker, eveAddress),
    );
    const stake = events[stakeIndex];
    const took = events.find((event) => event.eventName === "LeadChanged" && event.tx === stake?.tx);
    const closeBefore = events
      .slice(0, Math.max(0, stakeIndex))
      .filter((event) => event.eventName === "LeadChanged")
      .at(-1)?.args.closesAt;
    const answer = events.slice(stakeIndex + 1).find((event) => event.eventName === "LeadChanged" && !event.args.pass);
    const answerStake = events.find((event) => event.eventName === "Staked" && event.tx === answer?.tx);
    const settled = events.find((event) => event.eventName === "CheckSettled");
    const refund = events.find((event) => event.eventName === "Refunded");
    const claim = events.find(
      (event) => event.eventName === "StakeClaimed" && isAddressEqual(event.args.staker, eveAddress),
    );
    if (!stake || !took || !answer || !answerStake || !settled || settled.args.passed || !claim) {
      throw new Error(`eve's stake on job ${jobId} did not end as the demo expects: see the events above`);
    }
    const eth = (wei: bigint) => `${formatEther(wei)} ETH`;
    const stakedAt = await at(stake.block);
    const answeredAt = await at(answer.block);
    const net = (after[EVE.name] ?? 0n) - (before[EVE.name] ?? 0n);
    say("eve's last-second stake, from the chain's events:");
    const lines = [
      `eve staked ${eth(stake.args.amount)} on pass for mallory's job ${jobId}${closeBefore === undefined ? "" : ` ${closeBefore - stakedAt} s before its close`}, and took the lead (pass ${eth(took.args.total)}; lead change ${took.args.flips}).`,
      `The contract moved the close to ${took.args.closesAt - stakedAt} s after her stake (LeadChanged): a stake that takes the lead always leaves the other side a response period to answer.`,
      `${nameOf(answerStake.args.staker)} answered ${answeredAt === stakedAt ? "within the second" : `${answeredAt - stakedAt} s later`}, ${took.args.closesAt - answeredAt} s before that close, with ${eth(answerStake.args.amount)} on fail and took the lead back (fail ${eth(answer.args.total)}; lead change ${answer.args.flips}).`,
      `The check FAILED at the close (pass ${eth(settled.args.passTotal)} vs fail ${eth(settled.args.failTotal)}): alice was refunded ${eth(refund?.args.amount ?? 0n)}; eve's claim paid ${eth(claim.args.amount)}, so she lost her ${eth(claim.args.stake)} stake to the checkers (her balance: ${formatEther(net).replace(/(\.\d{8})\d+$/, "$1")} ETH, gas included).`,
    ];
    for (const line of lines) process.stdout.write(`         ${line}\n`);
  }

  say(
    chain?.started
      ? "Done. The chain stops now; run `guild chain` first to keep it for `guild jobs`, `guild agents` and `guild audit alice`."
      : "Done. The chain is still running: try `npx guild jobs`, `npx guild agents`, `npx guild audit alice`.",
  );
  await guild.close();
}

async function waitForDaemon(name: string, timeoutMs: number): Promise<DaemonFile> {
  const file = join(guildPaths(config.home).agent(name), "daemon.json");
  let daemon: DaemonFile | undefined;
  await waitFor(
    async () => {
      const child = children.get(name);
      if (child?.exitCode !== null && child?.exitCode !== undefined) {
        throw new Error(
          `${name}'s daemon exited (code ${child.exitCode}); see ${join(config.home, "logs", `${name}.log`)}`,
        );
      }
      if (!existsSync(file)) return false;
      daemon = JSON.parse(readFileSync(file, "utf8")) as DaemonFile;
      const health = (await api(daemon, "GET", "/health").catch(() => undefined)) as { status?: string } | undefined;
      return health?.status === "ok";
    },
    timeoutMs,
    `${name}'s daemon to start`,
  );
  if (!daemon) throw new Error(`${name}'s daemon wrote no daemon.json`);
  return daemon;
}

async function waitForTask(daemon: DaemonFile, id: string, timeoutMs: number): Promise<string> {
  let answer = "";
  await waitFor(
    async () => {
      const task = (await api(daemon, "GET", `/tasks/${id}`)) as {
        status: string;
        result?: { answer?: string; error?: string };
      };
      if (task.status === "running") return false;
      answer = task.result?.answer ?? task.result?.error ?? task.status;
      if (task.status === "failed") throw new Error(`alice's task failed: ${answer}`);
      return true;
    },
    timeoutMs,
    "alice's task to finish",
  );
  return answer;
}

async function api(daemon: DaemonFile, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${daemon.apiUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${daemon.token}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: HTTP ${response.status}`);
  return response.json();
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function balances(
  client: { getBalance: (args: { address: Address }) => Promise<bigint> },
  addresses: Record<string, Address>,
) {
  const out: Record<string, bigint> = {};
  for (const [name, address] of Object.entries(addresses)) out[name] = await client.getBalance({ address });
  return out;
}

async function openStakes(reader: GuildReader, jobIds: bigint[], stakers: Address[]): Promise<number> {
  let open = 0;
  for (const jobId of jobIds) {
    for (const staker of stakers) if ((await readStake(reader, { jobId, staker })).amount > 0n) open++;
  }
  return open;
}

async function shutdown(): Promise<void> {
  await Promise.all(
    [...children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  if (chain?.started) await chain.stop();
}

let code = 0;
try {
  await main();
} catch (error) {
  code = 1;
  process.stderr.write(`${t()} demo failed: ${describeError(error)}\n`);
} finally {
  await shutdown();
  say(`Stopped ${children.size} daemons${chain?.started ? " and the chain" : ""}; exiting ${code}.`);
}
process.exit(code);
