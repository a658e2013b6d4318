import { createRequire } from "node:module";
import hardhatViem from "@nomicfoundation/hardhat-viem";
import { defineConfig } from "hardhat/config";

// Offline build: solc-js from the `solc` npm package instead of a download.
const require = createRequire(import.meta.url);
const solcJsPath = require.resolve("solc/soljson.js");
const solcVersion: string = require("solc/package.json").version;

export default defineConfig({
  plugins: [hardhatViem],
  solidity: {
    version: solcVersion,
    path: solcJsPath,
    settings: {
      // solc 0.8.37 defaults to osaka; prague runs on every local node we support.
      evmVersion: "prague",
      optimizer: { enabled: true, runs: 10_000 },
      viaIR: true,
    },
  },
  networks: {
    // In-process network used by tests and scripts.
    default: { type: "edr-simulated", chainType: "l1", hardfork: "prague" },
    // The embedded chain (`hardhat node`). Blocks may share a timestamp, so that chain time keeps to the
    // wall clock under bursts of transactions (otherwise each block adds a second, and check windows
    // measured in chain seconds close early in real time).
    node: { type: "edr-simulated", chainType: "l1", hardfork: "prague", allowBlocksWithSameTimestamp: true },
  },
});
