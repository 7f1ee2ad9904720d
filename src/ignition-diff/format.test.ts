import { describe, expect, it } from "vitest";
import { config, dataSource, decoded as decodedView, file, render } from "../../test/ignition-diff/build.js";
import { diffIgnition } from "./compare.js";
import { formatIgnitionDiff } from "./format.js";
import { toJson } from "./json.js";
import { summarizeIgnitionDiff } from "./summary.js";

const lines = (n: number, prefix = "line") =>
  Array.from({ length: n }, (_, i) => `${prefix} ${i + 1}\n`).join("");

describe("formatIgnitionDiff", () => {
  it("one summary line per category, then the entries: added, changed, removed", () => {
    const { text } = render(
      config({
        storage: { files: [file("/etc/old", "x\n"), file("/etc/mode", "m\n", { mode: 0o644 })] },
        systemd: { units: [{ name: "a.service", enabled: true }] },
      }),
      config({
        storage: {
          files: [file("/etc/new", "n\n", { mode: 0o600 }), file("/etc/mode", "m\n", { mode: 0o600 })],
        },
        systemd: { units: [{ name: "a.service", enabled: false }] },
        kernelArguments: { shouldNotExist: ["flatcar.autologin"] },
      }),
    );
    expect(text).toBe(
      [
        "files: 1 added, 1 changed, 1 removed",
        "  + /etc/new (mode 0600)",
        "      +n",
        "  ~ /etc/mode",
        "      mode: 0644 → 0600",
        "  - /etc/old",
        "units: 1 changed",
        "  ~ a.service",
        "      enabled: true → false",
        "kernel arguments: 1 added",
        "  + flatcar.autologin (should not exist)",
      ].join("\n"),
    );
  });

  it("cuts long diffs per file after maxLinesPerFile, and long lines at width", () => {
    const before = config({ storage: { files: [file("/etc/long", lines(100))] } });
    const after = config({ storage: { files: [file("/etc/long", lines(100, "changed"))] } });
    const diff = diffIgnition(decodedView(before), decodedView(after));
    const text = formatIgnitionDiff(diff, { maxLinesPerFile: 10, width: 18, indent: 2 });
    const shown = text.split("\n");
    expect(shown).toContain("        … 191 mor…");
    expect(shown.every((line) => [...line].length <= 18)).toBe(true);
    expect(shown.some((line) => line.endsWith("…"))).toBe(true);
    expect(shown.every((line) => line.startsWith("  "))).toBe(true);
  });

  it("colours with ANSI only when asked", () => {
    const before = config({ storage: { files: [file("/etc/a", "1\n")] } });
    const after = config({ storage: { files: [file("/etc/a", "2\n")] } });
    const { text, colored } = render(before, after);
    expect(text).not.toContain("\u001b[");
    expect(colored).toContain("\u001b[31m      -1\u001b[0m");
    expect(colored).toContain("\u001b[32m      +2\u001b[0m");
    expect(colored).toContain("\u001b[36m      @@ -1 +1 @@\u001b[0m");
  });

  it("shows control characters from file contents as escapes, never raw", () => {
    const { text } = render(
      config({}),
      config({ storage: { files: [file("/etc/evil", "a\u001b[2Jb\u202ec\r\n")] } }),
    );
    expect(text).toContain("+a\\u{1b}[2Jb\\u{202e}c\\u{d}");
    for (const raw of ["\u001b", "\u202e", "\r"]) expect(text).not.toContain(raw);
  });

  it("a byte order mark added is a change, shown as an escape", () => {
    const { text } = render(
      config({ storage: { files: [file("/etc/bom", "a\n")] } }),
      config({ storage: { files: [file("/etc/bom", "\ufeffa\n")] } }),
    );
    expect(text).toContain("+\\u{feff}a");
  });

  it("binary contents as sizes and hashes, texts that lose their final newline marked", () => {
    const { text, json } = render(
      config({
        storage: { files: [file("/opt/blob", new Uint8Array([0, 1, 2])), file("/etc/t", "a\nb\n")] },
      }),
      config({
        storage: { files: [file("/opt/blob", new Uint8Array([0, 1, 2, 3])), file("/etc/t", "a\nb")] },
      }),
    );
    expect(text).toMatch(/contents: binary, 3 bytes → 4 bytes, sha256 [0-9a-f]{12}… → [0-9a-f]{12}…/);
    expect(text).toContain("\\ No newline at end of file");
    const blob = JSON.parse(json).categories.files.changed.find(
      (entry: { key: string }) => entry.key === "/opt/blob",
    );
    expect(blob.contents[0]).toMatchObject({
      kind: "binary",
      before: { bytes: 3 },
      after: { bytes: 4 },
    });
  });

  it("drop-ins and append fragments added to an existing entry get their own heading", () => {
    const { text } = render(
      config({
        storage: { files: [file("/etc/x", "x\n")] },
        systemd: { units: [{ name: "k3s.service", contents: "[Service]\n" }] },
      }),
      config({
        storage: { files: [file("/etc/x", "x\n", { append: [dataSource("more\n")] })] },
        systemd: {
          units: [
            {
              name: "k3s.service",
              contents: "[Service]\n",
              dropins: [{ name: "10-a.conf", contents: "[Service]\nNice=1\n" }],
            },
          ],
        },
      }),
    );
    expect(text).toBe(
      [
        "files: 1 changed",
        "  ~ /etc/x",
        "      append 1 added:",
        "        +more",
        "units: 1 changed",
        "  ~ k3s.service",
        "      drop-in 10-a.conf added:",
        "        +[Service]",
        "        +Nice=1",
      ].join("\n"),
    );
  });

  it("names the merged config an entry comes from", () => {
    const snippet = config({ storage: { files: [file("/etc/snippet", "s\n", { mode: 0o644 })] } });
    const { text } = render(
      config({}),
      config({ ignition: { config: { merge: [dataSource(JSON.stringify(snippet))] } } }),
    );
    expect(text).toContain("  + /etc/snippet (mode 0644, from merged config 1)");
  });

  it("an empty diff says so", () => {
    expect(render(config({}), config({})).text).toBe("no Ignition change");
  });
});

