/**
 * A copy of an environment that kept the original's name (environments/mytest.ts with
 * `name: "development"`) would act on development's cluster: every command that changes
 * something refuses it before writing anything; the others warn exactly once.
 */
import { spawnSync } from "node:child_process";
import { access, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { CommandModule } from "../../src/cli/command.js";
import applyCommand from "../../src/cli/commands/apply/index.js";
import destroyCommand from "../../src/cli/commands/destroy/index.js";
import doctorCommand from "../../src/cli/commands/doctor/index.js";
import planCommand from "../../src/cli/commands/plan/index.js";
import renderCommand from "../../src/cli/commands/render/index.js";
import replaceCommand from "../../src/cli/commands/replace/index.js";
import showCommand from "../../src/cli/commands/show/index.js";
import statusCommand from "../../src/cli/commands/status/index.js";
import upCommand from "../../src/cli/commands/up/index.js";
import { nameMismatchMode } from "../../src/cli/lifecycle/environment-name.js";
import { eventsOf, runCommand } from "../runner/cli-harness.js";
import { offlineTerraformEnv } from "../support/offline-terraform.js";

// The copy: development's settings with a new network, but the old name (line 3).
const COPY = `export default {
  // copied from development.ts
  name: "development",
  prefix: "k3s-mytest",
  network: { mode: "nat", cidr: "192.168.233.0/24" },
  servers: { count: 1, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
  agents: { count: 0 },
  ssh: { authorizedKeys: [] },
  machine: { type: "qemu" },
  libvirt: { uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock" },
};
`;

const repositoryRoot = resolve(import.meta.dirname, "..", "..");

async function repository() {
  const root = await mkdtemp(join(tmpdir(), "homelab-mismatch-"));
  const cwd = join(root, "repo");
  await mkdir(join(cwd, "environments"), { recursive: true });
  await writeFile(join(cwd, "environments", "mytest.ts"), COPY);
  await mkdir(join(root, "home"));
  const state = join(root, "state");
  return {
    cwd,
    state,
    env: {
      PATH: process.env.PATH,
      HOME: join(root, "home"),
      HOMELAB_STATE_DIR: state,
      HOMELAB_CACHE_DIR: join(root, "cache"),
      ...offlineTerraformEnv(),
    },
  };
}

const missing = (path: string) =>
  access(path).then(
    () => false,
    () => true,
  );

describe("commands that change something refuse an environment named differently from its file", () => {
  const cases: [string, CommandModule, string[]][] = [
    ["up", upCommand, ["mytest"]],
    ["apply", applyCommand, ["mytest", "--yes"]],
    ["destroy", destroyCommand, ["mytest", "--yes"]],
    ["replace", replaceCommand, ["k3s-mytest-server-1", "--env", "mytest", "--yes"]],
  ];
  it.each(cases)(
    "homelab %s: env-name-mismatch at the name's line, nothing rendered, no state",
    async (_, module, argv) => {
      const repo = await repository();
      const run = await runCommand(module, argv, repo);
      expect(run.status).toBe(1);
      expect(run.error?.code).toBe("env-name-mismatch");
      expect(run.error?.message).toBe(
        '"development" does not match the file name "mytest": this environment would use development\'s state, render directory (.homelab/development) and kubeconfig, i.e. act on the development cluster',
      );
      expect(run.error?.where).toEqual({ file: "environments/mytest.ts", line: 3, column: 3, path: "name" });
      expect(run.error?.fix).toContain('name: "mytest" in environments/mytest.ts');
      expect(await missing(join(repo.cwd, ".homelab"))).toBe(true);
      expect(await missing(repo.state)).toBe(true); // no token, no keys, no OpenTofu state
      expect(eventsOf(run, "output")).toEqual([]); // tofu never ran
    },
  );
});

describe("commands that only read warn, once", () => {
  const cases: [string, CommandModule, string[]][] = [
    ["render", renderCommand, ["mytest"]],
    ["show", showCommand, ["mytest"]],
    ["status", statusCommand, ["mytest"]],
    ["doctor", doctorCommand, ["mytest"]],
    ["plan", planCommand, ["mytest"]],
  ];
  it.each(cases)("homelab %s prints one env-name-mismatch warning", async (_, module, argv) => {
    const repo = await repository();
    const run = await runCommand(module, argv, repo);
    const warnings = eventsOf(run, "warning").filter((event) => event.code === "env-name-mismatch");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/^"development" does not match the file name "mytest": /);
    expect(warnings[0]?.where).toMatchObject({ file: "environments/mytest.ts", line: 3, path: "name" });
    expect(run.error?.code).not.toBe("env-name-mismatch");
  });

  it("the built CLI: render warns once on stderr, and its next step is to fix the name, not to plan development", async () => {
    const repo = await repository();
    const run = spawnSync(process.execPath, [join(repositoryRoot, "bin", "homelab.js"), "render", "mytest"], {
      cwd: repo.cwd,
      env: repo.env,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.match(/warning\[env-name-mismatch\]/g)).toHaveLength(1);
    expect(run.stderr).toContain(
      'warning[env-name-mismatch]: environments/mytest.ts:3:3: name: "development" does not match the file name "mytest"',
    );
    expect(run.stdout).toContain(
      "Next: give environments/mytest.ts its own name (see the warning above); until then up, apply, destroy and replace refuse it.",
    );
    expect(run.stdout).not.toContain("homelab plan development");
  });
});

describe("which commands change something", () => {
  it.each([
    ["homelab up mytest", "error"],
    ["homelab apply staging", "error"],
    ["homelab destroy x", "error"],
    ["homelab replace k3s-dev-agent-1", "error"],
    ["homelab upgrade", "error"],
    ["homelab plan x", "warning"],
    ["homelab render", "warning"],
    ["homelab status", "warning"],
  ])("%s → %s", (command, mode) => {
    expect(nameMismatchMode(command)).toBe(mode);
  });
});
