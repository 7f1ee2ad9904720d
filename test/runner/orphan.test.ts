/**
 * What the next homelab run does with a tofu run that an earlier homelab left behind
 * (src/runner/orphan.ts): real processes stand in for the orphaned tofu (a shell that appends
 * to its log), identified by pid, /proc start time and boot id (src/runner/process-identity.ts).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { appendFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { HomelabError } from "../../src/errors/index.js";
import { manualInterrupts } from "../../src/runner/interrupt.js";
import { awaitOrphanedTofu, writeRunningTofu } from "../../src/runner/orphan.js";
import {
  identifyProcess,
  parseStartTime,
  parseState,
  processStatus,
} from "../../src/runner/process-identity.js";

async function scratch() {
  const dir = await mkdtemp(join(tmpdir(), "homelab-orphan-"));
  return { dir, record: join(dir, "running.json"), log: join(dir, "apply.log") };
}

/** A detached shell standing in for tofu: appends `lines` to `log`, one after every `everyMs`. */
function fakeTofu(log: string, lines: readonly string[], everyMs: number): ChildProcess {
  const script = lines.map((line) => `sleep ${everyMs / 1000}; echo '${line}' >> '${log}'`).join("; ");
  return spawn("/bin/sh", ["-c", script], { detached: true, stdio: "ignore" });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once("exit", () => resolve())));

describe("process identity (/proc)", () => {
  it.each([
    ["1234 (tofu) S 1 1234 1234 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 12 0 987654 0 0", "987654", "S"],
    ["77 (a) b) (c) Z 1 77 77 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0 0", "42", "Z"],
    ["garbage", undefined, undefined],
  ])("reads start time and state after the last parenthesis: %s", (stat, startTime, state) => {
    expect(parseStartTime(stat)).toBe(startTime);
    expect(parseState(stat)).toBe(state);
  });

  it("knows a live process, a dead one, a reused pid, another boot and another host", async () => {
    const child = spawn("/bin/sleep", ["30"], { stdio: "ignore" });
    try {
      await new Promise((resolve) => setTimeout(resolve, 50));
      const identity = await identifyProcess(child.pid!);
      expect(identity.startTime).toMatch(/^\d+$/);
      expect(await processStatus(identity)).toBe("alive");
      expect(await processStatus({ ...identity, startTime: "1" })).toBe("gone");
      expect(await processStatus({ ...identity, bootId: "another-boot" })).toBe("gone");
      expect(await processStatus({ ...identity, hostname: `not-${hostname()}` })).toBe("elsewhere");
    } finally {
      child.kill();
    }
    await exited(child);
    expect(await processStatus({ pid: child.pid!, hostname: hostname() })).toBe("gone");
  });
});

describe("an orphaned tofu run", () => {
  it("is waited for while it runs: its new log lines are shown, then what became of it", async () => {
    const paths = await scratch();
    await writeFile(paths.log, "Plan: 3 to add\n");
    const orphan = fakeTofu(paths.log, ["Creating...", "Apply complete! Resources: 3 added"], 400);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await writeRunningTofu(paths.record, {
      ...(await identifyProcess(orphan.pid!)),
      program: "tofu",
      subcommand: "apply",
      logFile: paths.log,
      homelabPid: 999_999,
    });
    const output: string[] = [];
    const notices: string[] = [];
    await awaitOrphanedTofu({
      recordPath: paths.record,
      onOutput: (line) => output.push(line),
      onNotice: (message) => notices.push(message),
      pollMs: 50,
    });
    expect(orphan.exitCode).toBe(0);
    expect(output).toEqual(["Creating...", "Apply complete! Resources: 3 added"]);
    expect(notices[0]).toMatch(/^`tofu apply` \(pid \d+, started by homelab pid 999999\) is still running/);
    expect(notices[1]).toContain("has finished (its last line: Apply complete! Resources: 3 added)");
    expect(notices[1]).toContain(paths.log);
    expect(existsSync(paths.record)).toBe(false);
  });

  it("that has already ended is reported with its log and forgotten", async () => {
    const paths = await scratch();
    await writeFile(paths.log, "Error: something broke\n");
    const done = spawn("/bin/true");
    await exited(done);
    await writeRunningTofu(paths.record, {
      pid: done.pid!,
      hostname: hostname(),
      program: "terraform",
      subcommand: "apply",
      logFile: paths.log,
      homelabPid: 999_999,
    });
    const notices: string[] = [];
    await awaitOrphanedTofu({
      recordPath: paths.record,
      onOutput: () => undefined,
      onNotice: (m) => notices.push(m),
    });
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain("has finished (its last line: Error: something broke)");
    expect(existsSync(paths.record)).toBe(false);
  });

  it("of another host is not waited for: tofu-orphaned, saying where and how to recover", async () => {
    const paths = await scratch();
    await writeRunningTofu(paths.record, {
      pid: 4242,
      hostname: "workstation-b",
      program: "tofu",
      subcommand: "apply",
      logFile: paths.log,
      homelabPid: 4241,
    });
    const failure = (await awaitOrphanedTofu({
      recordPath: paths.record,
      onOutput: () => undefined,
      onNotice: () => undefined,
    }).catch((e: unknown) => e)) as HomelabError;
    expect(failure.code).toBe("tofu-orphaned");
    expect(failure.message).toContain("started on workstation-b");
    expect(failure.fix).toContain(`delete ${paths.record}`);
    expect(existsSync(paths.record)).toBe(true);
  });

  it("gets one SIGINT on the first Ctrl-C; a second Ctrl-C stops waiting with tofu-orphaned", async () => {
    const paths = await scratch();
    // Stands in for tofu's graceful stop: on SIGINT it writes its state line, then keeps running
    // (still "writing state") until killed.
    const orphan = spawn(
      "/bin/sh",
      ["-c", `trap 'echo stopping >> ${paths.log}' INT; while true; do sleep 0.1; done`],
      { detached: true, stdio: "ignore" },
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await writeRunningTofu(paths.record, {
        ...(await identifyProcess(orphan.pid!)),
        program: "tofu",
        subcommand: "apply",
        logFile: paths.log,
        homelabPid: 999_999,
      });
      await appendFile(paths.log, "");
      const interrupts = manualInterrupts();
      const output: string[] = [];
      const waiting = awaitOrphanedTofu({
        recordPath: paths.record,
        onOutput: (line) => output.push(line),
        onNotice: () => undefined,
        interrupts,
        pollMs: 50,
      }).catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 200));
      interrupts.interrupt();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await readFile(paths.log, "utf8")).toBe("stopping\n");
      expect(output).toEqual(["stopping"]);
      interrupts.interrupt();
      const failure = (await waiting) as HomelabError;
      expect(failure.code).toBe("tofu-orphaned");
      expect(failure.fix).toContain(`tail -f ${paths.log}`);
      expect(failure.fix).toContain(`ps -p ${orphan.pid}`);
    } finally {
      orphan.kill("SIGKILL");
    }
  });
});
