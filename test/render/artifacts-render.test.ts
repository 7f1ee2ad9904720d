// render with hosts and the artifact volume, through the library as `homelab render` calls it: a
// three-host environment renders every host, uploads the artifact volume once per host and
// attaches it to each node; with `offline: true` no node's Ignition names a remote source; the real
// Ignition applies a rendered node's config to a scratch root and the first-boot script, run for
// real against the volume homelab built, installs /opt/bin/k3s with the lock's hash. Bad input —
// cache missing, truncated or different from the lock, a remote source offline, unknown pin,
// duplicate URI, NAT on several hosts — is refused before anything is written. Stand-in bytes
// replace k3s and the air-gap images (the lock in each case names their hashes).
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ARTIFACT_SCRIPT_PATH, remoteSources } from "../../src/artifacts/index.js";
import type { EnvironmentInput } from "../../src/environment/schema.js";
import { isHomelabError } from "../../src/errors/index.js";
import { type LockFile, parseLock } from "../../src/lock/index.js";
import { imageArchiveBytes } from "../../src/oci/image-archive.js";
import { KUBE_VIP_IMAGE } from "../../src/registration/index.js";
import { renderEnvironment } from "../../src/render/index.js";
import { type ProviderSchema, walkTfJson } from "../../src/tofu/index.js";
import { applyIgnition } from "../support/ignition.js";
import { testImage } from "../support/oci-image.js";
import { itWithTools } from "../support/real-tools.js";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const schema = JSON.parse(
  await readFile(join(repository, "test", "fixtures", "libvirt-provider-0.9.7", "schema.json"), "utf8"),
) as ProviderSchema;
const K3S_VERSION = "v1.34.10+k3s1";
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let scratch: string;
let k3s: Buffer;
let images: Buffer;
/** homelab's archive of a stand-in kube-vip image (what `lock --update` would have pulled). */
const kubeVip = testImage(KUBE_VIP_IMAGE.reference, "kube-vip stand-in\n");
const kubeVipArchive = imageArchiveBytes(kubeVip);
const kubeVipCachePath = `images/kube-vip/${kubeVip.manifest.digest.slice(7)}.tar`;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "homelab-render-artifacts-"));
  k3s = randomBytes(3 * 1024 * 1024 + 17);
  images = randomBytes(1024 * 1024 + 5);
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** The development lock entry with the stand-ins' hashes. */
function lockFor(name: string, k3sHash = sha256(k3s), withImages = true): LockFile {
  const real = JSON.parse(readFileSync(join(repository, "homelab.lock.json"), "utf8"));
  const entry = real.environments.development;
  return parseLock(
    JSON.stringify({
      ...real,
      environments: {
        [name]: {
          ...entry,
          k3s: {
            ...entry.k3s,
            binary: { ...entry.k3s.binary, sha256: k3sHash },
            airgapImages: {
              url: "https://example.invalid/k3s-airgap-images-amd64.tar.zst",
              sha256: sha256(images),
            },
          },
          ...(withImages
            ? {
                images: {
                  "kube-vip": {
                    reference: KUBE_VIP_IMAGE.reference,
                    digest: kubeVip.manifest.digest,
                    archive: { sha256: sha256(kubeVipArchive) },
                  },
                },
              }
            : {}),
        },
      },
    }),
  );
}

let counter = 0;
interface Case {
  readonly cwd: string;
  readonly cacheRoot: string;
  readonly stateRoot: string;
  readonly outDir: string;
}

/** A throwaway repository with one environment and a cache holding the stand-ins. */
async function project(input: EnvironmentInput, cache: "full" | "empty" = "full"): Promise<Case> {
  const cwd = join(scratch, `case-${++counter}`);
  await mkdir(join(cwd, "environments"), { recursive: true });
  await writeFile(
    join(cwd, "environments", `${input.name}.ts`),
    `export default ${JSON.stringify(input)};\n`,
  );
  const cacheRoot = join(cwd, "cache");
  if (cache === "full") {
    const dir = join(cacheRoot, "artifacts", "k3s", K3S_VERSION);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "k3s"), k3s);
    await writeFile(join(dir, "k3s-airgap-images-amd64.tar.zst"), images);
    await mkdir(dirname(join(cacheRoot, "artifacts", kubeVipCachePath)), { recursive: true });
    await writeFile(join(cacheRoot, "artifacts", kubeVipCachePath), kubeVipArchive);
  }
  return { cwd, cacheRoot, stateRoot: join(cwd, "state"), outDir: join(cwd, "out") };
}

const render = (c: Case, name: string, lock = lockFor(name)) =>
  renderEnvironment({ environment: name, home: c.cwd, ...c, lock });

const HOSTS = {
  hv1: { uri: "qemu+ssh://core@127.0.0.1/system" },
  hv2: { uri: "qemu+ssh://core@127.0.0.2/system" },
  hv3: { uri: "qemu+ssh://core@127.0.0.3/system", bridge: "br-lan" },
};

