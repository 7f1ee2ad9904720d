import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, stat, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join } from "node:path";
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

async function bootId(): Promise<string> {
  return (await readFile("/proc/sys/kernel/random/boot_id", "utf8")).trim();
}

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
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject(holder(process.pid));
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

  // A lock is filled in right after its exclusive creation; one still empty or unreadable
  // seconds later was left by a homelab that died in between (or was damaged).
  const unreadable: readonly (readonly [string, string])[] = [
    ["empty", ""],
    ["garbage", "garbage"],
    ["truncated JSON", '{"pid": 12'],
    ["JSON without a holder", "{}\n"],
  ];
  for (const [kind, content] of unreadable) {
    it(`takes over an ${kind} lock older than a few seconds, and says so`, async () => {
      const path = await lockPath();
      await acquireRunLock({ path, holder: holder(process.pid) });
      await writeFile(path, content);
      const now = new Date();
      const old = new Date(now.getTime() - 30_000);
      await utimes(path, old, old);
      const lock = await acquireRunLock({
        path,
        holder: { ...holder(process.pid), startedAt: now.toISOString() },
      });
      expect(lock.staleNotice).toMatch(/took over a stale run lock: .* was (empty|unreadable) for 30s/);
      expect(JSON.parse(await readFile(path, "utf8")).pid).toBe(process.pid);
      await lock.release();
    });
  }

  it("refuses an unreadable lock written a moment ago (someone is creating it), without deleting it", async () => {
    const path = await lockPath();
    await acquireRunLock({ path, holder: holder(process.pid) });
    await writeFile(path, "");
    const failure = (await acquireRunLock({
      path,
      holder: { ...holder(process.pid), startedAt: new Date().toISOString() },
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("run-in-progress");
    expect(await readFile(path, "utf8")).toBe("");
  });

  it("takes over a lock whose pid now belongs to another process (pid reuse: start time differs)", async () => {
    const path = await lockPath();
    const other = sleeper();
    try {
      // The live sleeper's pid, but a start time it never had: the holder was an earlier process.
      await mkdir(dirname(path), { recursive: true });
      await writeFile(
        path,
        JSON.stringify({ ...holder(other.pid!, hostname()), startTime: "1", bootId: await bootId() }),
      );
      const lock = await acquireRunLock({ path, holder: holder(process.pid, hostname()) });
      expect(lock.replacedStale?.pid).toBe(other.pid);
      expect(lock.staleNotice).toContain("no longer running");
      await lock.release();
    } finally {
      other.kill();
    }
  });

  it("takes over a lock of this host from an earlier boot, even if its pid is alive now", async () => {
    const path = await lockPath();
    await mkdir(dirname(path), { recursive: true });
    await writeFile(
      path,
      JSON.stringify({ ...holder(process.pid, hostname()), bootId: "00000000-0000-0000-0000-000000000000" }),
    );
    const lock = await acquireRunLock({ path, holder: holder(process.pid, hostname()) });
    expect(lock.replacedStale?.pid).toBe(process.pid);
    await lock.release();
  });

  it("records the holder's start time and boot id, and a live holder with them is respected", async () => {
    const path = await lockPath();
    const other = sleeper();
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await acquireRunLock({ path, holder: holder(other.pid!, hostname()) });
      const recorded = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
      expect(recorded.startTime).toMatch(/^\d+$/);
      expect(recorded.bootId).toBe(await bootId());
      const failure = (await acquireRunLock({ path, holder: holder(process.pid, hostname()) }).catch(
        (e: unknown) => e,
      )) as HomelabError;
      expect(failure.code).toBe("run-in-progress");
    } finally {
      other.kill();
    }
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
