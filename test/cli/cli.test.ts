import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getAddress } from "viem";
import { freePort } from "../support/nodes.js";
import { type GuildRun, runGuild } from "../support/runGuild.js";
import { guildEnv, startDaemonProcess, startTestGuild, type TestGuild } from "../daemon/support.js";

// The `guild` command line as scripts use it: a child process, its exit code, stdout (the result; JSON with
// --json) and stderr (progress and errors).

const guild = runGuild;
type Run = GuildRun;

/** Runs `tasks` at most `limit` at a time (each `guild` is a Node process that compiles TypeScript). */
async function pooled<T>(tasks: (() => Promise<T>)[], limit = 4): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

/** Command names listed under "Commands:" in a help text (without `help`). */
function listedCommands(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1]?.split(/^\S/m)[0] ?? "";
  return [...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((match) => match[1]!).filter((name) => name !== "help");
}

describe("guild without a chain", () => {
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "guild-cli-test-"));
    // Nothing listens on this port: no chain answers.
    env = guildEnv({ GUILD_HOME: home, GUILD_CHAIN_PORT: String(await freePort()) });
  });

  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("--help of guild and of every command and subcommand shows examples", async () => {
    const root = await guild(["--help"], env);
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/^Examples:\n {2}\$ guild /m);
    const commands = listedCommands(root.stdout);
    expect(commands).toEqual(
      expect.arrayContaining([
        "chain",
        "deploy",
        "start",
        "hire",
        "ask",
        "jobs",
        "job",
        "agents",
        "wallet",
        "withdraw",
      ]),
    );
    const wallet = await guild(["wallet", "--help"], env);
    const subcommands = listedCommands(wallet.stdout);
    expect(subcommands).toEqual(expect.arrayContaining(["new", "import", "list", "address", "fund"]));

    const paths = [...commands.map((name) => [name]), ...subcommands.map((name) => ["wallet", name])];
    const helps = await pooled(paths.map((path) => () => guild([...path, "--help"], env)));
    for (const [i, path] of paths.entries()) {
      const help = helps[i]!;
      expect({ path, code: help.code }).toEqual({ path, code: 0 });
      expect(help.stdout).toContain(`Usage: guild ${path.join(" ")}`);
      expect({
        path,
        example: new RegExp(`^Examples?:\\n {2}\\$ .*guild ${path.join(" ")}\\b`, "m").test(help.stdout),
      }).toEqual({ path, example: true });
    }
  });

  it("exit 3 when no chain answers a read command, with the error on stderr (JSON with --json)", async () => {
    const [jobs, jobsJson, agents, job] = (await pooled([
      () => guild(["jobs"], env),
      () => guild(["--json", "jobs"], env),
      () => guild(["agents"], env),
      () => guild(["job", "1"], env),
    ])) as [Run, Run, Run, Run];
    for (const run of [jobs, jobsJson, agents, job]) {
      expect(run.code).toBe(3);
      expect(run.stdout).toBe("");
    }
    expect(jobs.stderr).toMatch(/^error: .*did not answer/m);
    const parsed = JSON.parse(jobsJson.stderr) as { error: { name: string; exitCode: number; message: string } };
    expect(parsed.error).toMatchObject({ name: "RpcUnavailableError", exitCode: 3 });
  });

  it("exit 2 for bad input and bad usage, before any chain is asked", async () => {
    const hire = ["hire", "--as", "alice", "--skill", "word-count", "--input", "a b c"];
    const cases: [string, string[]][] = [
      ["job id that is not a number", ["job", "abc"]],
      ["job id 0", ["job", "0"]],
      ["limit that is not a number", ["jobs", "--limit", "many"]],
      ["budget with an exponent", [...hire, "--budget", "1e18"]],
      ["negative budget", [...hire, "--budget", "-1"]],
      ["check window that is not a duration", [...hire, "--budget", "0.002", "--window", "soon"]],
      ["provider that is not an address", [...hire, "--budget", "0.002", "--provider", "bob"]],
      ["missing required options", ["hire", "--as", "alice"]],
      ["unknown command", ["frobnicate"]],
    ];
    const runs = await pooled(
      cases.map(
        ([, args]) =>
          () =>
            guild(args, env),
      ),
    );
    for (const [i, [what]] of cases.entries()) {
      expect({ what, code: runs[i]!.code }).toEqual({ what, code: 2 });
      expect(runs[i]!.stderr).toMatch(/error/i);
    }
    expect(runs[3]!.stderr).toContain('Invalid budget: "1e18" is not a decimal number');
  });

  it("wallet new, list and address: exit 0 and JSON that parses", async () => {
    const created = await guild(["--json", "wallet", "new", "zoe"], env);
    expect(created.code).toBe(0);
    const wallet = JSON.parse(created.stdout) as { name: string; address: string };
    expect(wallet.name).toBe("zoe");
    const [list, address, human] = (await pooled([
      () => guild(["--json", "wallet", "list"], env),
      () => guild(["--json", "wallet", "address", "zoe"], env),
      () => guild(["wallet", "address", "zoe"], env),
    ])) as [Run, Run, Run];
    expect([list.code, address.code, human.code]).toEqual([0, 0, 0]);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: "zoe", address: wallet.address })]);
    expect(JSON.parse(address.stdout)).toMatchObject({ address: wallet.address });
    expect(human.stdout.trim()).toBe(wallet.address);
  });
});

