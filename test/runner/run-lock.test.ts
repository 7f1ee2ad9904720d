import { spawn } from "node:child_process";
import { mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HomelabError } from "../../src/errors/index.js";
import { acquireRunLock, type RunLockHolder, withRunLock } from "../../src/runner/run-lock.js";
import { withTools } from "../support/real-tools.js";
import { fixtureWorkspace } from "./fixture.js";

const holder = (pid: number, hostname = "host-a"): RunLockHolder => ({
  pid,
  hostname,
  startedAt: "2025-01-31T14:25:01.000Z",
  command: "homelab apply development",
});

async function lockPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), "homelab-lock-")), "development", "run.lock");
}

const terraform = withTools(["terraform"]);

/** A process that runs until killed; its pid is alive. */
function sleeper() {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  return child;
}

/** The pid of a process that has exited (not alive any more). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}

describe("run lock", () => {
  it("writes holder, pid and start time to a 0600 file and removes it on release", async () => {
    const path = await lockPath();
    const lock = await acquireRunLock({ path, holder: holder(process.pid) });
    expect(JSON.parse(await readFile(path, "utf8"))).toEqual(holder(process.pid));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    await lock.release();
    await expect(stat(path)).rejects.toThrow(/ENOENT/);
  });

  it("refuses a second run while a live process of this host holds it, naming the holder", async () => {
    const path = await lockPath();
    const other = sleeper();
    try {
      await acquireRunLock({ path, holder: holder(other.pid!) });
      const failure = (await acquireRunLock({ path, holder: holder(process.pid) }).catch(
        (e: unknown) => e,
      )) as HomelabError;
      expect(failure.code).toBe("run-in-progress");
      expect(failure.message).toContain(`\`homelab apply development\` (pid ${other.pid} on host-a`);
      expect(failure.fix).toMatch(/Wait for it to finish/);
    } finally {
      other.kill();
    }
  });

  it("takes over a lock whose process has gone (same host), reporting the stale holder", async () => {
    const path = await lockPath();
    const gone = await deadPid();
    await acquireRunLock({ path, holder: holder(gone) });
    const lock = await acquireRunLock({ path, holder: holder(process.pid) });
    expect(lock.replacedStale?.pid).toBe(gone);
    expect(JSON.parse(await readFile(path, "utf8")).pid).toBe(process.pid);
    await lock.release();
  });

  it("never takes over a lock of another host, even if the pid means nothing here", async () => {
    const path = await lockPath();
    await acquireRunLock({ path, holder: holder(await deadPid(), "host-b") });
    const failure = (await acquireRunLock({ path, holder: holder(process.pid, "host-a") }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("run-in-progress");
    expect(failure.fix).toContain(`delete ${path}`);
  });

  it("refuses, without deleting, a lock file it cannot read", async () => {
    const path = await lockPath();
    await acquireRunLock({ path, holder: holder(process.pid) });
    await writeFile(path, "garbage");
    const failure = (await acquireRunLock({ path, holder: holder(process.pid) }).catch(
      (e: unknown) => e,
    )) as HomelabError;
    expect(failure.code).toBe("run-in-progress");
    expect(await readFile(path, "utf8")).toBe("garbage");
  });

  terraform.it("refuses a concurrent run while tofu applies (real terraform), then the next", async () => {
    const workspace = await fixtureWorkspace();
    const path = workspace.layout.runLock;
    const runner = workspace.runner();
    const first = withRunLock({ path, holder: holder(process.pid) }, async () => {
      const plan = await runner.plan({ nodeNames: [] });
      const second = await withRunLock({ path, holder: holder(process.pid) }, async () => "ran").catch(
        (e: unknown) => e,
      );
      expect((second as HomelabError).code).toBe("run-in-progress");
      await runner.apply(plan, new Date("2025-02-01T00:00:00.000Z"));
      return "applied";
    });
    expect(await first).toBe("applied");
    expect(await withRunLock({ path, holder: holder(process.pid) }, async () => "next")).toBe("next");
  });
});
