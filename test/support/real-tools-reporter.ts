/**
 * A vitest reporter, next to the default one (vitest.config.ts), that prints one loud summary at
 * the end of the run: each real tool that was missing, its package, how many tests it held back,
 * and the one `apt-get install` line that brings them all. Blocks declare their tools with
 * describeWithTools/itWithTools (real-tools.ts), which mark skipped blocks with `meta.realTools`;
 * this reporter only counts those marks, so it runs in vitest's main process.
 *
 * It also ends with a plain `N passed, N failed, N skipped` line, which tools that read the
 * closing lines of a run understand whatever the test runner.
 */
import type { Reporter, TestCase, TestModule, TestSuite } from "vitest/node";
import {
  debianPackagesFor,
  REAL_TOOLS,
  type RealToolName,
  type RealToolsMeta,
  realToolsRequired,
} from "./real-tools.js";

function realToolsMark(test: TestCase): RealToolsMeta | undefined {
  let task: TestCase | TestSuite | TestModule = test;
  for (;;) {
    const mark = task.type === "module" ? undefined : task.meta().realTools;
    if (mark) return mark;
    if (task.type === "module") return undefined;
    task = task.parent;
  }
}

export interface MissingToolCount {
  readonly tool: RealToolName;
  /** Tests not run because this tool (maybe among others) was missing. */
  readonly tests: number;
}

export interface RealToolsSummary {
  readonly missing: readonly MissingToolCount[];
  /** Tests not run for want of a tool (each counted once). */
  readonly heldBack: number;
  readonly required: boolean;
}

/** Counts, per missing tool, the tests its absence held back. */
export function summarizeRealTools(tests: readonly TestCase[], required: boolean): RealToolsSummary {
  const perTool = new Map<RealToolName, number>();
  let heldBack = 0;
  for (const test of tests) {
    const mark = realToolsMark(test);
    if (!mark || test.result().state !== "skipped") continue;
    heldBack++;
    for (const tool of mark.missing) perTool.set(tool, (perTool.get(tool) ?? 0) + 1);
  }
  const order = Object.keys(REAL_TOOLS) as RealToolName[];
  const missing = [...perTool]
    .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
    .map(([tool, count]) => ({ tool, tests: count }));
  return { missing, heldBack, required };
}

/** The summary's text; empty when nothing was held back. */
export function formatRealToolsSummary(summary: RealToolsSummary): string {
  if (summary.missing.length === 0) return "";
  const bar = "━".repeat(78);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const verdict = summary.required
    ? "these tests FAILED: CI or HOMELAB_REQUIRE_REAL_TOOLS=1 requires every real tool"
    : "these tests were SKIPPED, not passed; CI (or HOMELAB_REQUIRE_REAL_TOOLS=1) fails instead";
  const lines = [
    bar,
    ` REAL TOOLS MISSING: ${plural(summary.missing.length, "tool")} held back ${plural(summary.heldBack, "test")}`,
    ` (${verdict})`,
    "",
  ];
  const width = Math.max(...summary.missing.map((entry) => entry.tool.length));
  for (const { tool, tests } of summary.missing) {
    const info: { debianPackage?: string; install?: string } = REAL_TOOLS[tool];
    const source = info.debianPackage ? `Debian package ${info.debianPackage}` : (info.install ?? "");
    lines.push(`   ${tool.padEnd(width)}  ${plural(tests, "test").padStart(9)}  ${source}`);
  }
  const packages = debianPackagesFor(summary.missing.map((entry) => entry.tool));
  lines.push("");
  if (packages.length > 0) {
    lines.push(" Install them all (Debian 12, as root):");
    lines.push(`   apt-get install -y --no-install-recommends ${packages.join(" ")}`);
  }
  const others = summary.missing.filter(
    (entry) => !(REAL_TOOLS[entry.tool] as { debianPackage?: string }).debianPackage,
  );
  if (others.length > 0)
    lines.push(` Not from Debian: ${others.map((entry) => entry.tool).join(", ")} (see above).`);
  lines.push(" Which suites need which package: docs/testing.md", bar);
  return `${lines.join("\n")}\n`;
}

export default class RealToolsReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const tests = testModules.flatMap((module) => [...module.children.allTests()]);
    const summary = summarizeRealTools(tests, realToolsRequired());
    const text = formatRealToolsSummary(summary);
    if (text !== "") process.stdout.write(`\n${text}`);
    const count = (state: string) => tests.filter((test) => test.result().state === state).length;
    process.stdout.write(
      `\nvitest: ${count("passed")} passed, ${count("failed")} failed, ${count("skipped")} skipped\n`,
    );
  }
}
