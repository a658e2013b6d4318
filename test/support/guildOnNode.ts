/*
 * Kept for test/audit/support (moved by the lead): new tests call startGuildNode (./nodes.ts), which starts the
 * node and deploys Guild in one step with the same deployment code.
 */
import type { Logger } from "../../src/log/createLogger.js";
import { nodeClients } from "./nodes.js";
import { deployGuildOn, type GuildOnChain } from "./testChain.js";

/** @deprecated Use `GuildOnChain` from ./testChain.ts. */
export type GuildOnNode = GuildOnChain;

/** @deprecated Use `startGuildNode` from ./nodes.ts. Deploys Guild on the running node at `url`. */
export async function setupGuildOnNode(url: string, logger?: Logger): Promise<GuildOnNode> {
  return deployGuildOn({ url, ...(await nodeClients(url)) }, logger ? { logger } : {});
}
