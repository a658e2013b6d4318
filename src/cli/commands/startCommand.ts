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
