/**
 * The real-tools mechanism itself: the table, the messages, and — in a nested vitest run of
 * test/fixtures/real-tools/ with tools hidden by HOMELAB_TEST_HIDE_TOOLS — that a block whose
 * tools are missing is skipped (hooks included) and summarised with its package, and that with
 * CI=true or HOMELAB_REQUIRE_REAL_TOOLS=1 the same run fails naming the packages.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  debianPackagesFor,
  LIBVIRT_TOOLS,
  missingToolsMessage,
  REAL_TOOLS,
  type RealToolName,
  realToolsRequired,
} from "./real-tools.js";

const repository = fileURLToPath(new URL("../..", import.meta.url));
const fixtureConfig = fileURLToPath(new URL("../fixtures/real-tools/vitest.config.ts", import.meta.url));

describe("the table of real tools", () => {
  it("names a Debian package, or how to get it otherwise, for every tool", () => {
    for (const [name, tool] of Object.entries(REAL_TOOLS) as [RealToolName, object][]) {
      const info = tool as { debianPackage?: string; install?: string };
      expect(Boolean(info.debianPackage) !== Boolean(info.install), name).toBe(true);
    }
  });

  it("gives the libvirt tests one install line", () => {
    expect(debianPackagesFor(LIBVIRT_TOOLS)).toEqual([
      "libvirt-daemon",
      "libvirt-daemon-driver-qemu",
      "libvirt-clients",
      "qemu-system-x86",
      "qemu-utils",
    ]);
  });

  it("says what is missing and the command that installs it", () => {
    expect(missingToolsMessage(["ignition-validate", "ignition", "sshd"])).toBe(
      "missing real tools: ignition-validate (Debian package ignition), ignition (Debian package ignition), " +
        "sshd (Debian package openssh-server); apt-get install -y ignition openssh-server",
    );
    expect(missingToolsMessage(["terraform"])).toMatch(
      /^missing real tools: terraform \(not a Debian package: /,
    );
  });

  it("is CI's (requires every tool) when CI is set or HOMELAB_REQUIRE_REAL_TOOLS=1", () => {
    const cases: [NodeJS.ProcessEnv, boolean][] = [
      [{}, false],
      [{ CI: "" }, false],
      [{ CI: "false" }, false],
      [{ CI: "0" }, false],
      [{ CI: "true" }, true],
      [{ CI: "1" }, true],
      [{ HOMELAB_REQUIRE_REAL_TOOLS: "1" }, true],
      [{ HOMELAB_REQUIRE_REAL_TOOLS: "0" }, false],
    ];
    for (const [env, required] of cases) expect(realToolsRequired(env), JSON.stringify(env)).toBe(required);
  });

  it("is what .ci/run installs: every Debian package of the table", () => {
    const ci = readFileSync(`${repository}/.ci/run`, "utf8");
    for (const name of Object.keys(REAL_TOOLS) as RealToolName[]) {
      for (const pkg of debianPackagesFor([name]))
        expect(ci, `${name} → ${pkg}`).toMatch(new RegExp(`\\b${pkg}\\b`));
    }
  });
});

function nestedRun(env: NodeJS.ProcessEnv): { status: number | null; output: string } {
  const run = spawnSync(
    process.execPath,
    [`${repository}/node_modules/vitest/vitest.mjs`, "run", "--config", fixtureConfig],
    {
      cwd: repository,
      encoding: "utf8",
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: "1",
        HOMELAB_TEST_HIDE_TOOLS: "ignition-validate,ignition,gpg",
        ...env,
      },
      timeout: 120_000,
    },
  );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe("a run with tools missing (nested vitest, tools hidden)", () => {
  it("skips the blocks (not their neighbours), exits 0 and prints one summary with the install line", () => {
    const { status, output } = nestedRun({});
    expect(output).not.toMatch(/held-back block ran|a held-back test ran/);
    expect(status, output).toBe(0);
    expect(output).toMatch(/REAL TOOLS MISSING: 3 tools held back 4 tests/);
    expect(output).toMatch(/ignition-validate\s+3 tests\s+Debian package ignition/);
    expect(output).toMatch(/gpg\s+1 test\s+Debian package gnupg/);
    expect(output).toContain("apt-get install -y --no-install-recommends ignition gnupg");
    expect(output).toMatch(/^vitest: 2 passed, 0 failed, 4 skipped$/m);
  }, 120_000);

  it.each([{ CI: "true" }, { HOMELAB_REQUIRE_REAL_TOOLS: "1" }])(
    "fails with %o, naming the missing packages, and still runs nothing of the blocks",
    (env) => {
      const { status, output } = nestedRun(env);
      expect(status, output).toBe(1);
      expect(output).not.toMatch(/held-back block ran|a held-back test ran/);
      expect(output).toContain(
        "missing real tools: ignition-validate (Debian package ignition), ignition (Debian package ignition); apt-get install -y ignition",
      );
      expect(output).toContain("missing real tools: gpg (Debian package gnupg); apt-get install -y gnupg");
      expect(output).toMatch(/these tests FAILED/);
      expect(output).toMatch(/^vitest: 2 passed, 2 failed, 3 skipped$/m);
    },
    120_000,
  );
});
