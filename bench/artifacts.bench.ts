import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import type { ArtifactSpec } from "../src/artifacts/index.js";
import {
  artifactInstallScript,
  artifactList,
  artifactsForNode,
  planArtifactVolume,
  sha256File,
  writeTarImage,
} from "../src/artifacts/index.js";

/**
 * The artifact volume at real sizes: building the ustar image (every byte hashed while it is
 * copied, and the whole image hashed), the host-side verification of a cached artifact, and the
 * node side — the first-boot script extracting and re-hashing with GNU tar and sha256sum.
 * Stand-ins: k3s 80,879,800 random bytes (the size of the v1.34.10+k3s1 amd64 binary), Flux's
 * install.yaml 0.5 MB, an air-gap image archive of 170 MB. Random bytes, so nothing compresses.
 */
const MB = 1e6;
const dir = mkdtempSync(join(tmpdir(), "homelab-bench-artifacts-"));

function randomFile(name: string, size: number): { path: string; sha256: string; size: number } {
  const path = join(dir, name);
  const fd = openSync(path, "w");
  const hash = createHash("sha256");
  const chunk = randomBytes(4 * 1024 * 1024);
  for (let left = size; left > 0; ) {
    const part = chunk.subarray(0, Math.min(left, chunk.length));
    writeSync(fd, part);
    hash.update(part);
    left -= part.length;
  }
  closeSync(fd);
  return { path, sha256: hash.digest("hex"), size };
}

const k3s = randomFile("k3s", 80_879_800);
const flux = randomFile("install.yaml", 500_000);
const images = randomFile("k3s-airgap-images-amd64.tar.zst", 170_000_000);

const spec = (
  kind: ArtifactSpec["kind"],
  file: typeof k3s,
  entry: string,
  target: string,
  mode: number,
): ArtifactSpec => ({
  kind,
  environment: "bench",
  title: kind,
  version: "v0",
  url: "https://example.invalid/",
  sha256: file.sha256,
  cachePath: `${kind}/${entry}`,
  entry,
  target,
  mode,
  installOn: kind === "flux-install" ? "first-server" : "every-node",
  recordedAt: {},
});
const specs = [
  spec(
    "flux-install",
    flux,
    "flux-install.yaml",
    "/var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml",
    0o600,
  ),
  spec(
    "k3s-airgap-images",
    images,
    "k3s-airgap-images-amd64.tar.zst",
    "/var/lib/rancher/k3s/agent/images/x.tar.zst",
    0o644,
  ),
  spec("k3s", k3s, "k3s", "/opt/bin/k3s", 0o755),
];
const entry = (s: ArtifactSpec, file: typeof k3s) => ({
  name: s.entry,
  mode: s.mode,
  source: file.path,
  sha256: s.sha256,
});
const k3sOnly = [entry(specs[2] as ArtifactSpec, k3s)];
const everything = [
  entry(specs[0] as ArtifactSpec, flux),
  entry(specs[1] as ArtifactSpec, images),
  ...k3sOnly,
];
const total = (entries: { source: string }[]) =>
  entries.reduce((sum, e) => sum + ([k3s, flux, images].find((f) => f.path === e.source)?.size ?? 0), 0);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const once = { iterations: 3, time: 0, warmupIterations: 0 } as const;
const report = (what: string, bytes: number, started: number) => {
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${what}: ${(bytes / MB).toFixed(1)} MB in ${(seconds * 1000).toFixed(0)} ms = ${(bytes / MB / seconds).toFixed(0)} MB/s`,
  );
};

describe("artifact volume", () => {
  bench(
    "writeTarImage: k3s (80.9 MB)",
    async () => {
      const started = performance.now();
      await writeTarImage(k3sOnly, join(dir, "k3s.tar"));
      report("tar image, k3s only", total(k3sOnly), started);
    },
    once,
  );

  bench(
    "writeTarImage: k3s + Flux + air-gap images (251 MB)",
    async () => {
      const started = performance.now();
      await writeTarImage(everything, join(dir, "all.tar"));
      report("tar image, everything", total(everything), started);
    },
    once,
  );

  bench(
    "sha256File: host-side verification of the k3s binary",
    async () => {
      const started = performance.now();
      await sha256File(k3s.path);
      report("sha256 (host, node:crypto)", k3s.size, started);
    },
    once,
  );

  bench(
    "first-boot script: extract + sha256sum + install, k3s + air-gap images (agent)",
    async () => {
      const volume = join(dir, "all.tar");
      await writeTarImage(everything, volume);
      const root = mkdtempSync(join(dir, "root-"));
      mkdirSync(join(root, "etc/homelab"), { recursive: true });
      mkdirSync(join(root, "opt/bin"), { recursive: true });
      const script = join(root, "opt/bin/homelab-artifacts");
      writeFileSync(script, artifactInstallScript(), { mode: 0o755 });
      writeFileSync(
        join(root, "etc/homelab/artifacts.list"),
        artifactList(artifactsForNode(planArtifactVolume(specs), { clusterInit: false, role: "agent" })),
      );
      const started = performance.now();
      const run = spawnSync("sh", [script, volume], {
        env: { PATH: process.env.PATH ?? "", HOMELAB_ARTIFACTS_ROOT: root },
      });
      if (run.status !== 0) throw new Error(String(run.stderr));
      report("node script (tar + sha256sum + mv)", k3s.size + images.size, started);
      if (readFileSync(join(root, "var/lib/homelab/artifacts.installed")).length === 0)
        throw new Error("no stamp");
      rmSync(root, { recursive: true, force: true });
    },
    once,
  );
});
