// Against a real libvirtd with the QEMU driver (started by test/support/libvirtd.ts): a real
// TCG domain is defined, started, destroyed and undefined while domainStates reads it.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  domainStates,
  domainTypeSupport,
  libvirtReachable,
  listNetworks,
  listPools,
  poolTargetPath,
} from "../../src/libvirt/index.js";
import {
  acquireLibvirtd,
  type LibvirtdLease,
  TEST_IMAGES_DIR,
  TEST_LIBVIRT_URI,
} from "../support/libvirtd.js";
import { describeWithTools, LIBVIRT_TOOLS } from "../support/real-tools.js";

const uri = TEST_LIBVIRT_URI;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const domainName = `homelab-test-dom-${suffix}`;
const poolName = `homelab-test-pool-${suffix}`;
let lease: LibvirtdLease;
let workDir: string;
let poolDir: string;

function virshOk(...args: string[]): string {
  return execFileSync("virsh", ["-c", uri, ...args], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
}

function domainXml(disk: string): string {
  // TCG (type='qemu'): no KVM needed. A tiny blank disk and no network interface: the
  // guest only sits in the firmware, which is all a state test needs.
  return `<domain type='qemu'>
  <name>${domainName}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='${disk}'/>
      <target dev='vda' bus='virtio'/>
    </disk>
  </devices>
</domain>`;
}

beforeAll(async () => {
  lease = await acquireLibvirtd();
  workDir = mkdtempSync(join(TEST_IMAGES_DIR, "homelab-test-"));
  chmodSync(workDir, 0o755); // mkdtemp makes it 0700: the QEMU user could not reach the disk
  poolDir = join(workDir, "pool & co");
});

afterAll(() => {
  spawnSync("virsh", ["-c", uri, "destroy", domainName], { stdio: "ignore" });
  spawnSync("virsh", ["-c", uri, "undefine", domainName], { stdio: "ignore" });
  spawnSync("virsh", ["-c", uri, "pool-destroy", poolName], { stdio: "ignore" });
  spawnSync("virsh", ["-c", uri, "pool-undefine", poolName], { stdio: "ignore" });
  if (workDir) rmSync(workDir, { recursive: true, force: true });
  lease?.release();
});

describeWithTools(LIBVIRT_TOOLS, "libvirt layer against a real libvirtd", () => {
  it("reaches libvirt and reads its versions", async () => {
    const reachability = await libvirtReachable(uri);
    expect(reachability).toMatchObject({ reachable: true, hypervisor: expect.stringMatching(/^QEMU /) });
  });

  it("follows a real TCG domain through running, shut off and absent", async () => {
    const disk = join(workDir, "disk.qcow2");
    execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", disk, "16M"]);
    const xmlFile = join(workDir, "domain.xml");
    writeFileSync(xmlFile, domainXml(disk));

    expect(await domainStates(uri, [domainName])).toEqual(new Map([[domainName, "absent"]]));
    virshOk("define", xmlFile);
    expect((await domainStates(uri, [domainName])).get(domainName)).toBe("shut off");
    virshOk("start", domainName);
    const running = await domainStates(uri, [domainName, `${domainName}-missing`]);
    expect([...running.entries()]).toEqual([
      [domainName, "running"],
      [`${domainName}-missing`, "absent"],
    ]);
    virshOk("destroy", domainName);
    expect((await domainStates(uri, [domainName])).get(domainName)).toBe("shut off");
    virshOk("undefine", domainName);
    expect((await domainStates(uri, [domainName])).get(domainName)).toBe("absent");
  }, 240_000); // a real TCG domain boots: minutes when the machine is busy

  it("lists a real dir pool with its target path (XML-escaped characters included)", async () => {
    const poolXml = join(workDir, "pool.xml");
    writeFileSync(
      poolXml,
      `<pool type='dir'><name>${poolName}</name><target><path>${poolDir.replace(/&/g, "&amp;")}</path></target></pool>`,
    );
    virshOk("pool-define", poolXml);
    try {
      expect(await poolTargetPath(uri, poolName)).toBe(poolDir);
      expect(await poolTargetPath(uri, `${poolName}-missing`)).toBeUndefined();
      const pool = (await listPools(uri)).find((candidate) => candidate.name === poolName);
      expect(pool).toEqual({ name: poolName, active: false, type: "dir", targetPath: poolDir });
    } finally {
      virshOk("pool-undefine", poolName);
    }
  });

  it("lists networks without creating any", async () => {
    const networks = await listNetworks(uri);
    expect(Array.isArray(networks)).toBe(true);
    for (const network of networks) expect(typeof network.name).toBe("string");
  });

  it("asks libvirt whether TCG domains are supported", async () => {
    expect(await domainTypeSupport(uri, "qemu")).toMatchObject({
      supported: true,
      emulator: expect.stringContaining("qemu"),
    });
  });

  it("classifies a socket without a daemon as libvirt-unreachable", async () => {
    const missingSocket = `qemu+unix:///system?socket=${join(workDir, "no-daemon.sock")}`;
    const reachability = await libvirtReachable(missingSocket);
    expect(reachability.reachable).toBe(false);
    if (!reachability.reachable) expect(reachability.error.code).toBe("libvirt-unreachable");
    await expect(domainStates(missingSocket, ["x"])).rejects.toMatchObject({ code: "libvirt-unreachable" });
  });
});
