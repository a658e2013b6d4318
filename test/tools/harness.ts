/*
 * Shared setup for the tool, guard and agent tests: a real node with Guild deployed, freshly generated and
 * funded agent accounts (so every test starts with an empty spending history), tool contexts with a real
 * spending guard, chain snapshots to prove that nothing was sent, and a provider that delivers in the
 * background with the chain actions a worker daemon would use.
 */
import { erc20Abi, parseEther, parseUnits, type Address, type Hash } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createAndFundJob } from "../../src/chain/actions/createAndFundJob.js";
import { deliverJob } from "../../src/chain/actions/deliverJob.js";
import { readJob } from "../../src/chain/actions/readJob.js";
import { sendPayment } from "../../src/chain/actions/sendPayment.js";
import { stakeOnCheck } from "../../src/chain/actions/stakeOnCheck.js";
import type { GuildClient } from "../../src/chain/GuildClient.js";
import { readJobTexts } from "../../src/chain/reads/readJobTexts.js";
import { writeContract } from "../../src/chain/tx/writeContract.js";
import type { GuildConfig } from "../../src/config/loadConfig.js";
import { guildTestTokenAbi } from "../../src/contracts/GuildTestToken.js";
import { jobEscrowAbi } from "../../src/contracts/JobEscrow.js";
import { stakedEvaluatorAbi } from "../../src/contracts/StakedEvaluator.js";
import type { Approver } from "../../src/guard/approvers.js";
import { denyAll } from "../../src/guard/approvers.js";
import { createSpendingGuard, type SpendingGuard } from "../../src/guard/createSpendingGuard.js";
import { memoryNativePaymentLedger, type NativePaymentLedger } from "../../src/guard/nativePaymentLedger.js";
import { loadSpendingPolicy } from "../../src/guard/SpendingPolicy.js";
import { createTaskContext } from "../../src/guard/TaskContext.js";
import { silentLogger } from "../../src/log/createLogger.js";
import { BUILTIN_SKILLS } from "../../src/skills/builtinSkills.js";
import { decodeJobSpec, type JobSpec } from "../../src/skills/jobSpec.js";
import type { ToolContext } from "../../src/tools/GuildTool.js";
import { DEV_KEYS, type GuildNode, type NodeKind, startGuildNode } from "../support/nodes.js";
import type { GuildOnChain } from "../support/testChain.js";

export type Harness = {
  node: GuildNode;
  guild: GuildOnChain;
  /** Every account newAgent made: the test operator's own wallets, its address book. */
  addressBook: Address[];
  /** Dev account 0 (the deployer), which funds the agents. */
  funder: GuildClient;
  token: Address;
  stop: () => Promise<void>;
};

/** A node of `kind` with Guild and the 6-decimal test token (gUSD) deployed (see startGuildNode). */
export async function startHarness(kind: NodeKind): Promise<Harness> {
  const node = await startGuildNode(kind);
  return {
    node,
    guild: node.guild,
    addressBook: [],
    funder: node.guild.clientFor(DEV_KEYS[0]),
    token: node.guild.addresses.testToken,
    stop: () => node.stop(),
  };
}

export type TestAgent = { key: `0x${string}`; address: Address; client: GuildClient };

/** A new random account with `eth` ETH and `gusd` gUSD, so its spending history starts empty. */
export async function newAgent(
  h: Harness,
  { eth = "10", gusd = "1000" }: { eth?: string; gusd?: string } = {},
): Promise<TestAgent> {
  const key = generatePrivateKey();
  const address = privateKeyToAccount(key).address;
  h.addressBook.push(address);
  if (eth !== "0") await sendPayment(h.funder, { to: address, amount: parseEther(eth) });
  if (gusd !== "0") {
    await writeContract(h.funder, {
      address: h.token,
      abi: guildTestTokenAbi,
      functionName: "mint",
      args: [address, parseUnits(gusd, 6)],
      contract: "GuildTestToken",
      label: "mint test tokens",
    });
  }
  return { key, address, client: h.guild.clientFor(key) };
}

/** Policy settings as GUILD_* variables would give them; approvals off unless asked for. */
export type PolicySettings = Partial<GuildConfig["spending"]>;

