// The artifact volume on a real libvirtd (QEMU driver, TCG): what phase B's OpenTofu resources
// will ask the provider for, done here with virsh — a raw volume filled by upload from the
// image homelab built, and two domains attaching it at once, read-only, with the disk serial
// the node's unit looks for. No guest boots (no kernel on these machines): the facts checked
// are libvirt's and QEMU's side — the bytes survive the upload, QEMU shares a read-only image
// between VMs, and the guest's virtio-blk device carries the serial that udev turns into
// /dev/disk/by-id/virtio-homelab-artifacts.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ARTIFACT_DISK_SERIAL, writeTarImage } from "../../src/artifacts/index.js";
import {
  acquireLibvirtd,
  type LibvirtdLease,
  TEST_IMAGES_DIR,
  TEST_LIBVIRT_URI,
} from "../support/libvirtd.js";
import { describeWithTools, LIBVIRT_TOOLS } from "../support/real-tools.js";
import { randomFile, sha256 } from "./fixtures.js";

const uri = TEST_LIBVIRT_URI;
const suffix = `${process.pid}-${Date.now().toString(36)}`;
const poolName = `homelab-test-artifacts-${suffix}`;
const volumeName = `lab-artifacts-${suffix}.tar`;
const domains = [1, 2].map((n) => `homelab-test-artifacts-${n}-${suffix}`);
let lease: LibvirtdLease;
let poolDir: string;
let workDir: string;

function virsh(...args: string[]): string {
  return execFileSync("virsh", ["-c", uri, ...args], {
    encoding: "utf8",
    env: { ...process.env, LC_ALL: "C" },
  });
}

/**
 * Defining a domain makes libvirtd probe QEMU's capabilities when its cache is stale, which takes
 * minutes under TCG on a loaded two-core machine (measured: 1–2.5 min per `virsh define`).
 */
const DEFINE_TIMEOUT_MS = 10 * 60_000;

describeWithTools(LIBVIRT_TOOLS, "the artifact volume on a real libvirtd", () => {
  beforeAll(async () => {
    lease = await acquireLibvirtd();
    workDir = mkdtempSync(join(TEST_IMAGES_DIR, "homelab-artifacts-work-"));
    poolDir = join(TEST_IMAGES_DIR, poolName);
    virsh("pool-define-as", poolName, "dir", "--target", poolDir);
    virsh("pool-build", poolName);
    virsh("pool-start", poolName);
    chmodSync(poolDir, 0o755);
  });

  afterAll(() => {
    for (const domain of domains) {
      spawnSync("virsh", ["-c", uri, "destroy", domain]);
      spawnSync("virsh", ["-c", uri, "undefine", domain]);
    }
    spawnSync("virsh", ["-c", uri, "vol-delete", volumeName, "--pool", poolName]);
    spawnSync("virsh", ["-c", uri, "pool-destroy", poolName]);
    spawnSync("virsh", ["-c", uri, "pool-undefine", poolName]);
    if (poolDir) rmSync(poolDir, { recursive: true, force: true });
    if (workDir) rmSync(workDir, { recursive: true, force: true });
    lease?.release();
  });

  it(
    "is uploaded as a raw volume and attached read-only, with its serial, to two VMs at once",
    async () => {
      const k3s = randomFile(workDir, "k3s", 2 * 1024 * 1024 + 11);
      const image = await writeTarImage(
        [{ name: "k3s", mode: 0o755, source: k3s.path, sha256: k3s.sha256 }],
        join(workDir, "volume.tar"),
      );
      writeFileSync(
        join(workDir, "volume.xml"),
        `<volume><name>${volumeName}</name><capacity>${image.bytes}</capacity><target><format type='raw'/></target></volume>`,
      );
      virsh("vol-create", poolName, join(workDir, "volume.xml"));
      virsh("vol-upload", volumeName, image.path, "--pool", poolName);
      virsh("vol-download", volumeName, join(workDir, "back.tar"), "--pool", poolName);
      expect(sha256(readFileSync(join(workDir, "back.tar")))).toBe(image.sha256);

      for (const domain of domains) {
        const xml = `<domain type='qemu'>
  <name>${domain}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
  <devices>
    <disk type='volume' device='disk'>
      <driver name='qemu' type='raw'/>
      <source pool='${poolName}' volume='${volumeName}'/>
      <target dev='vdb' bus='virtio'/>
      <readonly/>
      <serial>${ARTIFACT_DISK_SERIAL}</serial>
    </disk>
  </devices>
</domain>`;
        writeFileSync(join(workDir, `${domain}.xml`), xml);
        virsh("define", join(workDir, `${domain}.xml`));
        virsh("start", domain);
      }
      for (const domain of domains) {
        expect(virsh("domstate", domain).trim()).toBe("running");
        const pid = readFileSync(`/var/run/libvirt/qemu/${domain}.pid`, "utf8").trim();
        const devices = readFileSync(`/proc/${pid}/cmdline`, "utf8")
          .split("\0")
          .filter((arg) => arg.startsWith("{"))
          .map((arg) => JSON.parse(arg) as Record<string, unknown>);
        expect(devices).toContainEqual(
          expect.objectContaining({ driver: "virtio-blk-pci", serial: ARTIFACT_DISK_SERIAL }),
        );
        expect(devices).toContainEqual(expect.objectContaining({ driver: "raw", "read-only": true }));
      }
      // The uploaded image is untouched by two running readers.
      expect(sha256(readFileSync(join(poolDir, volumeName)))).toBe(image.sha256);
    },
    DEFINE_TIMEOUT_MS,
  );
});
