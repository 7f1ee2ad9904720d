import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileButane } from "../../src/butane/index.js";

/**
 * The shipped bundles behave like the code the tests run (issue 14, defect 8). The build once
 * aliased `yaml` to its browser build, whose `!!binary` decodes with atob instead of Buffer:
 * invalid characters made the bundle fail where the tested code went on. The built
 * `homelab butane` (dist/butane.cjs) must give exactly what compileButane gives in process.
 */
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");

const config = (inline: string) =>
  `variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/x\n      contents:\n        inline: ${inline}\n`;

describe("the built bundle and the tested code agree", () => {
  it.each([
    ["plain base64", "!!binary aGVsbG8="],
    ["base64 with a character outside the alphabet", '!!binary "aGVs$bG8="'],
    ["base64 over several lines", "!!binary |\n          aGVs\n          bG8="],
    ["base64 without padding", "!!binary aGVsbG8"],
    ["an empty binary", '!!binary ""'],
    ["a plain string", "hello"],
  ])("`homelab butane` on %s", (_name, inline) => {
    if (!existsSync(join(repository, "dist", "butane.cjs")))
      throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
    const source = config(inline);
    const built = spawnSync(process.execPath, [bin, "butane", "--strict"], {
      input: source,
      encoding: "utf8",
    });
    const tested = compileButane(source, { strict: true });
    expect(built.status === 0).toBe(tested.ok);
    if (tested.ok) expect(built.stdout).toBe(tested.ignition);
  });

  it("no bundle carries yaml's browser build", () => {
    for (const file of ["dist/butane.cjs", ...chunks()]) {
      // The browser build's binary tag decodes with atob first; the Node build with Buffer.
      const text = readFileSync(join(repository, file), "utf8");
      expect(text, file).not.toMatch(/2002:binary",resolve\(\w+,\w+\)\{if\(typeof atob/);
    }
  });
});

function chunks(): string[] {
  return readdirSync(join(repository, "dist", "chunks"))
    .filter((name) => name.endsWith(".js"))
    .map((name) => join("dist", "chunks", name));
}
