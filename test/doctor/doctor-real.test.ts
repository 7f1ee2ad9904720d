// homelab doctor against the real host: a real libvirtd with QEMU (started by
// test/support/libvirtd.ts), real virsh, real files and permissions. The pool-permission
// verdict is cross-checked by starting a real TCG domain whose disk sits in that directory.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  createHostProbes,
  type DoctorReport,
  formatDoctorReport,
  runDoctor,
} from "../../src/doctor/index.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { planCluster } from "../../src/plan/index.js";
import { acquireLibvirtd, type LibvirtdLease, TEST_LIBVIRT_URI } from "../support/libvirtd.js";
import { LIBVIRT_TOOLS, withTools } from "../support/real-tools.js";

// Doctor passes on this host only with everything it checks installed.
const realHost = withTools([...LIBVIRT_TOOLS, "dnsmasq", "ssh", "ssh-keygen", "terraform"]);
const uri = TEST_LIBVIRT_URI;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const root = join(import.meta.dirname, "..", "..");
let lease: LibvirtdLease;
let scratch: string;
const cleanup: string[][] = [];

function environmentInput(poolPath: string) {
  return {
    name: "doctortest",
    prefix: "hl-doctor",
    libvirt: { uri },
    machine: { type: "qemu" as const }, // TCG: /dev/kvm is not dependable on test machines
    pool: { name: `hl-doctor-${suffix}`, path: poolPath },
    // A range the test host does not use; only read, never created.
    network: { mode: "nat" as const, cidr: "192.168.231.0/24" },
    servers: { count: 1, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
    agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
    ssh: { authorizedKeys: [] },
  };
}

async function doctor(poolPath: string): Promise<DoctorReport> {
  const environment = EnvironmentSchema.parse(environmentInput(poolPath));
  const plan = planCluster(environment, { file: "environments/doctortest.json" });
  const probes = createHostProbes({ searchPath: process.env.PATH, home: scratch });
  return runDoctor(plan, { probes, image: { cacheDir: join(scratch, "cache"), cached: false } });
}

const statusOf = (report: DoctorReport, id: string) => report.checks.find((check) => check.id === id);

/** Starts a tiny TCG domain whose disk lives in `directory`; resolves with virsh's stderr ("" when it ran). */
function tryStartDomain(directory: string, name: string): string {
  const disk = join(directory, `${name}.qcow2`);
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "8M"]);
  const xml = join(scratch, `${name}.xml`);
  writeFileSync(
    xml,
    `<domain type='qemu'><name>${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
      <os><type arch='x86_64' machine='pc'>hvm</type></os>
      <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${disk}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`,
  );
  execFileSync("virsh", ["-c", uri, "define", xml], { stdio: "ignore" });
  cleanup.push(["undefine", name], ["destroy", name]);
  const started = spawnSync("virsh", ["-c", uri, "start", name], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
  return started.status === 0 ? "" : started.stderr;
}

beforeAll(async () => {
  lease = await acquireLibvirtd();
  scratch = mkdtempSync(join(tmpdir(), "homelab-doctor-"));
  chmodSync(scratch, 0o755);
});

afterAll(() => {
  for (const args of cleanup.reverse()) spawnSync("virsh", ["-c", uri, ...args], { stdio: "ignore" });
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  lease?.release();
});

