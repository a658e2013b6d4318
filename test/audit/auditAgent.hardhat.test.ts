import { describeAuditScenario } from "./support/auditScenario.js";
import { renderChecks } from "./support/renderChecks.js";

// The renderings and the command run on the same history; the HTML report is drawn in Chromium.
describeAuditScenario("hardhat", renderChecks);