const lab = (overrides: Partial<EnvironmentInput> = {}): EnvironmentInput => ({
  name: "lab",
  prefix: "lab",
  network: { mode: "bridge", bridge: "br0", cidr: "127.0.0.0/24", gateway: "127.0.0.254" },
  hosts: HOSTS,
  offline: true,
  servers: { count: 3, vcpu: 2, memoryMiB: 2048, diskGiB: 12 },
  agents: { count: 3, vcpu: 1, memoryMiB: 1024, diskGiB: 12 },
  ssh: { authorizedKeys: [] },
  ...overrides,
});

type Resources = Record<string, Record<string, { provider?: string; devices?: { disks?: unknown } }>>;

describe("an offline environment on three hosts", () => {
  let c: Case;
  let result: Awaited<ReturnType<typeof renderEnvironment>>;
  let document: {
    resource: Resources;
    provider: { libvirt: { alias?: string }[] };
    locals: Record<string, unknown>;
  };
  beforeAll(async () => {
    c = await project(lab());
    result = await render(c, "lab");
    document = JSON.parse(await readFile(join(c.outDir, "main.tf.json"), "utf8"));
  });

  it("renders every host: a provider alias and per-host blocks, the schema walk clean", () => {
    expect(document.provider.libvirt.map((p) => p.alias)).toEqual(["hv1", "hv2", "hv3"]);
    expect(Object.keys(document.resource.libvirt_domain ?? {}).sort()).toEqual([
      "node_hv1",
      "node_hv2",
      "node_hv3",
    ]);
    expect(walkTfJson(document, schema)).toEqual([]);
    const placed = Object.fromEntries(result.plan.nodes.map((node) => [node.name, node.host]));
    for (const host of ["hv1", "hv2", "hv3"]) {
      const nodes = Object.keys(document.locals[`nodes_${host}`] as object);
      expect(nodes.length).toBeGreaterThan(0);
      for (const node of nodes) expect(placed[node]).toBe(host);
    }
  });

  it("uploads the artifact volume once per host, from the cache, and attaches it to every node", () => {
    const volume = result.artifactVolume;
    expect(volume?.path.startsWith(c.cacheRoot)).toBe(true);
    const key = volume?.plan.key.slice(0, 12) ?? "";
    for (const host of ["hv1", "hv2", "hv3"]) {
      expect(document.locals[`artifact_volumes_${host}`]).toEqual({
        [key]: { name: `lab-artifacts-${key}.tar`, source: volume?.path },
      });
      const nodes = document.locals[`nodes_${host}`] as Record<string, { artifact_volume: string }>;
      for (const node of Object.values(nodes)) expect(node.artifact_volume).toBe(key);
      expect(JSON.stringify(document.resource.libvirt_domain?.[`node_${host}`]?.devices?.disks)).toContain(
        '"serial":"homelab-artifacts"',
      );
    }
  });

  it("writes Ignition that downloads nothing: 0 remote sources on every node", () => {
    expect(result.ignition.size).toBe(6);
    for (const [node, ignition] of result.ignition) expect(remoteSources(ignition), node).toEqual([]);
  });

  itWithTools(
    ["ignition"],
    "the real Ignition applies an agent's config; the first-boot script installs /opt/bin/k3s from the volume with the lock's hash",
    () => {
      const [agent] = [...result.ignition.entries()].filter(([name]) => name.includes("agent"));
      const root = applyIgnition(agent?.[1] ?? "").root;
      expect(existsSync(join(root, "opt/bin/k3s"))).toBe(false);
      const run = spawnSync("sh", [join(root, ARTIFACT_SCRIPT_PATH), result.artifactVolume?.path ?? ""], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOMELAB_ARTIFACTS_ROOT: root },
      });
      expect(run.stderr).toContain("all artifacts installed");
      expect(sha256(readFileSync(join(root, "opt/bin/k3s")))).toBe(sha256(k3s));
      expect(
        sha256(readFileSync(join(root, "var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst"))),
      ).toBe(sha256(images));
      expect(existsSync(join(root, "var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar"))).toBe(false);
    },
  );

  itWithTools(
    ["ignition"],
    "the real Ignition applies a joining server's config; the script installs kube-vip's image archive where k3s imports it",
    () => {
      const server = result.plan.nodes.find((node) => node.role === "server" && node.name.endsWith("-2"));
      const root = applyIgnition(result.ignition.get(server?.name ?? "") ?? "").root;
      const run = spawnSync("sh", [join(root, ARTIFACT_SCRIPT_PATH), result.artifactVolume?.path ?? ""], {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOMELAB_ARTIFACTS_ROOT: root },
      });
      expect(run.stderr).toContain("all artifacts installed");
      expect(sha256(readFileSync(join(root, "var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar")))).toBe(
        sha256(kubeVipArchive),
      );
      // The DaemonSet names the image exactly as the archive does, pulled only if not present.
      const manifest = readFileSync(
        join(root, "var/lib/rancher/k3s/server/manifests/homelab-kube-vip.yaml"),
        "utf8",
      );
      expect(manifest).toContain(`image: ${KUBE_VIP_IMAGE.reference}\n`);
      expect(manifest).toContain("imagePullPolicy: IfNotPresent");
    },
  );

  it("a changed k3s is a changed node: new hashes in the Ignition, a new volume", async () => {
    const other = randomBytes(1024);
    const d = await project(lab());
    await writeFile(join(d.cacheRoot, "artifacts", "k3s", K3S_VERSION, "k3s"), other);
    const changed = await render(d, "lab", lockFor("lab", sha256(other)));
    expect(changed.artifactVolume?.plan.key).not.toBe(result.artifactVolume?.plan.key);
    for (const [node, ignition] of changed.ignition)
      expect(ignition, node).not.toBe(result.ignition.get(node));
  });
});