describe("summarizeIgnitionDiff", () => {
  it("names files by base name, or by path when two share one, and counts past six", () => {
    const files = ["/etc/a/x.conf", "/etc/b/x.conf", "/etc/c", "/etc/d", "/etc/e", "/etc/f", "/etc/g"];
    const { summary } = render(
      config({}),
      config({ storage: { files: files.map((path) => file(path, "1\n")) } }),
    );
    expect(summary).toBe(
      "/etc/a/x.conf added, /etc/b/x.conf added, c added, d added, e added and 2 more changes",
    );
  });

  it("the Ignition spec version", () => {
    expect(render(config({}, "3.3.0"), config({}, "3.4.0")).summary).toBe("Ignition spec 3.3.0 → 3.4.0");
  });
});

describe("toJson", () => {
  it("every category present, unset sides null, unified diffs as text, no Maps or undefined", () => {
    const before = config({ storage: { files: [file("/etc/a", "1\n2\n")] } });
    const after = config({ storage: { files: [file("/etc/a", "1\n3\n", { mode: 0o600 })] } });
    const json = toJson(diffIgnition(decodedView(before), decodedView(after)));
    expect(Object.keys(json.categories)).toEqual([
      "files",
      "directories",
      "links",
      "units",
      "users",
      "groups",
      "kernelArguments",
      "storage",
      "configs",
      "settings",
    ]);
    expect(json.summary).toBe(summarizeIgnitionDiff(diffIgnition(decodedView(before), decodedView(after))));
    expect(json.categories.files.changed[0]).toEqual({
      key: "/etc/a",
      origin: "main",
      fields: [{ field: "mode", before: null, after: "0600", secret: false }],
      lists: [],
      contents: [
        {
          kind: "text",
          label: "contents",
          status: "changed",
          linesAdded: 1,
          linesRemoved: 1,
          secretChanged: false,
          changedKeys: null,
          unifiedDiff: "--- a/etc/a\n+++ b/etc/a\n@@ -1,2 +1,2 @@\n 1\n-2\n+3",
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