export const DEFAULT_TEST_POLICY: GuildConfig["spending"] = {
  maxPerTransaction: "0.05 ETH, 50 gUSD",
  maxPerPeriod: "0.5 ETH, 500 gUSD",
  periodHours: 24,
  allowlist: [],
  approvalAbove: "",
  maxPerTask: "0.05 ETH, 50 gUSD",
  maxOpenStakes: "0.5 ETH, 500 gUSD",
};

/** A real spending guard for `client`, with the policy parsed the way GUILD_* configuration is. */
export async function guardFor(
  h: Harness,
  client: GuildClient,
  { policy = {}, ledger = memoryNativePaymentLedger() }: { policy?: PolicySettings; ledger?: NativePaymentLedger } = {},
): Promise<SpendingGuard> {
  const logger = silentLogger();
  const parsed = await loadSpendingPolicy(h.guild.reader, { ...DEFAULT_TEST_POLICY, ...policy }, logger);
  return createSpendingGuard({
    reader: h.guild.reader,
    account: client.account.address,
    policy: parsed,
    ledger,
    logger,
  });
}

export type ContextOptions = {
  policy?: PolicySettings;
  approver?: Approver;
  ledger?: NativePaymentLedger;
  /**
   * The task's words, giving its budget and trusted payees; default none: no per-task budget (the caps
   * apply) and the harness's agents as the address book (the test operator's own wallets).
   */
  task?: string;
};

/** What the tools of `client`'s agent get: its client, a real guard, a task context, the built-in skills. */
export async function contextFor(h: Harness, client: GuildClient, options: ContextOptions = {}): Promise<ToolContext> {
  const guard = await guardFor(h, client, options);
  return {
    client,
    guard,
    task: createTaskContext({
      text: options.task ?? "",
      policy: guard.policy,
      approver: options.approver ?? denyAll,
      addressBook: h.addressBook,
      budget: options.task === undefined ? "caps-only" : "from-text",
    }),
    skills: BUILTIN_SKILLS,
    logger: silentLogger(),
    pollIntervalMs: 50,
  };
}

export type ChainState = { nonce: number; eth: bigint; gusd: bigint };

/** Nonce and balances of each address: equal before and after means nothing was sent and nothing moved. */
export async function chainState(h: Harness, addresses: Address[]): Promise<ChainState[]> {
  const client = h.guild.reader.connection.publicClient;
  return Promise.all(
    addresses.map(async (address) => ({
      nonce: await client.getTransactionCount({ address }),
      eth: await client.getBalance({ address }),
      gusd: await client.readContract({ address: h.token, abi: erc20Abi, functionName: "balanceOf", args: [address] }),
    })),
  );
}

export async function jobCount(h: Harness): Promise<bigint> {
  return h.guild.reader.connection.publicClient.readContract({
    address: h.guild.reader.addresses.escrow,
    abi: jobEscrowAbi,
    functionName: "jobCount",
  });
}

/** Gas paid for `hashes`, in wei, from their receipts. */
export async function gasPaid(h: Harness, hashes: readonly Hash[]): Promise<bigint> {
  const client = h.guild.reader.connection.publicClient;
  let total = 0n;
  for (const hash of hashes) {
    const receipt = await client.getTransactionReceipt({ hash });
    total += receipt.gasUsed * receipt.effectiveGasPrice;
  }
  return total;
}

/** Moves the node's clock forward and mines a block at the new time. */
export async function timeTravel(h: Harness, seconds: number): Promise<void> {
  await h.node.testClient.increaseTime({ seconds });
  await h.node.testClient.mine({ blocks: 1 });
}

/** The right answer for a job spec, computed with the built-in skill. */
export async function correctAnswer(spec: JobSpec): Promise<string> {
  const skill = BUILTIN_SKILLS.get(spec.skill);
  if (!skill) throw new Error(`no built-in skill ${spec.skill}`);
  return skill.run(spec.input);
}

export type ProviderLoop = {
  /** Jobs delivered so far, in order. */
  delivered: bigint[];
  /** Stops polling; rethrows the first error the loop met. */
  stop: () => Promise<void>;
};

