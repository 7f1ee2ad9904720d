import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { remoteSources } from "../src/artifacts/index.js";
import type { EnvironmentInput } from "../src/environment/schema.js";
import { parseLock } from "../src/lock/index.js";
import { imageArchiveBytes } from "../src/oci/image-archive.js";
import { KUBE_VIP_IMAGE } from "../src/registration/index.js";
import { prepareRender, type RenderOptions } from "../src/render/index.js";
import { generateSshKeyPair } from "../src/secrets/index.js";
import { archiveInputOf } from "../test/support/oci-image.js";
import { buildImage } from "../test/support/oci-registry.js";

/**
 * `homelab render` of a 3-host, 100-node environment (3 servers, 97 agents), and the bytes
 * each node downloads from the internet at first boot — from the rendered Ignition: the sum of
 * its remote sources' sizes. Three variants:
 *   - "downloads": no artifact volume, Ignition fetches k3s (as a single host always did);
 *   - "artifacts: {}": k3s from the volume (its stand-in verified on every render);
 *   - "offline": k3s, the air-gap images and kube-vip's image from the volume, no remote source allowed.
 * Stand-in artifacts of the real sizes (k3s v1.34.10 amd64 80.9 MB, the air-gap archive of the
 * same release ~170 MB; kube-vip's image a stand-in with a 20 MB layer, its real size not measured
 * here) sit in the cache; the lock names their hashes. Goal: under 2 s of
 * homelab's own time, and 0 bytes downloaded per node with the volume.
 */

const K3S_VERSION = "v1.34.10+k3s1";
const K3S_BYTES = 80_900_000;
const AIRGAP_BYTES = 170_000_000;
const BENCH_KEY = generateSshKeyPair("bench").publicKey.trim();
const root = mkdtempSync(join(tmpdir(), "homelab-bench-scale-out-"));
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

const k3s = randomBytes(K3S_BYTES);
const images = randomBytes(AIRGAP_BYTES);
const cacheRoot = join(root, "cache");
const artifactDir = join(cacheRoot, "artifacts", "k3s", K3S_VERSION);
mkdirSync(artifactDir, { recursive: true });
writeFileSync(join(artifactDir, "k3s"), k3s);
writeFileSync(join(artifactDir, "k3s-airgap-images-amd64.tar.zst"), images);
// kube-vip's image (offline): a stand-in image of KUBE_VIP_LAYER_BYTES, archived as lock --update would.
const KUBE_VIP_LAYER_BYTES = 20_000_000;
const kubeVip = archiveInputOf(
  KUBE_VIP_IMAGE.reference,
  buildImage({ seed: 7, layerCount: 1, layerContentSize: KUBE_VIP_LAYER_BYTES }),
);
const kubeVipArchive = imageArchiveBytes(kubeVip);
const kubeVipDir = join(cacheRoot, "artifacts", "images", "kube-vip");
mkdirSync(kubeVipDir, { recursive: true });
writeFileSync(join(kubeVipDir, `${kubeVip.manifest.digest.slice(7)}.tar`), kubeVipArchive);

const VARIANTS = {
  downloads: {},
  "artifacts: {}": { artifacts: {} },
  offline: { offline: true },
} as const satisfies Record<string, Partial<EnvironmentInput>>;
type Variant = keyof typeof VARIANTS;

function environment(name: string, extra: Partial<EnvironmentInput>): EnvironmentInput {
  return {
    name,
    prefix: name,
    network: { mode: "bridge", bridge: "br0", cidr: "10.100.0.0/22", gateway: "10.100.0.1" },
    hosts: {
      hv1: { uri: "qemu+ssh://core@hv1.home.arpa/system" },
      hv2: { uri: "qemu+ssh://core@hv2.home.arpa/system" },
      hv3: { uri: "qemu+ssh://core@hv3.home.arpa/system" },
    },
    servers: { count: 3, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
    agents: { count: 97, vcpu: 2, memoryMiB: 2048, diskGiB: 20 },
    ssh: { authorizedKeys: [BENCH_KEY] },
    k3s: { version: K3S_VERSION },
    ...extra,
  };
}

const lockText = readFileSync(join(import.meta.dirname, "..", "homelab.lock.json"), "utf8");
function lockFor(name: string) {
  const real = JSON.parse(lockText);
  const entry = real.environments.development;
  return parseLock(
    JSON.stringify({
      ...real,
      environments: {
        [name]: {
          ...entry,
          k3s: {
            ...entry.k3s,
            binary: { ...entry.k3s.binary, sha256: sha256(k3s) },
            airgapImages: {
              url: "https://example.invalid/k3s-airgap-images-amd64.tar.zst",
              sha256: sha256(images),
            },
          },
          images: {
            "kube-vip": {
              reference: KUBE_VIP_IMAGE.reference,
              digest: kubeVip.manifest.digest,
              archive: { sha256: sha256(kubeVipArchive) },
            },
          },
        },
      },
    }),
  );
}

function optionsFor(variant: Variant, index: number): RenderOptions {
  const name = `scale${index}`;
  const cwd = join(root, `repo-${index}`);
  mkdirSync(join(cwd, "environments"), { recursive: true });
  writeFileSync(
    join(cwd, "environments", `${name}.ts`),
    `export default ${JSON.stringify(environment(name, VARIANTS[variant]))};\n`,
  );
  return {
    environment: name,
    cwd,
    home: root,
    stateRoot: join(root, "state"),
    cacheRoot,
    outDir: join(root, "out", name),
    lock: lockFor(name),
  };
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

const variants = Object.keys(VARIANTS) as Variant[];
const options = new Map(variants.map((variant, index) => [variant, optionsFor(variant, index)]));
for (const variant of variants) {
  // Creates the secrets and builds the volume once; then report what each node downloads.
  const ready = await prepareRender(options.get(variant) as RenderOptions);
  const perNode = [...ready.ignition.values()].map((ignition) =>
    remoteSources(ignition).reduce((sum, source) => sum + (/\/k3s$/.test(source.url) ? K3S_BYTES : 0), 0),
  );
  const sources = [...ready.ignition.values()].reduce((n, ignition) => n + remoteSources(ignition).length, 0);
  console.log(
    `scale-out ${variant}: ${ready.plan.nodes.length} nodes on ${ready.plan.hosts.length} hosts; ` +
      `${sources} remote sources in all Ignition; bytes each node downloads at first boot: ` +
      `max ${Math.max(...perNode)}, total ${perNode.reduce((a, b) => a + b, 0)}`,
  );
}

describe("render of 3 hosts, 100 nodes", () => {
  for (const variant of variants) {
    bench(
      `${variant}: whole render, no writes`,
      async () => {
        await prepareRender(options.get(variant) as RenderOptions);
      },
      { iterations: 5, time: 0, warmupIterations: 1 },
    );
  }
});
