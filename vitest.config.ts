import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Real tools (ignition, libvirtd, terraform) are slower than unit code.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A worker that does not finish its teardown (a stand-in server left running) is not waited
    // for forever: the run ends and reports it.
    teardownTimeout: 30_000,
    pool: "forks",
    // The default reporter, then one summary of the real tools that were missing and what they
    // held back (test/support/real-tools-reporter.ts; docs/testing.md).
    reporters: ["default", "./test/support/real-tools-reporter.ts"],
    benchmark: {
      include: ["bench/**/*.bench.ts"],
    },
  },
});
