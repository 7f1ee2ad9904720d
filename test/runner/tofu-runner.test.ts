/**
 * The OpenTofu runner against the real terraform/tofu of this machine, on a configuration of
 * built-in terraform_data resources (no provider download): init, plan summary, apply with
 * state backup, -replace, destroy, failures, interrupts.
 */
import { spawn } from "node:child_process";
import { chmod, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { HomelabError } from "../../src/errors/index.js";
import { manualInterrupts } from "../../src/runner/index.js";
import { hasAppliedState, TofuFailedError, tofuStatePaths } from "../../src/runner/tofu-runner.js";
import { offlineTerraformEnv } from "../support/offline-terraform.js";
import { withTools } from "../support/real-tools.js";
import { FIXTURE_NODES, type FixtureWorkspace, fixtureWorkspace } from "./fixture.js";

const terraform = withTools(["terraform"]);
const nodeNames = [...FIXTURE_NODES];
const mode = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

terraform.describe("TofuRunner lifecycle on a terraform_data configuration (real terraform)", () => {
  let workspace: FixtureWorkspace;
  beforeAll(async () => {
    workspace = await fixtureWorkspace();
  });

  it("inits on first use, summarises the first plan and applies it without a backup", async () => {
    const runner = workspace.runner();
    expect(await runner.needsInit()).toBe(true);
    const plan = await runner.plan({ nodeNames });
    expect(workspace.lines.join("\n")).toMatch(/initialized/i);
    expect(plan.summary).toMatchObject({ add: 10, change: 0, destroy: 0, replace: 0, noChanges: false });
    expect(plan.summary.nodes.map((n) => [n.node, n.action])).toEqual(nodeNames.map((n) => [n, "create"]));
    expect(await mode(plan.file)).toBe("600");
    expect(await runner.apply(plan, new Date("2025-01-31T14:25:01.123Z"))).toBeUndefined();
    await expect(stat(plan.file)).rejects.toThrow(/ENOENT/);
    expect(await hasAppliedState(workspace.layout.tofuState)).toBe(true);
  });

  it("does not init again, and plans no changes, after render swaps the directory", async () => {
    await workspace.rerender();
    const runner = workspace.runner();
    expect(await runner.needsInit()).toBe(false);
    const plan = await runner.plan({ nodeNames });
    expect(plan.summary.noChanges).toBe(true);
    await runner.discard(plan);
  });

  it("names the node whose Ignition changed as replaced, and backs the state up before applying", async () => {
    await workspace.change((document) => {
      document.locals.nodes["k3s-dev-agent-1"] = { ignition: "agent-1 config v2" };
    });
    const runner = workspace.runner();
    const before = await readFile(workspace.layout.tofuState, "utf8");
    const plan = await runner.plan({ nodeNames });
    expect(plan.summary).toMatchObject({ add: 2, change: 0, destroy: 2, replace: 2, staleIgnition: [] });
    expect(plan.summary.nodes).toHaveLength(1);
    const [node] = plan.summary.nodes;
    expect(node?.node).toBe("k3s-dev-agent-1");
    expect(node?.action).toBe("replace");
    expect(node?.reasons[0]).toMatch(/^Ignition changed/);
    expect(node?.reasons.join("\n")).toContain(
      'terraform_data.node["k3s-dev-agent-1"]: replace_triggered_by',
    );
    const backup = await runner.apply(plan, new Date("2025-01-31T14:25:02.000Z"));
    expect(backup).toBe(join(workspace.layout.tofuBackups, "terraform.tfstate.20250131T142502.000Z"));
    expect(await readFile(backup!, "utf8")).toBe(before);
    expect(await mode(backup!)).toBe("600");
    expect((await runner.plan({ nodeNames })).summary.noChanges).toBe(true);
  });

  it("replaces exactly the requested address (and what is triggered by it)", async () => {
    const runner = workspace.runner();
    const plan = await runner.plan({ nodeNames, replace: ['terraform_data.node_disk["k3s-dev-server-1"]'] });
    expect(plan.summary.resources.map((r) => [r.address, r.action])).toEqual([
      ['terraform_data.node["k3s-dev-server-1"]', "replace"],
      ['terraform_data.node_disk["k3s-dev-server-1"]', "replace"],
    ]);
    expect(plan.summary.nodes[0]?.reasons).toContain(
      'terraform_data.node_disk["k3s-dev-server-1"]: replacement requested (-replace)',
    );
    await runner.apply(plan, new Date("2025-01-31T14:25:03.000Z"));
    expect(await readdir(workspace.layout.tofuBackups)).toHaveLength(2);
  });

  it("lists the state's addresses", async () => {
    const addresses = await workspace.runner().stateAddresses();
    expect(addresses).toContain('terraform_data.node["k3s-dev-agent-2"]');
    expect(addresses).toHaveLength(10);
  });

  it("plans and applies a destroy, leaving an empty state", async () => {
    const runner = workspace.runner();
    const plan = await runner.plan({ nodeNames, destroy: true });
    expect(plan.summary).toMatchObject({ add: 0, destroy: 10 });
    expect(plan.summary.nodes.every((n) => n.action === "destroy")).toBe(true);
    await runner.apply(plan, new Date("2025-01-31T14:25:04.000Z"));
    expect(await hasAppliedState(workspace.layout.tofuState)).toBe(false);
    expect(await workspace.runner().stateAddresses()).toEqual([]);
  });
});

terraform.describe("TofuRunner for --json (real terraform)", () => {
  it("passes -json to plan and apply: every streamed line is one of terraform's JSON messages", async () => {
    const workspace = await fixtureWorkspace();
    const runner = workspace.runner({ machineReadable: true });
    await runner.prepare();
    workspace.lines.length = 0;
    const plan = await runner.plan({ nodeNames });
    await runner.apply(plan, new Date("2025-01-31T14:27:00.000Z"));
    const messages = workspace.lines
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { type: string });
    expect(messages.length).toBeGreaterThan(10);
    expect(messages.map((m) => m.type)).toEqual(
      expect.arrayContaining(["planned_change", "change_summary", "apply_complete"]),
    );
  });
});