export type ProviderLoopOptions = {
  /** What to deliver for a job; default the correct answer. */
  content?: (spec: JobSpec, jobId: bigint) => Promise<string> | string;
  /** Runs after each delivery (bond stakes, checkers' stakes, time travel). */
  afterDelivery?: (jobId: bigint) => Promise<void>;
  pollMs?: number;
};

/**
 * Plays a provider in the background, as a worker daemon would: it watches the escrow for new Funded jobs
 * whose provider is `provider` and delivers them with `deliverJob`.
 */
export async function startProvider(
  h: Harness,
  provider: GuildClient,
  options: ProviderLoopOptions = {},
): Promise<ProviderLoop> {
  const { content = correctAnswer, afterDelivery, pollMs = 25 } = options;
  const delivered: bigint[] = [];
  let stopped = false;
  let failure: unknown;
  // Jobs created from now on; read before returning, so a hire right after cannot be missed.
  let seen = await jobCount(h);
  const done = (async () => {
    while (!stopped) {
      const count = await jobCount(h);
      for (let jobId = seen + 1n; jobId <= count; jobId++) {
        const job = await readJob(provider, { jobId });
        if (job.status !== "Funded" || job.provider !== provider.account.address) continue;
        const { description } = await readJobTexts(provider, { jobId });
        const spec = description === undefined ? undefined : decodeJobSpec(description);
        if (!spec) continue;
        await deliverJob(provider, { jobId, content: await content(spec, jobId) });
        delivered.push(jobId);
        await afterDelivery?.(jobId);
      }
      seen = count;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  })().catch((error: unknown) => {
    failure = error;
  });
  return {
    delivered,
    stop: async () => {
      stopped = true;
      await done;
      if (failure) throw failure;
    },
  };
}

/** Stakes `amount` on `pass` for a job, as a checker or (on pass) as the provider's bond. */
export async function stake(client: GuildClient, jobId: bigint, pass: boolean, amount: bigint): Promise<Hash> {
  return (await stakeOnCheck(client, { jobId, pass, amount })).hash;
}

/** A checksummed address with the case of one letter flipped: fails EIP-55. */
export function breakChecksum(address: Address): string {
  const index = [...address].findIndex((char, i) => i > 1 && /[a-fA-F]/.test(char));
  const char = address[index]!;
  const flipped = char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase();
  return `${address.slice(0, index)}${flipped}${address.slice(index + 1)}`;
}

/** Runs `action` and checks that the nonces and balances of `addresses` did not change. */
export async function expectNothingSent<T>(h: Harness, addresses: Address[], action: () => Promise<T>): Promise<T> {
  const before = await chainState(h, addresses);
  const result = await action();
  const after = await chainState(h, addresses);
  if (JSON.stringify(after, bigintJson) !== JSON.stringify(before, bigintJson)) {
    throw new Error(`something was sent: ${JSON.stringify({ before, after }, bigintJson)}`);
  }
  return result;
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}

/**
 * A word-count job `client` created and `provider` delivered `content` for (default: the right count of
 * "a b"), judged by the staked check: a job anyone else may stake on.
 */
export async function deliveredJob(
  client: GuildClient,
  provider: GuildClient,
  {
    input = "a b",
    content = "2",
    budget = parseEther("0.01"),
    windowSeconds,
  }: { input?: string; content?: string; budget?: bigint; windowSeconds?: bigint } = {},
): Promise<bigint> {
  const { jobId } = await createAndFundJob(client, {
    provider: provider.account.address,
    budget,
    description: JSON.stringify({ v: 1, skill: "word-count", input }),
    check: windowSeconds === undefined ? {} : { windowSeconds },
  });
  await deliverJob(provider, { jobId, content });
  return jobId;
}

/** `staker`'s stake on a job's check: [amount, pass]. */
export async function stakeOf(h: Harness, jobId: bigint, staker: Address): Promise<readonly [bigint, boolean]> {
  return h.guild.reader.connection.publicClient.readContract({
    address: h.guild.reader.addresses.evaluator,
    abi: stakedEvaluatorAbi,
    functionName: "stakeOf",
    args: [jobId, staker],
  });
}
