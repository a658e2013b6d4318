/** What went wrong when talking to a node, as far as the sender needs to know. */
export type RpcErrorKind =
  | "nonce-too-low"
  | "already-known"
  | "underpriced"
  | "insufficient-funds"
  | "transient"
  | "fatal";

/**
 * Sorts an error from `eth_sendRawTransaction` (or any RPC call) by what the sender should do about it.
 * Node messages differ (geth, Hardhat/EDR, Anvil, Erigon, hosted RPCs), so this matches their wording.
 */
export function classifyRpcError(error: unknown): RpcErrorKind {
  const text = collectText(error).toLowerCase();
  if (/nonce too low|nonce has already been used|nonce is too low|oldnonce|invalid nonce.*lower/.test(text)) {
    return "nonce-too-low";
  }
  if (/already known|known transaction|alreadyknown|already imported|transaction already exists/.test(text)) {
    return "already-known";
  }
  if (
    /replacement transaction underpriced|underpriced|fee cap less than block base fee|max fee per gas less than block base fee/.test(
      text,
    )
  ) {
    return "underpriced";
  }
  if (/insufficient funds|sender doesn't have enough funds|insufficient balance for transfer/.test(text)) {
    return "insufficient-funds";
  }
  if (
    /fetch failed|econnrefused|econnreset|etimedout|enotfound|socket hang up|network|timed out|timeout|took too long|status: 5\d\d|status: 429|too many requests|rate limit|service unavailable|bad gateway|other side closed|und_err/.test(
      text,
    )
  ) {
    return "transient";
  }
  return "fatal";
}

function collectText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current && depth < 10; depth++) {
    const e = current as { name?: string; message?: string; details?: string; code?: unknown; status?: unknown };
    parts.push(`${e.name ?? ""} ${e.message ?? ""} ${e.details ?? ""} ${String(e.code ?? "")}`);
    if (typeof e.status === "number") parts.push(`status: ${e.status}`);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(" | ");
}
