import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FLATCAR_FW_CFG_NAME, synthesizeTofu, type TfValue } from "../../src/tofu/index.js";
import { expr } from "../../src/tofu/tf-json.js";
import {
  acquireLibvirtd,
  type LibvirtdLease,
  TEST_IMAGES_DIR,
  TEST_LIBVIRT_URI,
} from "../support/libvirtd.js";
import { describeWithTools, LIBVIRT_TOOLS } from "../support/real-tools.js";
import { planFixture, synthesisOptions } from "./plan-fixture.js";

/**
 * The libvirt objects main.tf.json asks for, created on a real libvirtd with the QEMU driver and
 * started under TCG: a dir pool, a qcow2 base volume filled by upload, a qcow2 overlay with the
 * base as backing store, an Ignition volume filled by upload, and a domain with ACPI, the
 * fw_cfg entry pointing at the Ignition volume's path, a volume disk and a serial console.
 *
 * The provider itself cannot run here (no download), so its XML is modelled: the XML below is
 * what its converter makes of the synthesized attributes (libvirt's domain and storage XML, one
 * element per attribute). What this proves is libvirt's side: QEMU really gets
 * `-fw_cfg name=opt/org.flatcar-linux/config,file=<pool>/<volume>`, the overlay's backing chain
 * reaches the base, and `virsh console` has a pty. The network is left out: tests create no
 * bridges or DHCP servers on this machine.
 */

const uri = TEST_LIBVIRT_URI;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const poolName = `homelab-test-shape-${suffix}`;
let lease: LibvirtdLease;
let poolDir: string;
let workDir: string;

const plan = planFixture({ servers: 1, agents: 0, machine: "qemu" });
const node = plan.nodes[0];
if (!node) throw new Error("fixture has no node");
const domainName = `homelab-test-${suffix}`;
const document = synthesizeTofu(plan, synthesisOptions(plan));
const volumes = document.resource.libvirt_volume ?? {};
const domain = document.resource.libvirt_domain?.node ?? {};
const local = (document.locals.nodes as Record<string, Record<string, number | string>>)[node.name] ?? {};

function virsh(...args: string[]): string {
  return execFileSync("virsh", ["-c", uri, ...args], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
}

function get(value: TfValue | undefined, ...path: (string | number)[]): TfValue | undefined {
  let current: TfValue | undefined = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, TfValue>)[key as string];
  }
  return current;
}

function volumeXml(name: string, format: string, capacity: number, backing?: string): string {
  return `<volume><name>${name}</name><capacity>${capacity}</capacity><target><format type='${format}'/></target>${
    backing ? `<backingStore><path>${backing}</path><format type='qcow2'/></backingStore>` : ""
  }</volume>`;
}

beforeAll(async () => {
  lease = await acquireLibvirtd();
  workDir = mkdtempSync(join(TEST_IMAGES_DIR, "homelab-shape-work-"));
  poolDir = join(TEST_IMAGES_DIR, poolName);
  // libvirt_pool: type dir, target.path, create {build, start, autostart}.
  const pool = document.resource.libvirt_pool?.cluster ?? {};
  expect([pool.type, get(pool.create as TfValue, "build"), get(pool.create as TfValue, "start")]).toEqual([
    "dir",
    true,
    true,
  ]);
  virsh("pool-define-as", poolName, "dir", "--target", poolDir);
  virsh("pool-build", poolName);
  virsh("pool-start", poolName);
  chmodSync(poolDir, 0o755);
});

afterAll(async () => {
  // Runs even when beforeAll failed half-way (or virsh is missing: spawnSync's stdout is then
  // null), so every step tolerates what was never created.
  const quietly = (...args: string[]) => spawnSync("virsh", ["-c", uri, ...args], { encoding: "utf8" });
  quietly("destroy", domainName);
  quietly("undefine", domainName);
  for (const volume of (quietly("vol-list", poolName, "--name").stdout ?? "").split("\n").filter(Boolean)) {
    quietly("vol-delete", volume.trim(), "--pool", poolName);
  }
  quietly("pool-destroy", poolName);
  quietly("pool-undefine", poolName);
  if (poolDir) rmSync(poolDir, { recursive: true, force: true });
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  lease?.release();
});

