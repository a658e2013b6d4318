import type { DaemonState } from "./daemonState.js";

/**
 * The daemon's metrics in Prometheus text format: jobs by role and state, work items by status, stakes,
 * wei (base units) spent and earned per token and kind, and RPC errors.
 */
export function renderMetrics(
  state: DaemonState,
  me: string,
  extra: { rpcErrors: number; uptimeSeconds: number },
): string {
  const lines: string[] = [];
  const metric = (
    name: string,
    help: string,
    type: "gauge" | "counter",
    samples: [Record<string, string>, number | bigint][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels)
        .map(([key, v]) => `${key}="${v.replace(/["\\\n]/g, "_")}"`)
        .join(",");
      lines.push(`${name}${text ? `{${text}}` : ""} ${value.toString()}`);
    }
  };
  const jobs = new Map<string, number>();
  for (const job of state.myJobs(me as `0x${string}`, 1_000_000)) {
    const role =
      job.client.toLowerCase() === me.toLowerCase()
        ? "client"
        : job.provider.toLowerCase() === me.toLowerCase()
          ? "provider"
          : "checker";
    const key = `${role}|${job.status}`;
    jobs.set(key, (jobs.get(key) ?? 0) + 1);
  }
  metric(
    "guild_jobs",
    "Jobs this agent is a party to, by its role and the job's state.",
    "gauge",
    [...jobs].map(([key, n]) => {
      const [role = "", state_ = ""] = key.split("|");
      return [{ role, state: state_ }, n];
    }),
  );
  metric(
    "guild_work_items",
    "Items of the daemon's work queue by status.",
    "gauge",
    Object.entries(state.itemCounts()).map(([status, n]) => [{ status }, n]),
  );
  const totals = state.ledgerTotals();
  metric("guild_stakes_placed_total", "Stakes this agent placed (bonds included).", "counter", [
    [{}, state.stakeCount()],
  ]);
  metric(
    "guild_spent_base_units_total",
    "Base units (wei for ETH) this agent paid out, by token and kind (hire, stake).",
    "counter",
    totals.filter((t) => t.direction === "out").map((t) => [{ token: t.token, kind: t.kind }, t.amount]),
  );
  metric(
    "guild_earned_base_units_total",
    "Base units this agent received, by token and kind (payout, refund, claim).",
    "counter",
    totals.filter((t) => t.direction === "in").map((t) => [{ token: t.token, kind: t.kind }, t.amount]),
  );
  metric("guild_rpc_errors_total", "Failed requests to the chain node since the daemon started.", "counter", [
    [{}, extra.rpcErrors],
  ]);
  metric("guild_uptime_seconds", "Seconds since the daemon started.", "gauge", [[{}, Math.round(extra.uptimeSeconds)]]);
  return `${lines.join("\n")}\n`;
}