terraform.describe("TofuRunner failures (real terraform)", () => {
  it("keeps tofu's exit status and output when plan fails", async () => {
    const workspace = await fixtureWorkspace();
    await workspace.change((document) => {
      // A reference to nothing: terraform rejects it at plan time.
      document.resource.terraform_data.broken = { input: `\${local.no_such_local}` };
    });
    const failure = await workspace
      .runner()
      .plan({ nodeNames })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TofuFailedError);
    expect((failure as TofuFailedError).exitCode).toBe(1);
    expect((failure as TofuFailedError).code).toBe("tofu-failed");
    expect(workspace.lines.join("\n")).toContain("no_such_local");
  });

  it("a rendered file edited into something that is not JSON is rendered-config-invalid, before tofu runs", async () => {
    const workspace = await fixtureWorkspace();
    await writeFile(join(workspace.workingDir, "main.tf.json"), "{ not json");
    const failure = (await workspace
      .runner()
      .plan({ nodeNames })
      .catch((error: unknown) => error)) as HomelabError;
    expect(failure.code).toBe("rendered-config-invalid");
    expect(failure.where?.file).toBe(join(workspace.workingDir, "main.tf.json"));
    expect(workspace.lines).toEqual([]);
  });

  it("refuses a configuration whose state would live in the rendered directory", async () => {
    const workspace = await fixtureWorkspace();
    await workspace.change((document) => {
      document.terraform.backend.local.path = "terraform.tfstate";
    });
    const failure = await workspace
      .runner()
      .plan({ nodeNames })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HomelabError);
    expect((failure as HomelabError).code).toBe("rendered-config-invalid");
    expect((failure as HomelabError).message).toContain("not at");
    expect(workspace.lines).toEqual([]); // tofu never ran
  });

  /** The real terraform behind a wrapper that answers `show` with `showScript` instead. */
  async function showFails(workspace: FixtureWorkspace, showScript: string) {
    const wrapper = join(workspace.root, "terraform-show-fails");
    await writeFile(
      wrapper,
      `#!/bin/sh\nif [ "$1" = show ]; then ${showScript}; fi\nexec ${workspace.binary.path} "$@"\n`,
    );
    await chmod(wrapper, 0o755);
    return workspace.runner({ binary: { ...workspace.binary, path: wrapper } });
  }

  const showFailures: readonly (readonly [string, string, RegExp])[] = [
    ["exits non-zero", "echo 'show: crashed' >&2; exit 3", /terraform show failed \(exit status 3\)/],
    ["prints something that is not JSON", "echo 'not json'; exit 0", /did not print JSON/],
    ["prints JSON that is not a plan", "echo '{\"format_version\": 1}'; exit 0", /cannot read/],
  ];
  for (const [what, script, message] of showFailures) {
    it(`a \`show -json\` that ${what} fails with tofu-failed and deletes the saved plan`, async () => {
      const workspace = await fixtureWorkspace();
      const runner = await showFails(workspace, script);
      const failure = (await runner.plan({ nodeNames }).catch((e: unknown) => e)) as HomelabError;
      expect(failure.code).toBe("tofu-failed");
      expect(failure.message).toMatch(message);
      await expect(stat(tofuStatePaths(workspace.layout).planFile)).rejects.toThrow(/ENOENT/);
    });
  }

  it("a state backup that cannot be written fails with state-backup-failed, applies nothing, deletes the plan", async () => {
    const workspace = await fixtureWorkspace();
    const runner = workspace.runner();
    await runner.apply(await runner.plan({ nodeNames }), new Date());
    await workspace.change((document) => {
      document.locals.nodes["k3s-dev-agent-1"] = { ignition: "agent-1 config v2" };
    });
    const before = await readFile(workspace.layout.tofuState, "utf8");
    // The backups directory is a file: mkdir and copy fail.
    await rm(workspace.layout.tofuBackups, { recursive: true, force: true });
    await writeFile(workspace.layout.tofuBackups, "not a directory");
    const plan = await runner.plan({ nodeNames });
    const failure = (await runner.apply(plan, new Date()).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("state-backup-failed");
    expect(failure.where?.file).toBe(workspace.layout.tofuBackups);
    expect(failure.message).toContain("nothing was applied");
    await expect(stat(plan.file)).rejects.toThrow(/ENOENT/);
    expect(await readFile(workspace.layout.tofuState, "utf8")).toBe(before);
  });

  it("a state lock held by another terraform is named, with the force-unlock command for when it is gone", async () => {
    const workspace = await fixtureWorkspace();
    await workspace.change((document) => {
      document.resource.terraform_data.slow = {
        input: "slow",
        provisioner: [{ "local-exec": { command: "sleep 8" } }],
      };
    });
    const runner = workspace.runner();
    await runner.prepare();
    // Another terraform, started by hand (not by homelab), holds the lock while it applies.
    const other = spawn(workspace.binary.path, ["apply", "-auto-approve", "-input=false", "-no-color"], {
      cwd: workspace.workingDir,
      env: {
        PATH: process.env.PATH,
        TF_DATA_DIR: workspace.layout.tofuDataDir,
        ...offlineTerraformEnv(),
      },
      stdio: "ignore",
    });
    try {
      const lockInfo = tofuStatePaths(workspace.layout).stateLockInfo;
      while (
        !(await stat(lockInfo).then(
          () => true,
          () => false,
        ))
      )
        await new Promise((r) => setTimeout(r, 50));
      const { ID } = JSON.parse(await readFile(lockInfo, "utf8")) as { ID: string };
      const failure = (await runner.plan({ nodeNames }).catch((e: unknown) => e)) as HomelabError;
      expect(failure).toBeInstanceOf(TofuFailedError);
      expect(failure.message).toContain("could not take the OpenTofu state lock");
      expect(failure.message).toContain("held for OperationTypeApply");
      expect(failure.fix).toContain(`force-unlock -force ${ID}`);
      expect(failure.fix).toContain(`TF_DATA_DIR=${workspace.layout.tofuDataDir}`);
    } finally {
      other.kill("SIGINT");
      await new Promise((resolve) => other.once("exit", resolve));
    }
  });

  it("forwards one interrupt to tofu and waits for it to stop cleanly", async () => {
    const workspace = await fixtureWorkspace();
    await workspace.change((document) => {
      document.locals.nodes = {};
      document.resource.terraform_data.slow = {
        input: "slow",
        provisioner: [{ "local-exec": { command: "sleep 30" } }],
      };
    });
    const interrupts = manualInterrupts();
    let repeated = 0;
    const runner = workspace.runner({ interrupts, onRepeatedInterrupt: () => repeated++ });
    const plan = await runner.plan({ nodeNames: [] });
    const started = Date.now();
    const applying = runner
      .apply(plan, new Date("2025-01-31T14:26:00.000Z"))
      .catch((error: unknown) => error);
    while (!workspace.lines.some((line) => line.includes("local-exec")))
      await new Promise((r) => setTimeout(r, 50));
    interrupts.interrupt();
    interrupts.interrupt();
    const failure = await applying;
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(repeated).toBe(1);
    expect(failure).toBeInstanceOf(TofuFailedError);
    expect((failure as TofuFailedError).message).toContain("interrupted and stopped cleanly");
    expect(workspace.lines.join("\n")).toMatch(/Interrupt received|Gracefully shutting down/);
    // State was written whole: it parses, and the interrupted resource is tainted or absent.
    const state = JSON.parse(await readFile(workspace.layout.tofuState, "utf8")) as { resources: unknown[] };
    expect(Array.isArray(state.resources)).toBe(true);
  });
});
