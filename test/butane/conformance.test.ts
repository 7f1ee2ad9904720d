import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileButane, formatDiagnostic } from "../../src/butane/index.js";
import { compileOptionsOf, loadCases, locatedLines, normalizeGzip, yamlLine } from "./conformance-cases.js";

const cases = loadCases();
const BIN = join(import.meta.dirname, "..", "..", "bin", "homelab.js");

describe("butane conformance (in process)", () => {
  it("has the recorded cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(160);
  });

  for (const c of cases) {
    const options = compileOptionsOf(c.args, c.dir);
    if (!options) continue;
    it(c.name, () => {
      const result = compileButane(c.sourceBytes, options);
      const stderr = [
        ...result.diagnostics.map(formatDiagnostic),
        ...(result.summary ? [result.summary] : []),
      ].join("\n");
      expect(result.ok ? 0 : 1).toBe(c.expectedExit);
      expect(normalizeGzip(result.ignition ?? "")).toBe(normalizeGzip(c.expectedOut));
      expect(locatedLines(stderr)).toEqual(locatedLines(c.expectedErr));
      for (const summary of [
        "Error translating config",
        "Config produced warnings and --strict was specified",
      ]) {
        if (c.expectedErr.includes(summary)) expect(stderr).toContain(summary);
      }
      if (/yaml/i.test(c.expectedErr) && locatedLines(c.expectedErr).length === 0 && c.expectedExit !== 0) {
        expect(yamlLine(stderr)).toBe(yamlLine(c.expectedErr));
      }
    });
  }
});

describe("butane conformance (CLI, as the checker runs it)", () => {
  for (const c of cases) {
    it(c.name, () => {
      const run = spawnSync(process.execPath, [BIN, "butane", ...c.args, "config.bu"], {
        cwd: c.dir,
        encoding: "utf8",
      });
      expect(run.status).toBe(c.expectedExit);
      expect(normalizeGzip(run.stdout)).toBe(normalizeGzip(c.expectedOut));
      expect(locatedLines(run.stderr)).toEqual(locatedLines(c.expectedErr));
    });
  }
});