describe("without offline or artifacts, nothing changes", () => {
  it("Ignition downloads k3s, no artifact volume", async () => {
    const c = await project(
      lab({ offline: false, hosts: undefined, network: { mode: "nat", cidr: "10.77.0.0/24" } }),
      "empty",
    );
    const result = await render(c, "lab");
    expect(result.artifactVolume).toBeUndefined();
    const text = await readFile(join(c.outDir, "main.tf.json"), "utf8");
    expect(JSON.parse(text).resource.libvirt_volume.artifacts).toBeUndefined();
    expect(text).not.toContain("homelab-artifacts");
    for (const ignition of result.ignition.values())
      expect(remoteSources(ignition).map((source) => source.url)).toContain(
        "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
      );
  });
});

describe("refused before anything is written", () => {
  const remoteSnippet = {
    snippets: [
      'variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /opt/x\n      contents:\n        source: "https://example.invalid/x"\n',
    ],
  };
  it.each<
    [
      string,
      EnvironmentInput,
      "full" | "empty" | "truncated" | "changed" | "image-changed" | "no-image-in-lock",
      string,
      string | undefined,
    ]
  >([
    ["the cache is empty", lab(), "empty", "artifact-not-cached", "environments.lab.k3s.airgapImages.sha256"],
    [
      "k3s in the cache is truncated",
      lab(),
      "truncated",
      "artifact-hash-mismatch",
      "environments.lab.k3s.binary.sha256",
    ],
    [
      "k3s in the cache differs from the lock",
      lab(),
      "changed",
      "artifact-hash-mismatch",
      "environments.lab.k3s.binary.sha256",
    ],
    [
      "kube-vip's image archive in the cache differs from the lock",
      lab(),
      "image-changed",
      "artifact-hash-mismatch",
      "environments.lab.images.kube-vip.archive.sha256",
    ],
    [
      "the lock records no kube-vip image",
      lab(),
      "no-image-in-lock",
      "lock-missing-artifact",
      "environments.lab.images.kube-vip",
    ],
    [
      "an offline node's snippet downloads a file",
      lab({ agents: { count: 3, ...remoteSnippet } }),
      "full",
      "offline-remote-source",
      "offline",
    ],
    [
      "a pin names an unknown host",
      lab({ nodes: { "lab-agent-1": { host: "hv9" } } }),
      "full",
      "env-host-unknown",
      undefined,
    ],
    [
      "two hosts share a URI",
      lab({ hosts: { ...HOSTS, hv2: { uri: HOSTS.hv1.uri } } }),
      "full",
      "env-host-duplicate",
      undefined,
    ],
    [
      "a NAT network spans several hosts",
      lab({ network: { mode: "nat", cidr: "10.77.0.0/24" } }),
      "full",
      "env-multi-host-nat",
      undefined,
    ],
  ])("%s", async (_name, input, cache, code, path) => {
    const c = await project(input, cache === "empty" ? "empty" : "full");
    const k3sPath = join(c.cacheRoot, "artifacts", "k3s", K3S_VERSION, "k3s");
    if (cache === "truncated") await truncate(k3sPath, 1000);
    if (cache === "changed") {
      const bytes = Buffer.from(k3s);
      bytes[4096] = (bytes[4096] ?? 0) ^ 0xff;
      await writeFile(k3sPath, bytes);
    }
    if (cache === "image-changed") {
      const bytes = Buffer.from(kubeVipArchive);
      bytes[600] = (bytes[600] ?? 0) ^ 0xff;
      await writeFile(join(c.cacheRoot, "artifacts", kubeVipCachePath), bytes);
    }
    let error: unknown;
    try {
      await render(c, "lab", lockFor("lab", sha256(k3s), cache !== "no-image-in-lock"));
    } catch (caught) {
      error = caught;
    }
    expect(isHomelabError(error) ? error.code : error).toBe(code);
    if (path !== undefined && isHomelabError(error)) expect(error.where?.path).toBe(path);
    if (isHomelabError(error)) expect(error.fix).toBeTruthy();
    expect(existsSync(c.outDir)).toBe(false);
    // Before the secrets too, except what needs the rendered Ignition to be seen.
    if (code !== "offline-remote-source")
      expect(existsSync(join(c.stateRoot, "lab", "k3s-token"))).toBe(false);
  });
});
