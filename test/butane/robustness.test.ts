import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileButane } from "../../src/butane/index.js";
import { loadCases } from "./conformance-cases.js";

const seeds = loadCases().map((c) => c.source);

/** Every failure must say what and where: a summary, and located diagnostics or a YAML line. */
function assertWellFormed(source: string): void {
  const result = compileButane(source, { strict: false });
  expect(Array.isArray(result.diagnostics)).toBe(true);
  if (result.ok) {
    expect(result.ignition).toMatch(/\n$/);
    expect(() => JSON.parse(result.ignition ?? "")).not.toThrow();
    return;
  }
  expect(result.summary).toMatch(/^(Error translating config: |Config produced warnings)/);
  expect(result.summary).not.toMatch(/internal error/);
  for (const d of result.diagnostics) {
    expect(d.path).toMatch(/^\$/);
    expect(d.line).toBeGreaterThan(0);
    expect(d.column).toBeGreaterThan(0);
  }
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant("delete"), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    kind: fc.constant("insert"),
    at: fc.nat(),
    text: fc.constantFrom(
      ":",
      "- ",
      "  ",
      "\n",
      "'",
      '"',
      "{",
      "[",
      "&a ",
      "*a",
      "!!int ",
      "0o7",
      "~",
      "\t",
      "#",
      "<<: ",
    ),
  }),
  fc.record({ kind: fc.constant("swapLines"), at: fc.nat(), len: fc.nat() }),
);

type Mutation = { kind: string; at: number; len?: number; text?: string };

function mutate(source: string, m: Mutation): string {
  const at = source.length === 0 ? 0 : m.at % source.length;
  if (m.kind === "delete") return source.slice(0, at) + source.slice(at + (m.len ?? 1));
  if (m.kind === "insert") return source.slice(0, at) + (m.text ?? "") + source.slice(at);
  const lines = source.split("\n");
  const i = m.at % lines.length;
  const j = (m.len ?? 0) % lines.length;
  [lines[i], lines[j]] = [lines[j] ?? "", lines[i] ?? ""];
  return lines.join("\n");
}

describe("the compiler never throws and always locates failures", () => {
  it("on mutated conformance configs", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...seeds),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (seed, mutations) => {
          assertWellFormed(mutations.reduce(mutate, seed));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) =>
        assertWellFormed(`variant: flatcar\nversion: 1.0.0\n${text}`),
      ),
      { numRuns: 300 },
    );
  });

  it("on arbitrary YAML-shaped values", () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: "small" },
        fc.string({ maxLength: 10 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(
          fc.constantFrom("path", "mode", "contents", "inline", "name", "files", "units", "enabled", "x"),
          tie("node"),
          { maxKeys: 3 },
        ),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom("storage", "systemd", "passwd", "ignition", "kernel_arguments"), value),
        (cfg) => {
          assertWellFormed(
            `variant: flatcar\nversion: 1.0.0\n${JSON.stringify(cfg)}`.replace(
              "1.0.0\n{",
              "1.0.0\n_extra: {",
            ),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
