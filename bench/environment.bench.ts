import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { evaluateEnvironmentFiles } from "../src/environment/index.js";

/**
 * What evaluating environment files in a child process costs (issue 14, defect 5): an
 * environment and three siblings, the shipped TypeScript files.
 *   - "evaluate, cold": one child, jiti compiling all four files (no cache);
 *   - "evaluate, warm": the same with jiti's cache (what render uses, under ~/.cache/homelab/jiti);
 *   - "homelab render": the built CLI rendering development next to three siblings.
 * For comparison, `node -e 0` is the floor of any child process here.
 */

const repository = resolve(import.meta.dirname, "..");
const root = mkdtempSync(join(tmpdir(), "homelab-bench-environment-"));
mkdirSync(join(root, "environments"));
mkdirSync(join(root, "src", "environment"), { recursive: true });
copyFileSync(
  join(repository, "src", "environment", "schema.ts"),
  join(root, "src", "environment", "schema.ts"),
);
for (const name of ["development", "staging", "production"])
  copyFileSync(join(repository, "environments", `${name}.ts`), join(root, "environments", `${name}.ts`));
writeFileSync(
  join(root, "environments", "extra.ts"),
  readFileSync(join(repository, "environments", "development.ts"), "utf8")
    .replace('name: "development"', 'name: "extra"')
    .replace('"k3s-dev"', '"k3s-extra"')
    .replace("192.168.140", "192.168.143"),
);
const files = ["development", "staging", "production", "extra"].map((n) =>
  join(root, "environments", `${n}.ts`),
);
const env = {
  PATH: process.env.PATH ?? "/usr/bin:/bin",
  HOME: join(root, "home"),
  HOMELAB_STATE_DIR: join(root, "state"),
  HOMELAB_CACHE_DIR: join(root, "cache"),
};
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("environment evaluation", () => {
  bench("node -e 0 (the floor)", () => {
    spawnSync(process.execPath, ["-e", "0"]);
  });
  bench("evaluate 4 files, cold (jiti compiles)", async () => {
    await evaluateEnvironmentFiles(files, { cwd: root });
  });
  bench("evaluate 4 files, warm (jiti cache)", async () => {
    await evaluateEnvironmentFiles(files, { cwd: root, cacheDir: join(root, "cache", "jiti-bench") });
  });
  bench("homelab render development (3 siblings), built CLI", () => {
    const run = spawnSync(
      process.execPath,
      [join(repository, "bin", "homelab.js"), "render", "development"],
      {
        cwd: root,
        env,
      },
    );
    if (run.status !== 0) throw new Error(String(run.stderr));
  });
});
