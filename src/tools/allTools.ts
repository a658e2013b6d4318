import type { GuildTool } from "./GuildTool.js";
import { approveDeliveryTool } from "./approveDeliveryTool.js";
import { claimRewardsTool } from "./claimRewardsTool.js";
import { findAgentsTool } from "./findAgentsTool.js";
import { getBalanceTool } from "./getBalanceTool.js";
import { getJobTool } from "./getJobTool.js";
import { hireAgentTool } from "./hireAgentTool.js";
import { payTool } from "./payTool.js";
import { registerSelfTool } from "./registerSelfTool.js";
import { settleJobTool } from "./settleJobTool.js";
import { spendingReportTool } from "./spendingReportTool.js";
import { stakeOnCheckTool } from "./stakeOnCheckTool.js";
import { verifyDeliveryTool } from "./verifyDeliveryTool.js";
import { waitForDeliveryTool } from "./waitForDeliveryTool.js";

/**
 * Every tool an agent's loop can use. Each declares whether it moves value (`moves`); those that do go
 * through the spending guard, and test/tools/allTools.test.ts checks every entry here on a real chain.
 */
export const ALL_TOOLS: readonly GuildTool[] = [
  getBalanceTool,
  payTool,
  findAgentsTool,
  hireAgentTool,
  getJobTool,
  waitForDeliveryTool,
  verifyDeliveryTool,
  approveDeliveryTool,
  stakeOnCheckTool,
  settleJobTool,
  claimRewardsTool,
  registerSelfTool,
  spendingReportTool,
];