realHost.describe("doctor on this host with a running libvirtd", () => {
  it("passes what is there (pool to be created under a reachable directory)", async () => {
    const report = await doctor(join(scratch, "pools", "ok"));
    const failures = report.checks.filter((check) => check.status === "failure");
    expect(failures, formatDoctorReport(report)).toEqual([]);
    expect(report.blocking).toBe(false);
    expect(statusOf(report, "libvirt")?.summary).toMatch(
      /libvirt answers at qemu:\/\/\/system \(libvirt \d+\.\d+\.\d+, QEMU \d/,
    );
    expect(statusOf(report, "virtualization")).toMatchObject({
      status: "ok",
      summary: expect.stringMatching(/TCG/),
    });
    expect(statusOf(report, "pool")).toMatchObject({
      status: "ok",
      summary: expect.stringMatching(/will be created/),
    });
    expect(statusOf(report, "dnsmasq")).toMatchObject({ status: "ok" });
    expect(statusOf(report, "network")).toMatchObject({
      status: "ok",
      summary: "192.168.231.0/24 is free on this host",
    });
    expect(statusOf(report, "ssh")).toMatchObject({ status: "ok" });
    expect(statusOf(report, "tofu")).toMatchObject({
      status: "ok",
      summary: expect.stringMatching(/^(OpenTofu|Terraform) \d/),
    });
  });

  it("fails an unreadable pool path, and a real QEMU agrees", async () => {
    const locked = join(scratch, "private");
    mkdirSync(join(locked, "pool"), { recursive: true });
    chmodSync(locked, 0o700); // root only: the QEMU user (libvirt-qemu) cannot traverse it
    const report = await doctor(join(locked, "pool"));
    const pool = statusOf(report, "pool");
    expect(pool).toMatchObject({ status: "failure", code: "pool-path-not-traversable" });
    expect(pool?.summary).toContain(`cannot traverse ${locked} (drwx------ uid 0 gid 0)`);
    expect(report.blocking).toBe(true);
    // The tests run as root, and root's commands carry no sudo.
    expect(formatDoctorReport(report)).toContain(`    setfacl -m u:libvirt-qemu:x ${locked}`);

    // Reality check: QEMU really cannot open a disk there…
    expect(tryStartDomain(join(locked, "pool"), `hl-doctor-denied-${suffix}`)).toMatch(/Permission denied/);
    // …and after the fix doctor proposes (search permission for others), doctor and QEMU both agree it works.
    chmodSync(locked, 0o701);
    expect(statusOf(await doctor(join(locked, "pool")), "pool")?.status).toBe("ok");
    expect(tryStartDomain(join(locked, "pool"), `hl-doctor-allowed-${suffix}`)).toBe("");
  }, 240_000); // two real TCG domain starts: slow when the machine is busy

  it("finds a real libvirt pool that already uses the directory", async () => {
    const path = join(scratch, "pools", "taken");
    const other = `hl-doctor-other-${suffix}`;
    const xml = join(scratch, "other-pool.xml");
    writeFileSync(xml, `<pool type='dir'><name>${other}</name><target><path>${path}</path></target></pool>`);
    execFileSync("virsh", ["-c", uri, "pool-define", xml], { stdio: "ignore" });
    cleanup.push(["pool-undefine", other]);
    const pool = statusOf(await doctor(path), "pool");
    expect(pool).toMatchObject({
      status: "failure",
      code: "pool-conflict",
      summary: `libvirt pool "${other}" already uses ${path}`,
    });
  });

  it("`homelab doctor` (the built CLI) prints one line per check and exits 0", () => {
    const cli = join(root, "bin", "homelab.js");
    expect(
      existsSync(join(root, "dist", "cli", "main.js")),
      "dist/ is missing: run `npm run build` (npm test does)",
    ).toBe(true);
    const envFile = join(scratch, "doctortest.json");
    writeFileSync(envFile, JSON.stringify(environmentInput(join(scratch, "pools", "cli"))));
    const run = spawnSync(process.execPath, [cli, "doctor", envFile], {
      encoding: "utf8",
      cwd: scratch,
      env: { ...process.env, HOMELAB_CACHE_DIR: join(scratch, "cache") },
    });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^homelab doctor: doctortest \(qemu:\/\/\/system\)/);
    for (const label of [
      "OpenTofu",
      "libvirt",
      "QEMU/KVM",
      "storage pool",
      "AppArmor/SELinux",
      "dnsmasq",
      "network",
      "SSH",
      "disk space",
      "libvirt provider",
    ]) {
      expect(
        lines.some((line) => new RegExp(`^[✔⚠] ${label.replace("/", "\\/")}\\s`).test(line)),
        label,
      ).toBe(true);
    }
    // The verdict; a note on which distribution's commands are shown may follow it.
    expect(lines.some((line) => /^This host can run doctortest\./.test(line))).toBe(true);
  });
});
