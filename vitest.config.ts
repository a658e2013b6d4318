import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // 2-core machines: in-process chains are CPU-bound, so keep workers few.
    maxWorkers: 2,
    // CI counts results from the JSON report (.ci/run prints "N passed, N failed").
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" },
  },
});
