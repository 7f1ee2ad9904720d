import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { itWithTools, toolPath } from "../../test/support/real-tools.js";
import { CHANGED_SECRET_MASK, maskedLines, SECRET_MASK, type SecretRange } from "./mask.js";
import { unifiedDiff, unifiedDiffText } from "./text-diff.js";

/**
 * Unified diffs checked against GNU diffutils and GNU patch (Debian `diffutils`, `patch`): the
 * patch homelab prints must apply to the old text and give exactly the new one, and for a plain
 * edit it must be the patch `diff -u` prints.
 */

const lines = (text: string, ranges: SecretRange[] = []) => maskedLines(text, ranges);
const patchOf = (before: string, after: string) =>
  unifiedDiff({ before: "a/file", after: "b/file" }, lines(before), lines(after));

function applyWithGnuPatch(before: string, patch: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ignition-diff-patch-"));
  writeFileSync(join(dir, "file"), before);
  writeFileSync(join(dir, "change.patch"), patch);
  const run = spawnSync(
    toolPath("patch"),
    ["--quiet", "--batch", "--no-backup-if-mismatch", "-F0", "file", "change.patch"],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  expect(run.status, `${run.stdout}${run.stderr}\n${patch}`).toBe(0);
  return readFileSync(join(dir, "file"), "utf8");
}

function gnuDiff(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), "ignition-diff-diff-"));
  writeFileSync(join(dir, "before"), before);
  writeFileSync(join(dir, "after"), after);
  const run = spawnSync(
    toolPath("diff"),
    ["-u", "--label", "a/file", "--label", "b/file", "before", "after"],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  return run.stdout;
}

describe("unified diffs", () => {
  it("equal texts have no diff", () => {
    expect(patchOf("a\nb\n", "a\nb\n")).toBeUndefined();
    expect(patchOf("", "")).toBeUndefined();
  });

  const edits: [string, string, string][] = [
    ["one changed line in the middle", "1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n"],
    [
      "two changes far apart: two hunks",
      "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
      "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n",
    ],
    ["two changes six lines apart: one hunk", "1\n2\n3\n4\n5\n6\n7\n8\n", "one\n2\n3\n4\n5\n6\n7\neight\n"],
    ["added at the end", "1\n2\n", "1\n2\n3\n"],
    ["removed at the start", "1\n2\n3\n", "2\n3\n"],
    ["a new file", "", "1\n2\n"],
    ["an emptied file", "1\n2\n", ""],
    ["no final newline", "1\n2", "1\n3"],
    ["final newline added", "1\n2", "1\n2\n"],
  ];

  for (const [name, before, after] of edits) {
    itWithTools(["diff", "patch"], `${name}: the same patch as diff -u, and GNU patch applies it`, () => {
      const diff = patchOf(before, after);
      expect(diff).toBeDefined();
      const patch = `${unifiedDiffText(diff!).join("\n")}\n`;
      expect(patch).toBe(gnuDiff(before, after));
      expect(applyWithGnuPatch(before, patch)).toBe(after);
    });
  }

  itWithTools(
    ["patch"],
    "any edit: GNU patch turns the old text into the new one with homelab's patch",
    () => {
      const line = fc.constantFrom("a", "b", "c", "server: x", "", "  indented", "[Service]");
      const text = fc
        .array(line, { maxLength: 30 })
        .map((items) => items.map((item) => `${item}\n`).join(""));
      fc.assert(
        fc.property(text, text, (before, after) => {
          const diff = patchOf(before, after);
          if (before === after) {
            expect(diff).toBeUndefined();
            return;
          }
          expect(applyWithGnuPatch(before, `${unifiedDiffText(diff!).join("\n")}\n`)).toBe(after);
        }),
        { numRuns: 60 },
      );
    },
  );

  it("counts a masked multi-line secret once in the shown lines but by its real lines in hunk headers", () => {
    const before = "a\n-----BEGIN KEY\nXXXX\nYYYY\n-----END\nz\n";
    const after = "a\n-----BEGIN KEY\nXXXX\nZZZZ\n-----END\nz\n";
    const secretOf = (text: string): SecretRange[] => [
      { start: text.indexOf("XXXX"), end: text.indexOf("\n-----END") },
    ];
    const diff = unifiedDiff(
      { before: "a/k", after: "b/k" },
      lines(before, secretOf(before)),
      lines(after, secretOf(after)),
    );
    expect(unifiedDiffText(diff!)).toEqual([
      "--- a/k",
      "+++ b/k",
      "@@ -1,6 +1,6 @@",
      " a",
      " -----BEGIN KEY",
      `-${SECRET_MASK}`,
      `+${CHANGED_SECRET_MASK}`,
      " -----END",
      " z",
    ]);
  });
});
