import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { renderEnvironment } from "../../src/render/index.js";
import { describeWithTools, toolPath } from "../support/real-tools.js";

/**
 * `--out` or the state directory inside the repository (issue 14, defect 8): the files that
 * hold the token are in the work tree; unless Git ignores them, render warns with the lines to
 * add. The real git decides what is ignored; the suggested lines must silence the warning.
 */
const scratch = mkdtempSync(join(tmpdir(), "homelab-git-ignored-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let counter = 0;
function repository(gitignore: string | undefined): string {
  const dir = join(scratch, `repo-${++counter}`);
  mkdirSync(join(dir, "environments"), { recursive: true });
  writeFileSync(
    join(dir, "environments", "lab.json"),
    JSON.stringify({ name: "lab", prefix: "lab", network: { cidr: "10.77.0.0/24" } }),
  );
  if (gitignore !== undefined) {
    execFileSync(toolPath("git"), ["init", "-q", dir]);
    writeFileSync(join(dir, ".gitignore"), gitignore);
  }
  return dir;
}

async function warningsOf(cwd: string, outDir: string | undefined, stateRoot: string) {
  const result = await renderEnvironment({
    environment: "lab",
    cwd,
    home: join(scratch, "home"),
    stateRoot,
    cacheRoot: join(scratch, "cache"),
    ...(outDir ? { outDir } : {}),
  });
  return result.warnings.filter((w) => w.code === "secrets-not-ignored");
}

describeWithTools(["git"], "secrets inside the repository", () => {
  it("the defaults (.homelab/ ignored, state outside) give no warning", async () => {
    const cwd = repository(".homelab/\n");
    expect(await warningsOf(cwd, undefined, join(scratch, "state"))).toEqual([]);
  });

  it("--out inside the repository, not ignored: a warning whose .gitignore lines silence it", async () => {
    const cwd = repository("node_modules/\n");
    const warnings = await warningsOf(cwd, "build/lab", join(scratch, "state"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/holds the rendered Ignition files \(with the k3s token\)/);
    expect(warnings[0]?.message).toContain("Add `/build/lab` and `/build/.lab.gen-*/` to");
    writeFileSync(join(cwd, ".gitignore"), "node_modules/\n/build/lab\n/build/.lab.gen-*/\n");
    expect(await warningsOf(cwd, "build/lab", join(scratch, "state"))).toEqual([]);
    // And git agrees that nothing holding the token is left to add.
    const untracked = execFileSync(
      toolPath("git"),
      ["-C", cwd, "status", "--porcelain", "--untracked-files=all"],
      {
        encoding: "utf8",
      },
    );
    expect(untracked).not.toMatch(/\.ign|\.bu|gen-/);
  });

  it("a state directory inside the repository, not ignored: a warning", async () => {
    const cwd = repository(".homelab/\n");
    const warnings = await warningsOf(cwd, undefined, join(cwd, "state"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/holds homelab's state \(the k3s token, SSH keys, OpenTofu state\)/);
    expect(warnings[0]?.message).toContain("Add `/state/` to");
    writeFileSync(join(cwd, ".gitignore"), ".homelab/\n/state/\n");
    expect(await warningsOf(cwd, undefined, join(cwd, "state"))).toEqual([]);
  });

  it("outside any repository nothing is checked", async () => {
    const cwd = repository(undefined);
    expect(await warningsOf(cwd, "build/lab", join(cwd, "state"))).toEqual([]);
  });
});
