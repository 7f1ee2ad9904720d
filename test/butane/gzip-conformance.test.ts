import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileButane } from "../../src/butane/index.js";
import { CASES_DIR, compileOptionsOf, GZIP_CASES_DIR, loadCases } from "./conformance-cases.js";

/**
 * The stricter rule of the recorded gzip cases: stdout byte for byte, gzip payloads included
 * (the check-butane.mjs --exact-gzip comparison). The ordinary cases pass it too.
 */
const gzipCases = loadCases(GZIP_CASES_DIR);
const BIN = join(import.meta.dirname, "..", "..", "bin", "homelab.js");

describe("butane gzip conformance, byte for byte (in process)", () => {
  it("has the recorded gzip cases", () => {
    expect(gzipCases.length).toBeGreaterThanOrEqual(28);
  });

  for (const c of [...gzipCases, ...loadCases(CASES_DIR)]) {
    // Cases about the command line itself (usage errors, -o, --input) only run through the CLI.
    const options = compileOptionsOf(c.args, c.dir);
    if (!options) continue;
    it(c.name, () => {
      const result = compileButane(c.sourceBytes, options);
      expect(result.ok ? 0 : 1).toBe(c.expectedExit);
      expect(result.ignition ?? "").toBe(c.expectedOut);
    });
  }
});

describe("butane gzip conformance, byte for byte (CLI)", () => {
  for (const c of gzipCases) {
    it(c.name, () => {
      const run = spawnSync(process.execPath, [BIN, "butane", ...c.args, "config.bu"], {
        cwd: c.dir,
        encoding: "utf8",
      });
      expect(run.status).toBe(c.expectedExit);
      expect(run.stdout).toBe(c.expectedOut);
      expect(run.stderr).toBe(c.expectedErr);
    });
  }
});
