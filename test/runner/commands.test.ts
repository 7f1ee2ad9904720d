/**
 * The lifecycle commands in-process, with a real render of a scratch environment. Where a
 * step needs the libvirt provider (not downloadable here), the tests stop before it: they
 * check what a user sees before tofu would run.
 */
import { spawn } from "node:child_process";
import { access, mkdir, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import applyCommand from "../../src/cli/commands/apply/index.js";
import kubeconfigCommand from "../../src/cli/commands/kubeconfig/index.js";
import replaceCommand from "../../src/cli/commands/replace/index.js";
import sshCommand from "../../src/cli/commands/ssh/index.js";
import upCommand from "../../src/cli/commands/up/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { eventsOf, runCommand } from "./cli-harness.js";
import { testRepo } from "./environment-repo.js";

describeWithTools(["terraform"], "a second run while one holds the environment", () => {
  it("is refused with run-in-progress naming the holder, before rendering: the running apply's files stay", async () => {
    const repo = await testRepo("locktest", "hl-lock");
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      const lock = join(repo.env.HOMELAB_STATE_DIR!, "locktest", "run.lock");
      await mkdir(join(repo.env.HOMELAB_STATE_DIR!, "locktest"), { recursive: true });
      await writeFile(
        lock,
        JSON.stringify({
          pid: holder.pid,
          hostname: hostname(),
          startedAt: "2025-01-31T14:25:01.000Z",
          command: "homelab up locktest",
        }),
      );
      const run = await runCommand(applyCommand, ["locktest", "--yes"], repo);
      expect(run.status).toBe(1);
      expect(run.error?.code).toBe("run-in-progress");
      expect(run.error?.message).toBe(
        `another run holds this environment: \`homelab up locktest\` (pid ${holder.pid} on ${hostname()}, started 2025-01-31T14:25:01.000Z)`,
      );
      // Issue 14 (4): render used to run before the lock and rewrote what the holder applies.
      await expect(access(join(repo.cwd, ".homelab", "locktest", "main.tf.json"))).rejects.toThrow();
      expect(eventsOf(run, "output")).toEqual([]); // tofu never ran
    } finally {
      holder.kill();
    }
  });
});

describeWithTools(["terraform"], "homelab up on a host that cannot run it", () => {
  it("renders (the user sees the files), then stops at doctor with what is missing; no state", async () => {
    const repo = await testRepo("newuser", "hl-new", {
      libvirt: { uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock" },
    });
    const run = await runCommand(upCommand, ["newuser"], repo);
    expect(run.status).toBe(1);
    expect(run.error?.code).toBe("libvirt-unreachable");
    expect(run.error?.details.some((detail) => detail.message.startsWith("libvirt:"))).toBe(true);
    await access(join(repo.cwd, ".homelab", "newuser", "main.tf.json"));
    const doctor = eventsOf(run, "info").find((event) => event.event === "doctor");
    expect(doctor?.blocking).toBe(true);
    await expect(access(join(repo.env.HOMELAB_STATE_DIR!, "newuser", "tofu"))).rejects.toThrow(/ENOENT/);
    expect(eventsOf(run, "output")).toEqual([]);
  });
});

describe("commands that need an applied environment", () => {
  const cases = [
    { name: "ssh", module: sshCommand, argv: ["hl-na-server-1"] },
    { name: "kubeconfig", module: kubeconfigCommand, argv: ["notapplied"] },
  ];
  for (const testCase of cases) {
    it(`${testCase.name} says not-applied and how to create it`, async () => {
      const repo = await testRepo("notapplied", "hl-na");
      const run = await runCommand(testCase.module, testCase.argv, repo);
      expect(run.error?.code).toBe("not-applied");
      expect(run.error?.fix).toContain("homelab up notapplied");
    });
  }
});

describe("finding a node's environment", () => {
  it("names the environments and their prefixes when no prefix matches", async () => {
    const repo = await testRepo("findtest", "hl-find");
    const run = await runCommand(replaceCommand, ["k3s-other-agent-1"], repo);
    expect(run.error?.code).toBe("node-not-found");
    expect(run.error?.fix).toContain("findtest (hl-find-…)");
  });

  it("finds the environment by prefix, then names the nodes it has", async () => {
    const repo = await testRepo("findtest", "hl-find");
    const run = await runCommand(sshCommand, ["hl-find-agent-7"], repo);
    expect(run.error?.code).toBe("node-not-found");
    expect(run.error?.fix).toBe("Its nodes are: hl-find-server-1, hl-find-agent-1, hl-find-agent-2.");
  });
});
