import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { serializeLock } from "../../src/lock/index.js";
import { imageArchiveBytes } from "../../src/oci/image-archive.js";
import { KUBE_VIP_IMAGE } from "../../src/registration/index.js";
import { homelabOffline as homelab, randomFile, scratch } from "../artifacts/fixtures.js";
import { testImage } from "../support/oci-image.js";
import { describeWithTools } from "../support/real-tools.js";

const REPO = resolve(import.meta.dirname, "..", "..");
const K3S_VERSION = "v1.34.10+k3s1";

/** A project with the environment, a lock naming the stand-ins, and (optionally) the cache. */
function project(cached: boolean): string {
  const dir = scratch("cli-render-artifacts");
  mkdirSync(join(dir, "environments"));
  mkdirSync(join(dir, "home"));
  const artifacts = join(dir, "cache", "artifacts", "k3s", K3S_VERSION);
  mkdirSync(artifacts, { recursive: true });
  const k3s = randomFile(cached ? artifacts : dir, "k3s", 2 * 1024 * 1024);
  const images = randomFile(cached ? artifacts : dir, "k3s-airgap-images-amd64.tar.zst", 1024 * 1024);
  // kube-vip's image, as `lock --update` would have archived it (offline delivers it).
  const kubeVip = testImage(KUBE_VIP_IMAGE.reference, "kube-vip stand-in\n");
  const kubeVipArchive = imageArchiveBytes(kubeVip);
  if (cached) {
    const imageDir = join(dir, "cache", "artifacts", "images", "kube-vip");
    mkdirSync(imageDir, { recursive: true });
    writeFileSync(join(imageDir, `${kubeVip.manifest.digest.slice(7)}.tar`), kubeVipArchive);
  }
  const environment = {
    name: "lab",
    prefix: "lab",
    network: { mode: "bridge", bridge: "br0", cidr: "127.0.0.0/24", gateway: "127.0.0.254" },
    hosts: {
      hv1: { uri: "qemu+ssh://core@127.0.0.1/system" },
      hv2: { uri: "qemu+ssh://core@127.0.0.2/system" },
      hv3: { uri: "qemu+ssh://core@127.0.0.3/system" },
    },
    offline: true,
    servers: { count: 3 },
    agents: { count: 1 },
    ssh: { authorizedKeys: [] },
    k3s: { version: K3S_VERSION },
  };
  writeFileSync(join(dir, "environments", "lab.json"), `${JSON.stringify(environment, null, 2)}\n`);
  const real = JSON.parse(readFileSync(join(REPO, "homelab.lock.json"), "utf8"));
  const entry = real.environments.development;
  writeFileSync(
    join(dir, "homelab.lock.json"),
    serializeLock({
      lockfileVersion: 1,
      environments: {
        lab: {
          ...entry,
          k3s: {
            ...entry.k3s,
            binary: { ...entry.k3s.binary, sha256: k3s.sha256 },
            airgapImages: { url: "https://example.invalid/images.tar.zst", sha256: images.sha256 },
          },
          images: {
            "kube-vip": {
              reference: KUBE_VIP_IMAGE.reference,
              digest: kubeVip.manifest.digest,
              archive: { sha256: createHash("sha256").update(kubeVipArchive).digest("hex") },
            },
          },
        },
      },
    }),
  );
  return dir;
}

beforeAll(() => {
  if (!existsSync(join(REPO, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
});

describeWithTools(["root", "unshare"], "homelab render with hosts and the artifact volume", () => {
  it("renders every host; the summary names each node's host and the volume", () => {
    const dir = project(true);
    const run = homelab(dir, ["render", "lab"]);
    expect(run.stderr).not.toContain("warning");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/NODE\s+ROLE\s+HOST\s+ADDRESS/);
    expect(run.stdout).toMatch(/lab-server-2\s+server \(joins\)\s+hv2/);
    expect(run.stdout).toMatch(/artifacts\s+volume cache\/artifacts\/volumes\/[0-9a-f]{64}\.tar \(\d+ MiB\)/);
    expect(run.stdout).toContain("the nodes download nothing");
    expect(run.stdout).toMatch(/hosts\s+hv1 qemu\+ssh:\/\/core@127\.0\.0\.1\/system, hv2 /);
    const main = JSON.parse(readFileSync(join(dir, ".homelab", "lab", "main.tf.json"), "utf8"));
    expect(Object.keys(main.resource.libvirt_volume).sort()).toEqual(
      ["artifacts", "disk", "flatcar_base", "ignition"]
        .flatMap((kind) => ["hv1", "hv2", "hv3"].map((h) => `${kind}_${h}`))
        .sort(),
    );
  });

  it("refuses an empty cache: located, with the fix and the page, nothing written", () => {
    const dir = project(false);
    const run = homelab(dir, ["render", "lab"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[artifact-not-cached]");
    expect(run.stderr).toContain("environments.lab.k3s.airgapImages.sha256");
    expect(run.stderr).toContain("homelab artifacts lab");
    expect(run.stderr).toContain("docs/common-errors/artifact-not-cached.md");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, ".homelab", "lab"))).toBe(false);
  });
});
