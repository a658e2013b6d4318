#!/usr/bin/env node
// Guild's command line. It runs the TypeScript sources directly through tsx: no build step.
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  process.stderr.write(
    `guild needs Node.js 22.13 or later; this is ${process.version}.\n` +
      "Run it with `npx guild ...` or an npm script: they use the Node 22 this project installs.\n",
  );
  process.exit(2);
}
// node:sqlite (agent state) is stable enough for us; its one-line ExperimentalWarning would only confuse.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (warning.name === "ExperimentalWarning" && /SQLite/.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli/main.ts");