describe("guild against a Hardhat node with worker and checker daemons", () => {
  let g: TestGuild;

  beforeAll(async () => {
    g = await startTestGuild({ wallets: ["alice", "erin", "bob", "mallory", "carol", "dave"] });
    await Promise.all([
      startDaemonProcess(g, "bob", ["--roles", "worker", "--skills", "word-count", "--price", "0.001"]),
      startDaemonProcess(g, "mallory", [
        "--roles",
        "worker",
        "--skills",
        "sort",
        "--price",
        "0.001",
        "--deliver-wrong",
      ]),
      startDaemonProcess(g, "carol", ["--roles", "checker", "--skills", "word-count,sort", "--stake-percent", "25"]),
      startDaemonProcess(g, "dave", ["--roles", "checker", "--skills", "word-count,sort", "--stake-percent", "15"]),
    ]);
  }, 180_000);

  afterAll(async () => {
    await g?.stop();
  });

  let paidJob: string;
  let rejectedJob: string;

  it("guild hire: progress on stderr, exit 0 when the check pays the worker and 4 when it rejects the work", async () => {
    const hire = (as: string, skill: string, input: string, provider: string, json: boolean) =>
      guild(
        [
          ...(json ? ["--json"] : []),
          "hire",
          "--as",
          as,
          "--skill",
          skill,
          "--input",
          input,
          "--budget",
          "0.002",
          "--provider",
          g.address(provider),
          "--window",
          "8s",
        ],
        g.env(),
      );
    const [paid, rejected] = await Promise.all([
      hire("alice", "word-count", "the quick brown fox", "bob", false),
      hire("erin", "sort", "5 3 9 1", "mallory", true),
    ]);

    expect({ code: paid.code, stderr: paid.stderr }).toMatchObject({ code: 0 });
    expect(paid.stdout).toMatch(/^Outcome: the check passed; the provider was paid\.$/m);
    // One progress line per step, each naming its transactions, and word while waiting on the chain.
    const progress = paid.stderr.split("\n").filter(Boolean);
    expect(progress.some((line) => /^✓ Hired bob .* as job \d+.*\[tx 0x[0-9a-f]{64}/.test(line))).toBe(true);
    expect(progress.some((line) => /^waiting for job \d+ to be delivered/.test(line))).toBe(true);
    expect(progress.some((line) => /^✓ .*delivered/i.test(line))).toBe(true);
    expect(progress.some((line) => /^waiting for the check window of job \d+ to close/.test(line))).toBe(true);
    expect(progress.some((line) => /^✓ .*paid/i.test(line))).toBe(true);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    paidJob = /as job (\d+)/.exec(paid.stderr)![1]!;

    expect({ code: rejected.code, stderr: rejected.stderr }).toMatchObject({ code: 4 });
    // With --json, stdout is one JSON document and stderr carries no progress.
    const result = JSON.parse(rejected.stdout) as {
      outcome: string;
      steps: { tool: string; result: { ok: boolean; data?: { jobId?: string } } }[];
    };
    expect(result.outcome).toBe("the check rejected the work; the client was refunded");
    expect(result.steps.map((step) => step.tool)).toEqual(["hire_agent", "wait_for_delivery", "settle_job"]);
    expect(rejected.stderr).toBe("");
    rejectedJob = result.steps[0]!.result.data!.jobId!;
  });

  it("jobs, job and agents: exit 0, human text by default and JSON that parses with --json", async () => {
    const env = g.env();
    const [jobsJson, jobJson, rejectedJson, agentsJson, jobsHuman, jobHuman, agentsHuman] = (await pooled([
      () => guild(["--json", "jobs"], env),
      () => guild(["--json", "job", paidJob], env),
      () => guild(["--json", "job", rejectedJob], env),
      () => guild(["--json", "agents"], env),
      () => guild(["jobs"], env),
      () => guild(["job", paidJob], env),
      () => guild(["agents"], env),
    ])) as [Run, Run, Run, Run, Run, Run, Run];
    for (const run of [jobsJson, jobJson, rejectedJson, agentsJson, jobsHuman, jobHuman, agentsHuman])
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });

    const jobs = JSON.parse(jobsJson.stdout) as {
      jobId: string;
      status: string;
      skill: string;
      client: string;
      provider: string;
      budget: string;
      token: string;
    }[];
    const byId = new Map(jobs.map((job) => [String(job.jobId), job]));
    expect(byId.get(paidJob)).toMatchObject({
      status: "Completed",
      skill: "word-count",
      budget: "0.002",
      token: "ETH",
    });
    expect(getAddress(byId.get(paidJob)!.provider)).toBe(g.address("bob"));
    expect(byId.get(rejectedJob)).toMatchObject({ status: "Rejected", skill: "sort" });
    expect(getAddress(byId.get(rejectedJob)!.client)).toBe(g.address("erin"));

    const job = JSON.parse(jobJson.stdout) as {
      status: string;
      content: string;
      stakes: { event: string; staker: string; amount: string }[];
    };
    expect(job.status).toBe("Completed");
    expect(job.content).toBe("4");
    expect(
      job.stakes
        .filter((stake) => stake.event === "Staked")
        .map((stake) => getAddress(stake.staker))
        .sort(),
    ).toEqual([g.address("bob"), g.address("carol"), g.address("dave")].sort());
    expect((JSON.parse(rejectedJson.stdout) as { status: string }).status).toBe("Rejected");

    const agents = JSON.parse(agentsJson.stdout) as {
      name: string;
      address: string;
      skills: string[];
      price: string;
      token: string;
    }[];
    expect(agents.map((agent) => agent.name).sort()).toEqual(["bob", "mallory"]);
    expect(agents.find((agent) => agent.name === "bob")).toMatchObject({
      address: g.address("bob"),
      skills: ["word-count"],
      price: "0.001",
      token: "ETH",
    });

    expect(jobsHuman.stdout).toMatch(new RegExp(`^\\s*${paidJob}\\s+Completed\\s+word-count`, "m"));
    expect(jobHuman.stdout).toMatch(new RegExp(`^Job ${paidJob}: Completed$`, "m"));
    expect(agentsHuman.stdout).toMatch(/^\s*bob\s+0x/m);
  });
});