describeWithTools(LIBVIRT_TOOLS, "the synthesized shape on a real libvirtd (TCG)", () => {
  const bases = document.locals.base_images as Record<string, { name: string }>;
  const baseName = String(Object.values(bases)[0]?.name);
  const diskName = String(local.disk_volume);
  const ignitionName = String(local.ignition_volume);
  const ignition = `${JSON.stringify({ ignition: { version: "3.3.0" } })}\n`;

  it("creates the base by upload, the overlay on it and the Ignition volume by upload", () => {
    // flatcar_base: format qcow2, content uploaded from a local qcow2 file.
    expect(get(volumes.flatcar_base?.target as TfValue, "format", "type")).toBe("qcow2");
    const image = join(workDir, "flatcar.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", image, "64M"]);
    const size = statSync(image).size;
    writeFileSync(join(workDir, "base.xml"), volumeXml(baseName, "qcow2", size));
    virsh("vol-create", poolName, join(workDir, "base.xml"));
    virsh("vol-upload", baseName, image, "--pool", poolName);
    const basePath = virsh("vol-path", baseName, "--pool", poolName).trim();

    // disk: qcow2, capacity in bytes, backing_store {path = base path, format qcow2}.
    expect(get(volumes.disk?.backing_store as TfValue, "format", "type")).toBe("qcow2");
    writeFileSync(
      join(workDir, "disk.xml"),
      volumeXml(diskName, "qcow2", Number(local.disk_bytes), basePath),
    );
    virsh("vol-create", poolName, join(workDir, "disk.xml"));

    // ignition: raw, uploaded from the rendered file.
    expect(get(volumes.ignition?.target as TfValue, "format", "type")).toBe("raw");
    const file = join(workDir, "node.ign");
    writeFileSync(file, ignition);
    writeFileSync(join(workDir, "ignition.xml"), volumeXml(ignitionName, "raw", Buffer.byteLength(ignition)));
    virsh("vol-create", poolName, join(workDir, "ignition.xml"));
    virsh("vol-upload", ignitionName, file, "--pool", poolName);

    const diskPath = virsh("vol-path", diskName, "--pool", poolName).trim();
    const chain = execFileSync("qemu-img", ["info", "-U", "--backing-chain", diskPath], { encoding: "utf8" });
    expect(chain).toContain(`backing file: ${basePath}`);
    expect(chain).toContain(`virtual size: ${Number(local.disk_bytes) / 1024 ** 3} GiB`);
    expect(readFileSync(join(poolDir, ignitionName), "utf8")).toBe(ignition);
  });

  it("starts the domain; QEMU gets the Ignition volume through fw_cfg and a serial console", () => {
    const fwCfg = get(domain.sys_info as TfValue, 0, "fw_cfg", "entry", 0);
    expect(get(fwCfg, "name")).toBe(FLATCAR_FW_CFG_NAME);
    expect(get(domain.features as TfValue, "acpi")).toBe(true);
    expect(domain.memory_unit).toBe("KiB");
    const disk = get(domain.devices as TfValue, "disks", 0);
    const console = get(domain.devices as TfValue, "consoles", 0);
    const ignitionPath = virsh("vol-path", ignitionName, "--pool", poolName).trim();
    const xml = `<domain type='qemu'>
  <name>${domainName}</name>
  <description>${String(domain.description).replace(expr("each.value.role"), node.role)}</description>
  <memory unit='${domain.memory_unit}'>${local.memory_kib}</memory>
  <vcpu>${local.vcpu}</vcpu>
  <sysinfo type='fwcfg'><entry name='${get(fwCfg, "name")}' file='${ignitionPath}'/></sysinfo>
  <os><type>${get(domain.os as TfValue, "type")}</type><boot dev='${get(domain.os as TfValue, "boot_devices", 0, "dev")}'/></os>
  <features>${domain.features && get(domain.features as TfValue, "acpi") ? "<acpi/>" : ""}</features>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='${get(disk, "driver", "name")}' type='${get(disk, "driver", "type")}'/>
      <source pool='${poolName}' volume='${diskName}'/>
      <target dev='${get(disk, "target", "dev")}' bus='${get(disk, "target", "bus")}'/>
    </disk>
    <console><target type='${get(console, "target", "type")}' port='${get(console, "target", "port")}'/></console>
  </devices>
</domain>`;
    writeFileSync(join(workDir, "domain.xml"), xml);
    virsh("define", join(workDir, "domain.xml"));
    virsh("start", domainName);

    const pid = readFileSync(`/var/run/libvirt/qemu/${domainName}.pid`, "utf8").trim();
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
    expect(commandLine).toContain("-fw_cfg");
    expect(commandLine).toContain(`name=${FLATCAR_FW_CFG_NAME},file=${ignitionPath}`);
    // The serial console exists and has a pty: `virsh console <node>` attaches to it.
    expect(virsh("ttyconsole", domainName).trim()).toMatch(/^\/dev\/pts\/\d+$/);
    expect(virsh("dumpxml", domainName)).toMatch(/<console type='pty'/);
  }, 240_000); // a real TCG domain boots: minutes when the machine is busy
});
