/**
 * `homelab status` with VM states from a real libvirtd (QEMU driver, TCG domains named like
 * the environment's nodes) and Node objects from a FAKE Kubernetes API server.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import statusCommand from "../../src/cli/commands/status/index.js";
import { eventsOf, runCommand } from "../runner/cli-harness.js";
import { testRepo } from "../runner/environment-repo.js";
import {
  acquireLibvirtd,
  type LibvirtdLease,
  TEST_IMAGES_DIR,
  TEST_LIBVIRT_URI,
} from "../support/libvirtd.js";
import { describeWithTools, LIBVIRT_TOOLS } from "../support/real-tools.js";
import { type FakeKubeApi, fakeNode, startFakeKubeApi } from "./fake-kube-api.js";

const prefix = `hl-st-${process.pid.toString(36)}${Date.now().toString(36)}`;
const [server, agent1, agent2] = [`${prefix}-server-1`, `${prefix}-agent-1`, `${prefix}-agent-2`];
let lease: LibvirtdLease;
let fake: FakeKubeApi;
let workDir: string;

function virsh(...args: string[]): void {
  execFileSync("virsh", ["-c", TEST_LIBVIRT_URI, ...args], {
    stdio: "ignore",
    env: { ...process.env, LC_ALL: "C" },
  });
}

function defineDomain(name: string): void {
  const disk = join(workDir, `${name}.qcow2`);
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
  const xml = join(workDir, `${name}.xml`);
  writeFileSync(
    xml,
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>` +
      "<os><type arch='x86_64' machine='pc'>hvm</type></os>" +
      `<devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
  );
  virsh("define", xml);
}

/** The rows of the command's one result event. */
function resultRows(run: Awaited<ReturnType<typeof runCommand>>): Record<string, string>[] {
  const results = eventsOf(run, "result");
  expect(results).toHaveLength(1);
  return results[0]!.nodes as Record<string, string>[];
}

beforeAll(async () => {
  lease = await acquireLibvirtd();
  workDir = mkdtempSync(join(TEST_IMAGES_DIR, "homelab-status-"));
  chmodSync(workDir, 0o755);
  defineDomain(server);
  defineDomain(agent1);
  virsh("start", server);
  fake = await startFakeKubeApi();
  fake.nodes.set(server, fakeNode(server, "True"));
  fake.nodes.set(agent1, fakeNode(agent1, "False"));
});

afterAll(async () => {
  for (const name of [server, agent1]) {
    spawnSync("virsh", ["-c", TEST_LIBVIRT_URI, "destroy", name], { stdio: "ignore" });
    spawnSync("virsh", ["-c", TEST_LIBVIRT_URI, "undefine", name], { stdio: "ignore" });
  }
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  await fake?.close();
  lease?.release();
});

describeWithTools([...LIBVIRT_TOOLS, "openssl"], "homelab status", () => {
  it("joins libvirt's domain states and the Node objects into one row per node", async () => {
    const repo = await testRepo("statustest", prefix, { libvirt: { uri: TEST_LIBVIRT_URI } });
    await mkdir(join(repo.env.HOME!, ".kube"), { recursive: true });
    await writeFile(join(repo.env.HOME!, ".kube", "homelab-statustest.yaml"), fake.kubeconfig(), {
      mode: 0o600,
    });
    const run = await runCommand(statusCommand, ["statustest"], repo);
    expect(run.error).toBeUndefined();
    expect(eventsOf(run, "warning")).toEqual([]);
    const [result] = eventsOf(run, "result");
    expect(result?.nodes).toEqual([
      {
        node: server,
        role: "server",
        address: "192.168.231.10",
        vm: "running",
        kubernetes: "Ready",
        k3s: "v1.34.2+k3s1",
        flatcar: "4230.2.3",
      },
      {
        node: agent1,
        role: "agent",
        address: "192.168.231.20",
        vm: "shut off",
        kubernetes: "NotReady",
        k3s: "v1.34.2+k3s1",
        flatcar: "4230.2.3",
      },
      {
        node: agent2,
        role: "agent",
        address: "192.168.231.21",
        vm: "absent",
        kubernetes: "not registered",
        k3s: "-",
        flatcar: "-",
      },
    ]);
  });

  it("shows what it cannot read as unknown, with one warning line, and exits 0", async () => {
    const repo = await testRepo("statustest", prefix, {
      libvirt: { uri: "qemu+unix:///system?socket=/nonexistent/libvirt-sock" },
    });
    const run = await runCommand(statusCommand, ["statustest"], repo);
    expect(run.status).toBe(0);
    const warnings = eventsOf(run, "warning");
    expect(warnings).toHaveLength(1);
    expect(String(warnings[0]?.message)).toMatch(
      /^some cells are unknown\. VM states: .*; Kubernetes: no kubeconfig at /,
    );
    for (const row of resultRows(run)) {
      expect([row.vm, row.kubernetes, row.k3s, row.flatcar]).toEqual([
        "unknown",
        "unknown",
        "unknown",
        "unknown",
      ]);
    }
  });

  it("shows the Kubernetes columns as unknown when the API does not answer", async () => {
    const repo = await testRepo("statustest", prefix, { libvirt: { uri: TEST_LIBVIRT_URI } });
    await mkdir(join(repo.env.HOME!, ".kube"), { recursive: true });
    await writeFile(
      join(repo.env.HOME!, ".kube", "homelab-statustest.yaml"),
      fake.kubeconfig().replace(fake.url, "https://127.0.0.1:1"),
    );
    const run = await runCommand(statusCommand, ["statustest"], repo);
    const [warning] = eventsOf(run, "warning");
    expect(String(warning?.message)).toContain(
      "Kubernetes: the Kubernetes API at https://127.0.0.1:1 cannot be used",
    );
    expect(resultRows(run).map((row) => [row.vm, row.kubernetes])).toEqual([
      ["running", "unknown"],
      ["shut off", "unknown"],
      ["absent", "unknown"],
    ]);
  });
});
