import { gunzipSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { compileButane } from "../butane/index.js";
import { HomelabError } from "../errors/index.js";
import { renderTemplate, type TemplateValue } from "./template.js";

/** No lone surrogates: only well-formed Unicode can be UTF-8 (String#isWellFormed is ES2024). */
function isWellFormed(text: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/**
 * Values must never break the YAML: whatever a string holds (quotes, colons, `#`, newlines,
 * YAML indicators, text that looks like a number, a marker), it comes out of the rendered
 * Butane as the same string — checked with the `yaml` library and, end to end, through
 * homelab's Butane compiler into Ignition and back out of the data URL.
 */

const TEMPLATE = `# test template
variant: flatcar
version: 1.0.0
passwd:
  users:
    - name: core
      ssh_authorized_keys: "{{ keys }}"
storage:
  files:
    - path: /etc/value
      mode: 0644
      contents:
        inline: "{{ value }}"
    - "{{ ...more }}"
`;

const NASTY = [
  "",
  " ",
  '"',
  "'",
  "a: b",
  "key: value # comment",
  "# only a comment",
  "- item",
  "? complex",
  "{ flow: map }",
  "[1, 2]",
  "0644",
  "0o644",
  "0x1F",
  "1e3",
  "yes",
  "no",
  "on",
  "null",
  "~",
  "true",
  "*alias",
  "&anchor value",
  "!!binary aGk=",
  "%YAML 1.2",
  "---",
  "...",
  "@at",
  "`tick`",
  "  leading spaces",
  "trailing spaces  ",
  "tab\there",
  "line one\nline two",
  "\nstarts with a newline",
  "ends with two newlines\n\n",
  "  indented first line\nsecond",
  "windows\r\nline ends",
  "lone\rcarriage",
  "unicode: héllo wörld ✓ 🐧",
  "line\u2028separator",
  "next\u0085line",
  "\ufeffbyte order mark",
  "nul\u0000byte",
  "del\u007fbyte",
  "c1\u0080\u009fcontrols",
  "inner\ufeffbyte order mark",
  "non\ufffecharacters\uffff",
  "multi\nline\u007f\nwith del",
  "multi\nline\u2028\nwith a line separator",
  "multi\nline\ufeff\nwith a byte order mark",
  "bell\u0007",
  "{{ keys }}",
  "{{ ...more }}",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${…} is the point of this case
  "$(rm -rf /) `reboot` ${HOME}",
  "EOF\n\"\"\"\n'''",
  "a\\nb (backslash n)",
];

function decodeDataUrl(source: string, compression: string | undefined): string {
  const comma = source.indexOf(",");
  const meta = source.slice(5, comma);
  const data = source.slice(comma + 1);
  const bytes = meta.endsWith(";base64")
    ? Buffer.from(data, "base64")
    : Buffer.from(decodeURIComponent(data), "utf8");
  return (compression === "gzip" ? gunzipSync(bytes) : bytes).toString("utf8");
}

/**
 * What libyaml (go-yaml, so the real Butane) accepts as is: its printable set, where LF is the
 * only line break (NEL, LS and PS would end a line too, and fold inside quotes).
 */
const LIBYAML_PRINTABLE_LF_ONLY =
  /^[\t\n\u0020-\u007e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\u{10000}-\u{10ffff}]*$/u;

function render(value: string, more: TemplateValue = [], keys: TemplateValue = []): string {
  return renderTemplate(TEMPLATE, { value, more, keys });
}

/** Compiles with the real compiler (strict) and returns what /etc/value would contain. */
function compiledValue(butane: string): string {
  const result = compileButane(butane, { strict: true });
  if (!result.ok || !result.ignition)
    throw new Error(`does not compile: ${JSON.stringify(result.diagnostics)}`);
  const config = JSON.parse(result.ignition) as {
    storage: { files: { path: string; contents: { source: string; compression?: string } }[] };
  };
  const file = config.storage.files.find((f) => f.path === "/etc/value");
  if (!file) throw new Error("no /etc/value in the output");
  return decodeDataUrl(file.contents.source, file.contents.compression);
}

/** Strings a file or key can hold: well-formed Unicode (Ignition and YAML are UTF-8). */
const anyText = fc.string({ unit: "binary", maxLength: 80 }).filter(isWellFormed);
const multiLine = fc.array(anyText, { maxLength: 6 }).map((lines) => lines.join("\n"));

describe("renderTemplate", () => {
  it.each(NASTY.map((s) => [JSON.stringify(s), s]))("keeps %s a string, byte for byte", (_name, value) => {
    const butane = render(value);
    expect(butane).toMatch(LIBYAML_PRINTABLE_LF_ONLY);
    expect(parse(butane, { version: "1.1" }).storage.files[0].contents.inline).toBe(value);
    expect(compiledValue(butane)).toBe(value);
  });

  it("keeps arbitrary text intact (yaml library and Butane compiler)", () => {
    fc.assert(
      fc.property(fc.oneof(anyText, multiLine), (value) => {
        const butane = render(value);
        expect(butane).toMatch(LIBYAML_PRINTABLE_LF_ONLY);
        expect(parse(butane, { version: "1.1" }).storage.files[0].contents.inline).toBe(value);
        expect(compiledValue(butane)).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it("keeps lists of arbitrary strings and spread items intact", () => {
    fc.assert(
      fc.property(fc.array(anyText, { maxLength: 5 }), multiLine, (keys, contents) => {
        const more = [{ path: "/etc/more", mode: 0o600, contents: { inline: contents } }];
        const butane = render("x", more, keys);
        const parsed = parse(butane, { version: "1.1" });
        expect(parsed.passwd.users[0].ssh_authorized_keys).toEqual(keys);
        expect(parsed.storage.files[1]).toEqual({
          path: "/etc/more",
          mode: 0o600,
          contents: { inline: contents },
        });
      }),
      { numRuns: 200 },
    );
  });

  it("writes modes in octal and keeps the template's own text and comments", () => {
    const butane = render("v", [{ path: "/etc/more", mode: 0o640, contents: { inline: "m" } }]);
    expect(butane).toContain("# test template\n");
    expect(butane).toContain("      mode: 0644\n");
    expect(butane).toContain("mode: 0640");
  });

  it("does not substitute markers inside values", () => {
    expect(parse(render("{{ keys }}"), { version: "1.1" }).storage.files[0].contents.inline).toBe(
      "{{ keys }}",
    );
  });

  it.each([
    ["a missing value", { value: "x", more: [] }, /has no value/],
    ["an unused value", { value: "x", more: [], keys: [], extra: "y" }, /without a template marker: extra/],
    ["a spread of a non-list", { value: "x", more: "not a list", keys: [] }, /needs a list value/],
  ] as const)("refuses %s as a bug", (_name, values, message) => {
    expect(() => renderTemplate(TEMPLATE, values as Record<string, TemplateValue>)).toThrow(message);
    try {
      renderTemplate(TEMPLATE, values as Record<string, TemplateValue>);
    } catch (error) {
      expect(error).toBeInstanceOf(HomelabError);
      expect((error as HomelabError).code).toBe("internal");
    }
  });
});
