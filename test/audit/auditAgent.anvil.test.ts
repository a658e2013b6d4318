import { describeAuditScenario } from "./support/auditScenario.js";

describeAuditScenario("anvil");
