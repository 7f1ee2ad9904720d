/**
 * A `homelab apply` process that dies while the real terraform applies (kill -9, or SIGHUP as
 * when its terminal closes) must not cost the OpenTofu state. A stand-in for homelab
 * (support/apply-driver.ts, TofuRunner with the process's own signals) applies the
 * terraform_data fixture with slow `local-exec` provisioners and is killed mid-apply; then the
 * next run (in this process) must find a consistent state and proceed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { offlineTerraformEnv } from "../support/offline-terraform.js";
import { describeWithTools, itWithTools, toolPath } from "../support/real-tools.js";
import { FIXTURE_NODES, type FixtureWorkspace, fixtureWorkspace } from "./fixture.js";

const nodeNames = [...FIXTURE_NODES];
const DRIVER = fileURLToPath(new URL("./support/apply-driver.ts", import.meta.url));
const JITI = join(
  dirname(createRequire(import.meta.url).resolve("jiti/package.json")),
  "lib",
  "jiti-cli.mjs",
);

interface TerraformState {
  readonly resources: readonly {
    readonly type: string;
    readonly name: string;
    readonly instances: unknown[];
  }[];
}

/** The fixture, with a provisioner that takes `seconds` on every node disk. */
async function slowWorkspace(seconds: number): Promise<FixtureWorkspace> {
  const workspace = await fixtureWorkspace();
  await workspace.change((document) => {
    const disk = document.resource.terraform_data.node_disk as Record<string, unknown>;
    disk.provisioner = [{ "local-exec": { command: `sleep ${seconds}` } }];
  });
  return workspace;
}

interface Driver {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<void>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

async function driverConfig(workspace: FixtureWorkspace, report?: string): Promise<string> {
  const config = join(workspace.root, "driver.json");
  await writeFile(
    config,
    JSON.stringify({
      binary: workspace.binary.path,
      workingDir: workspace.workingDir,
      stateDir: workspace.layout.dir,
      nodeNames,
      terraformEnv: offlineTerraformEnv(),
      ...(report ? { report } : {}),
    }),
  );
  return config;
}

async function startDriver(workspace: FixtureWorkspace): Promise<Driver> {
  const config = await driverConfig(workspace);
  const child = spawn(process.execPath, [JITI, DRIVER, config], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  let pending = "";
  const collect = (chunk: Buffer) => {
    pending += chunk.toString("utf8");
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    child,
    lines,
    exited,
    async waitFor(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!lines.some((line) => pattern.test(line))) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`no line matching ${pattern} (driver printed:\n${lines.join("\n")})`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

async function readState(workspace: FixtureWorkspace): Promise<TerraformState> {
  return JSON.parse(await readFile(workspace.layout.tofuState, "utf8")) as TerraformState;
}

const instanceCount = (state: TerraformState) =>
  state.resources.reduce((sum, resource) => sum + resource.instances.length, 0);

const stateLockInfo = (workspace: FixtureWorkspace) =>
  join(dirname(workspace.layout.tofuState), ".terraform.tfstate.lock.info");

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describeWithTools(["terraform"], "homelab dies during a real terraform apply", () => {
  it("kill -9: terraform finishes on its own, the next run waits for it and finds every resource", async () => {
    const workspace = await slowWorkspace(4);
    const driver = await startDriver(workspace);
    await driver.waitFor(/local-exec/);
    driver.child.kill("SIGKILL");
    await driver.exited;

    const notices: string[] = [];
    const next = workspace.runner({ onNotice: (message) => notices.push(message) });
    const plan = await next.plan({ nodeNames });
    expect(notices.join("\n")).toMatch(/still running|was left running/);
    expect(plan.summary.noChanges).toBe(true);
    await next.discard(plan);
    const state = await readState(workspace);
    expect(instanceCount(state)).toBe(10);
    expect(existsSync(stateLockInfo(workspace))).toBe(false);
  });

  it("SIGHUP (terminal closed): one SIGINT reaches terraform, which stops cleanly; the next run completes", async () => {
    const workspace = await slowWorkspace(6);
    const driver = await startDriver(workspace);
    await driver.waitFor(/local-exec/);
    driver.child.kill("SIGHUP");
    await driver.exited;
    expect(driver.child.signalCode).toBeNull(); // homelab survived the hangup to wait for terraform
    expect(driver.lines.join("\n")).toMatch(/Interrupt received|Gracefully shutting down/);
    expect(driver.lines.join("\n")).toContain("interrupted and stopped cleanly");

    const state = await readState(workspace);
    const created = driver.lines.filter((line) => /Creation complete/.test(line)).length;
    expect(instanceCount(state)).toBeGreaterThanOrEqual(created);
    expect(existsSync(stateLockInfo(workspace))).toBe(false);

    const next = workspace.runner();
    await next.apply(await next.plan({ nodeNames }), new Date());
    expect(instanceCount(await readState(workspace))).toBe(10);
    expect((await next.plan({ nodeNames })).summary.noChanges).toBe(true);
  });

  itWithTools(
    ["terraform", "script"],
    "closing its terminal (a real pty from script(1), then killed): terraform stops cleanly, state intact",
    async () => {
      const workspace = await slowWorkspace(6);
      const report = join(workspace.root, "driver.log");
      const config = await driverConfig(workspace, report);
      const read = () => readFile(report, "utf8").catch(() => "");
      // script(1) gives the driver a pseudo-terminal as its controlling terminal; killing script
      // closes the terminal's master side, and the kernel hangs the session up (SIGHUP).
      const terminal = spawn(
        toolPath("script"),
        ["-qfec", `${process.execPath} ${JITI} ${DRIVER} ${config}`, "/dev/null"],
        {
          stdio: ["pipe", "ignore", "ignore"],
        },
      );
      try {
        await until(async () => (await read()).includes("local-exec"), "the apply to start");
        terminal.kill("SIGKILL");
        await until(async () => /driver: (failed|applied)/.test(await read()), "the driver to finish");
        const lines = await read();
        expect(lines).toMatch(/Interrupt received|Gracefully shutting down/);
        expect(lines).toContain("interrupted and stopped cleanly");
        await until(
          () => !existsSync(join(workspace.layout.dir, "tofu", "running.json")),
          "terraform to exit",
        );
        const state = await readState(workspace);
        expect(instanceCount(state)).toBeGreaterThanOrEqual(
          lines.split("\n").filter((l) => /Creation complete/.test(l)).length,
        );
        const next = workspace.runner();
        await next.apply(await next.plan({ nodeNames }), new Date());
        expect(instanceCount(await readState(workspace))).toBe(10);
      } finally {
        terminal.stdin?.end();
      }
    },
  );
});
