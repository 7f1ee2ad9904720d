import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Real tools (ignition, libvirtd, terraform) are slower than unit code.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    benchmark: {
      include: ["bench/**/*.bench.ts"],
    },
  },
});
