import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { zeroAddress } from "viem";
import { expect, it } from "vitest";
import { createCliContext, runCommand } from "../../../src/cli/cliContext.js";
import { auditCommand, type AuditOptions } from "../../../src/cli/commands/auditCommand.js";
import { EXIT } from "../../../src/cli/exitCodes.js";
import { CSV_COLUMNS, renderCsv } from "../../../src/audit/render/csv.js";
import { renderHtml } from "../../../src/audit/render/html.js";
import { AUDIT_JSON_SCHEMA, renderJson, type AuditJson } from "../../../src/audit/render/json.js";
import { renderTable } from "../../../src/audit/render/table.js";
import { PACKAGE_ROOT } from "../../../src/chain/embeddedChain.js";
import { silentLogger } from "../../../src/log/createLogger.js";
import type { ScenarioContext } from "./auditScenario.js";

/** Where Debian's `chromium` package puts the browser; CI installs it (.ci/run). */
const CHROMIUM = "/usr/bin/chromium";

function sink(isTTY = false) {
  let text = "";
  return { write: (chunk: string) => (text += chunk), isTTY, text: () => text };
}

/** Checks of the report's renderings and of `guild audit` itself, on the scenario's history. */
export function renderChecks(context: () => ScenarioContext): void {
  it("writes the documented JSON schema, whose flows add up to the balances", () => {
    const { clean } = context();
    const data = JSON.parse(renderJson(clean)) as AuditJson;
    expect(data.schema).toBe(AUDIT_JSON_SCHEMA);
    expect(data.reconciled).toBe(true);
    expect(data.agent.address).toBe(clean.agent.address);
    for (const token of data.tokens) {
      expect(typeof token.opening).toBe("string");
      const net = (data.flows ?? [])
        .filter((flow) => flow.token === token.token)
        .reduce((sum, flow) => sum + (flow.direction === "in" ? BigInt(flow.amount) : -BigInt(flow.amount)), 0n);
      expect(BigInt(token.closing) - BigInt(token.opening)).toBe(net);
    }
    const job = data.jobs.find((row) => row.jobId === context().history.jobs.chain[0].toString());
    expect(job?.children).toEqual([context().history.jobs.chain[1].toString()]);
    expect(data.flows?.every((flow) => typeof flow.timestamp === "number")).toBe(true);
  });

  it("writes the ledger as CSV, one row per flow", () => {
    const { clean } = context();
    const lines = renderCsv(clean).trimEnd().split("\r\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines.length - 1).toBe(clean.flows?.length);
    const gas = lines
      .slice(1)
      .map((line) => line.split(","))
      .filter((cells) => cells[8] === "gas")
      .reduce((sum, cells) => sum + BigInt(cells[9] as string), 0n);
    expect(gas).toBe(clean.tokens.find((token) => token.token === zeroAddress)?.gas);
  });

  it("prints a terminal table with the verdict, and the unexplained block when there is one", () => {
    const { clean, history } = context();
    const table = renderTable(clean);
    expect(table).toContain("RECONCILED: for every token");
    expect(table).toMatch(/gUSD/);
    expect(table).toContain(`#${history.jobs.chain[0]}`);
    expect(table).toMatch(new RegExp(`\\n {4}#${history.jobs.chain[1]} `));
  });

  it("runs as guild audit: exit codes, agent by registered name, files, progress on stderr", async () => {
    const { guild, history } = context();
    const audit = (agent: string, options: AuditOptions, { json = false } = {}) => {
      const stdout = sink();
      const stderr = sink();
      const ctx = createCliContext({ json }, { stdout, stderr, config: guild.config, logger: silentLogger() });
      const code = runCommand(ctx, (ctx) => auditCommand(ctx, agent, options, { reader: guild.reader }));
      return { code, stdout, stderr };
    };
    const ok = audit("alice", { toBlock: history.beforeCheat.toString() });
    expect(await ok.code).toBe(EXIT.ok);
    expect(ok.stdout.text()).toContain("Audit of alice");
    expect(ok.stdout.text()).toContain("RECONCILED");

    const file = join(mkdtempSync(join(tmpdir(), "guild-audit-")), "alice.json");
    const unexplained = audit(history.alice.account.address, { out: file }, { json: true });
    expect(await unexplained.code).toBe(EXIT.rejected);
    const data = JSON.parse(readFileSync(file, "utf8")) as AuditJson;
    expect(data.tokens[0]?.reconciliation.unexplained[0]?.block).toBe(history.cheatBlock.toString());
    expect(unexplained.stderr.text()).toContain("NOT reconciled");

    expect(await audit("alice", { html: "" }).code).toBe(EXIT.usage);
    const unknown = audit("nobody", {});
    expect(await unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr.text()).toMatch(/^error: /);
    expect(await audit("alice", { fromBlock: "x" }).code).toBe(EXIT.usage);
  });

  it("renders a self-contained HTML report that Chromium draws offline", async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is missing at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium); .ci/run does it.`,
      );
    }
    const { clean } = context();
    const html = renderHtml(clean);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    const dir = mkdtempSync(join(tmpdir(), "guild-audit-html-"));
    const file = join(dir, "report.html");
    writeFileSync(file, html);
    const url = pathToFileURL(file).href;

    // A fresh profile per run: nothing cached, nothing synced.
    const browser = await chromium.launchPersistentContext(join(dir, "profile"), {
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 1500 },
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const requests: string[] = [];
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(message.text());
      });
      page.on("pageerror", (error) => errors.push(error.message));
      page.on("request", (request) => requests.push(request.url()));
      await page.goto(url, { waitUntil: "load" });
      await page.waitForFunction(
        () => (globalThis as unknown as { __auditChartsReady?: number }).__auditChartsReady === 3,
        undefined,
        { timeout: 10_000 },
      );
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      // Runs in the page: typed by hand (the project compiles without the DOM library).
      type Canvas = {
        width: number;
        height: number;
        getContext: (
          kind: "2d",
        ) => { getImageData: (x: number, y: number, w: number, h: number) => { data: ArrayLike<number> } } | null;
      };
      const drawn = await page.evaluate(() => {
        const page = globalThis as unknown as {
          Chart: { instances: Record<string, unknown> };
          document: { querySelectorAll: (selector: string) => Iterable<Canvas> };
        };
        const chart = page.Chart;
        const canvases = [...page.document.querySelectorAll("canvas")].map((canvas) => {
          const context2d = canvas.getContext("2d");
          if (!context2d || canvas.width === 0 || canvas.height === 0) return 0;
          const pixels = context2d.getImageData(0, 0, canvas.width, canvas.height).data;
          let painted = 0;
          for (let index = 3; index < pixels.length; index += 4) if ((pixels[index] as number) > 0) painted++;
          return painted;
        });
        return { instances: Object.keys(chart.instances).length, canvases };
      });
      expect(drawn.instances).toBe(3);
      for (const painted of drawn.canvases) expect(painted).toBeGreaterThan(500);
      expect(await page.textContent("#verdict")).toContain("Reconciled.");
      expect(await page.locator("#job-tree li").count()).toBeGreaterThan(10);
      // Every run leaves its screenshot in reports/ (CI keeps it); the README's copy in docs/ is written when
      // missing or asked for (GUILD_UPDATE_DOCS=1), so running the tests does not dirty the working tree.
      const reports = join(PACKAGE_ROOT, "reports");
      mkdirSync(reports, { recursive: true });
      const shot = await page.screenshot({ path: join(reports, "audit-report.png"), fullPage: true });
      expect(shot.length).toBeGreaterThan(10_000);
      const docsCopy = join(PACKAGE_ROOT, "docs", "audit-report.png");
      if (!existsSync(docsCopy) || process.env.GUILD_UPDATE_DOCS === "1") {
        mkdirSync(join(PACKAGE_ROOT, "docs"), { recursive: true });
        writeFileSync(docsCopy, shot);
      }
    } finally {
      await browser.close();
    }
  });
}
