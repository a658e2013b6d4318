import type { Address } from "viem";
import { parseAddress } from "../../chain/parseAddress.js";
import { parseDuration } from "../../chain/parseDuration.js";
import type { AcceptancePolicy } from "../../daemon/acceptTerms.js";
import { startDaemon, type DaemonOptions } from "../../daemon/startDaemon.js";
import type { DaemonRole } from "../../daemon/ingestEvents.js";
import { InvalidInputError } from "../../errors/input.js";
import { promptPassword } from "../../wallet/promptPassword.js";
import type { CliContext } from "../cliContext.js";
import { EXIT } from "../exitCodes.js";
import { parsePercent } from "../parsePercent.js";

const ROLES: DaemonRole[] = ["worker", "checker", "client"];

export type StartOptions = {
  name: string;
  skills?: string;
  roles?: string;
  price?: string;
  token?: string;
  apiPort?: string;
  stakePercent?: string;
  maxStakePercent?: string;
  maxOpenStakes?: string;
  deliverWrong?: boolean;
} & AcceptanceOptions;

/** The acceptance flags as typed (src/daemon/acceptTerms.ts); the chain's defaults apply to those not given. */
export type AcceptanceOptions = {
  acceptEvaluators?: string;
  acceptArbiters?: string;
  denyArbiters?: string;
  maxBondPercent?: string;
  maxMinStakePercent?: string;
  minWindow?: string;
  minResponsePeriod?: string;
  maxFlips?: string;
  maxCheckTime?: string;
  minSettleMargin?: string;
  minTimeToDeadline?: string;
};

/**
 * `guild start --name bob --skills word-count,sort --roles worker,checker [--price 0.001]`: runs an agent
 * daemon until SIGINT or SIGTERM, then drains and exits 0. Logs go to stderr as JSON lines.
 */
export async function startCommand(
  ctx: CliContext,
  options: StartOptions,
  {
    signal,
    beforeAction,
  }: {
    signal: AbortSignal;
    /** Tests only: awaited before each action that sends a transaction (test/daemon/fixtures/guildWithPauses.ts). */
    beforeAction?: (action: string) => Promise<void>;
  },
): Promise<number> {
  const roles = (options.roles ?? "worker,checker,client")
    .split(",")
    .map((role) => role.trim())
    .filter(Boolean);
  for (const role of roles) {
    if (!ROLES.includes(role as DaemonRole)) {
      throw new InvalidInputError("roles", `"${role}" is not a role`, `Use some of ${ROLES.join(", ")}.`);
    }
  }
  const skills = (options.skills ?? "")
    .split(",")
    .map((skill) => skill.trim())
    .filter(Boolean);
  if (roles.includes("worker") && skills.length === 0) {
    throw new InvalidInputError(
      "skills",
      "a worker needs at least one skill",
      "Pass --skills word-count,sort (see `guild start --help`).",
    );
  }
  const apiPort = Number(options.apiPort ?? "0");
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65_535) {
    throw new InvalidInputError(
      "api-port",
      `"${options.apiPort}" is not a port`,
      "Give a number from 0 (any free port) to 65535.",
    );
  }
  const maxStakePercent = parsePercent(options.maxStakePercent, "max-stake-percent", {
    min: 0,
    minExclusive: true,
    max: 5_000,
    example: 1000,
  });
  const stakePercent = parsePercent(options.stakePercent, "stake-percent", {
    min: 0,
    minExclusive: true,
    max: 100,
    example: 20,
  });
  const daemonOptions: DaemonOptions = {
    name: options.name,
    skills,
    roles: roles as DaemonRole[],
    price: options.price ?? "0.001",
    apiPort,
    ...(options.token ? { token: options.token } : {}),
    ...(stakePercent === undefined ? {} : { stakePercent }),
    ...(maxStakePercent === undefined ? {} : { maxStakePercent }),
    ...(options.maxOpenStakes === undefined ? {} : { maxOpenStakes: options.maxOpenStakes }),
    ...(options.deliverWrong ? { deliverWrong: true } : {}),
    acceptance: parseAcceptance(options),
  };
  const daemon = await startDaemon({
    config: ctx.config,
    logger: ctx.logger,
    options: daemonOptions,
    ...(process.stdin.isTTY ? { promptPassword } : {}),
    ...(beforeAction ? { beforeAction } : {}),
  });
  ctx.progress(
    `${daemon.name} (${daemon.address}) is running; control API at ${daemon.api.url} (token in ${ctx.config.home}/agents/${daemon.name}/daemon.json). Ctrl-C stops it.`,
  );
  signal.addEventListener("abort", () => void daemon.stop(), { once: true });
  await daemon.done;
  return EXIT.ok;
}

/**
 * The acceptance flags as a partial policy: only the flags given, each checked (addresses, percentages, durations
 * in seconds unless a unit is written). Throws an InvalidInputError naming the flag.
 *
 * @example
 * parseAcceptance({ maxBondPercent: "25", minSettleMargin: "2h" }); // { maxBondBps: 2500n, minSettleMarginSeconds: 7200n }
 */
export function parseAcceptance(options: AcceptanceOptions): Partial<AcceptancePolicy> {
  const policy: Partial<AcceptancePolicy> = {};
  const addresses = (text: string, field: string): Address[] =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean)
      .map((item) => parseAddress(item, field));
  const bps = (text: string | undefined, field: string, example: number) => {
    const value = parsePercent(text, field, { min: 0, max: 100, example });
    return value === undefined ? undefined : BigInt(Math.round(value * 100));
  };
  const duration = (text: string | undefined, field: string) =>
    text === undefined ? undefined : BigInt(parseDuration(text, field, "s"));

  if (options.acceptEvaluators !== undefined)
    policy.evaluators = addresses(options.acceptEvaluators, "accept-evaluators");
  if (options.acceptArbiters !== undefined) {
    policy.arbiters =
      options.acceptArbiters.trim().toLowerCase() === "any"
        ? "any"
        : addresses(options.acceptArbiters, "accept-arbiters");
  }
  if (options.denyArbiters !== undefined) policy.deniedArbiters = addresses(options.denyArbiters, "deny-arbiters");
  const maxBondBps = bps(options.maxBondPercent, "max-bond-percent", 50);
  if (maxBondBps !== undefined) policy.maxBondBps = maxBondBps;
  const maxMinStakeBps = bps(options.maxMinStakePercent, "max-min-stake-percent", 20);
  if (maxMinStakeBps !== undefined) policy.maxMinStakeBps = maxMinStakeBps;
  if (options.maxFlips !== undefined) {
    const flips = Number(options.maxFlips);
    if (!Number.isInteger(flips) || flips < 2 || flips > 15) {
      throw new InvalidInputError(
        "max-flips",
        `"${options.maxFlips}" is not a whole number from 2 to 15`,
        "Give a number such as 6.",
      );
    }
    policy.maxFlips = BigInt(flips);
  }
  const times = [
    ["minWindowSeconds", options.minWindow, "min-window"],
    ["minResponsePeriodSeconds", options.minResponsePeriod, "min-response-period"],
    ["maxCheckSeconds", options.maxCheckTime, "max-check-time"],
    ["minSettleMarginSeconds", options.minSettleMargin, "min-settle-margin"],
    ["minTimeToDeadlineSeconds", options.minTimeToDeadline, "min-time-to-deadline"],
  ] as const;
  for (const [term, text, field] of times) {
    const seconds = duration(text, field);
    if (seconds !== undefined) policy[term] = seconds;
  }
  return policy;
}
