import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

/**
 * Environment files through the built CLI (`npm test` builds it first), in scratch projects:
 * what a file does while it is evaluated never reaches homelab's exit status or output.
 */
const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const bin = join(repository, "bin", "homelab.js");
const scratch = mkdtempSync(join(tmpdir(), "homelab-cli-env-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

if (!existsSync(join(repository, "dist", "cli", "main.js")))
  throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");

let counter = 0;
function project(files: Record<string, string>): string {
  const dir = join(scratch, `p${++counter}`);
  for (const [path, contents] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

function homelab(cwd: string, args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd,
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: join(cwd, "home"),
      HOMELAB_STATE_DIR: join(cwd, "state"),
      HOMELAB_CACHE_DIR: join(cwd, "cache"),
      NO_COLOR: "1",
    },
  });
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

const LAB = 'export default { name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" } };\n';

/** Every stdout line of a --json run is one JSON object. */
function events(stdout: string): { type: string; [key: string]: unknown }[] {
  return stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

describe("environment files under the CLI", () => {
  it("a sibling calling process.exit(0) no longer ends render with exit 0 and nothing rendered", () => {
    const cwd = project({
      "environments/lab.ts": LAB,
      "environments/quitter.ts": "process.exit(0);\nexport default {};\n",
    });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.status).toBe(0);
    expect(existsSync(join(cwd, ".homelab", "lab", "main.tf.json"))).toBe(true);
    expect(run.stderr).toMatch(
      /warning: environments\/quitter\.ts: calls process\.exit\(0\); it was skipped/,
    );
  });

  it("the environment itself calling process.exit(0) is env-exit, exit 1, nothing rendered", () => {
    const cwd = project({ "environments/lab.ts": `process.exit(0);\n${LAB}` });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[env-exit]: environments/lab.ts:1");
    expect(existsSync(join(cwd, ".homelab"))).toBe(false);
  });

  it("console.log in an environment leaves --json a valid NDJSON stream with one located error", () => {
    const cwd = project({ "environments/lab.ts": `console.log("not json");\n${LAB}` });
    const run = homelab(cwd, ["render", "lab", "--json"]);
    expect(run.status).toBe(1);
    const all = events(run.stdout);
    expect(all.at(-1)).toMatchObject({
      type: "error",
      code: "env-printed",
      where: { file: "environments/lab.ts", line: 1 },
    });
    expect(run.stdout).not.toContain("not json\n");
  });

  it("a sibling that prints is a warning event under --json, and render succeeds", () => {
    const cwd = project({
      "environments/lab.ts": LAB,
      "environments/noisy.ts": `console.log("{oops");\n${LAB.replaceAll("lab", "noisy").replace("10.77", "10.78")}`,
    });
    const run = homelab(cwd, ["render", "lab", "--json"]);
    expect(run.status).toBe(0);
    const all = events(run.stdout);
    expect(all.some((e) => e.type === "warning" && String(e.message).includes("printed 6 characters"))).toBe(
      true,
    );
    expect(all.at(-1)?.type).toBe("result");
  });

  it("an environment that throws: a located error, no stack trace", () => {
    const cwd = project({
      "environments/lab.ts": `const servers = 1;\nif (servers < 3) throw new TypeError("need three");\n${LAB}`,
    });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[env-load-failed]: environments/lab.ts:2");
    expect(run.stderr).toContain("need three");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it("a loader warning (name differs from the file) is printed once, not twice", () => {
    const cwd = project({ "environments/lab.ts": LAB.replace('name: "lab"', 'name: "other"') });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.status).toBe(0);
    expect(run.stderr.match(/does not match the file name "lab"/g)).toHaveLength(1);
  });

  it("an environment that loops is stopped at the 10 s limit: env-timeout, exit 1 (it used to hang)", () => {
    const cwd = project({ "environments/lab.ts": `while (Date.now() > 0) {}\n${LAB}` });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.signal).toBeNull();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "error[env-timeout]: environments/lab.ts: did not finish evaluating within 10 s",
    );
  });

  it("an unsettled top-level await is a located error, not a silent exit 13", () => {
    const cwd = project({ "environments/lab.mjs": `await new Promise(() => {});\n${LAB}` });
    const run = homelab(cwd, ["render", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[env-load-failed]");
    expect(run.stderr).toContain("top-level await never settles");
  });
});
