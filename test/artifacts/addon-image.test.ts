// Add-on images (kube-vip) from the registry to the cache: pulled by tag (lock --update) or by
// the digest the lock pins (homelab artifacts), every blob checked, written as homelab's
// deterministic archive; the cache refuses an archive whose hash the lock does not record.
// The registry is the stand-in of test/support/oci-registry.ts on 127.0.0.1 (token auth, an
// index with amd64, arm64 and attestation entries); the archive is imported by a real containerd.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type ArtifactSpec, ensureArtifact, pullImageArchive } from "../../src/artifacts/index.js";
import { RegistryClient } from "../../src/oci/index.js";
import { realFetch } from "../image/fixtures.js";
import { type Containerd, startContainerd } from "../support/containerd.js";
import { buildImage, buildIndex, StandInRegistry } from "../support/oci-registry.js";
import { CONTAINERD_TOOLS, describeWithTools } from "../support/real-tools.js";
import { scratch, standInSpec } from "./fixtures.js";

const REFERENCE = "ghcr.io/kube-vip/kube-vip:v1.2.3";
const amd64 = buildImage({ seed: 11 });
const arm64 = buildImage({ seed: 12, platform: { os: "linux", architecture: "arm64" } });
const index = buildIndex([amd64, arm64]);
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

let registry: StandInRegistry;
let client: RegistryClient;
beforeAll(async () => {
  registry = await StandInRegistry.start();
  client = new RegistryClient({ fetch: realFetch, baseUrl: () => registry.url });
});
afterAll(() => registry?.close());
beforeEach(() => {
  registry.faults = {};
  registry.pushIndex("kube-vip/kube-vip", "v1.2.3", index);
  registry.pushImage("kube-vip/arm-only", "v1", arm64);
});

/** The spec the catalog makes from a lock entry, for the stand-in image. */
function imageSpec(archiveSha256: string, digest = amd64.manifest.digest): ArtifactSpec {
  return standInSpec("addon-image", `${REFERENCE}@${digest}`, archiveSha256, {
    cachePath: `images/kube-vip/${digest.slice(7)}.tar`,
    image: { reference: REFERENCE, digest },
    recordedAt: { file: "homelab.lock.json", path: "environments.lab.images.kube-vip.archive.sha256" },
  });
}

describe("pullImageArchive", () => {
  it("pulls the linux/amd64 image of a tag (not arm64, not the attestations) and archives it deterministically", async () => {
    const dir = scratch("image-pull");
    const first = await pullImageArchive(client, { reference: REFERENCE }, (digest) =>
      join(dir, `${digest.slice(7)}.tar`),
    );
    expect(first.digest).toBe(amd64.manifest.digest);
    expect(first.sha256).toBe(sha256(readFileSync(first.path)));
    const again = await pullImageArchive(client, { reference: REFERENCE, digest: first.digest }, () =>
      join(dir, "again.tar"),
    );
    expect(again).toMatchObject({ digest: first.digest, sha256: first.sha256, bytes: first.bytes });
    expect(readdirSync(dir).sort()).toEqual([`${first.digest.slice(7)}.tar`, "again.tar"].sort());
  });

  it.each([
    [
      "an image that is not linux/amd64",
      { reference: "ghcr.io/kube-vip/arm-only:v1" },
      "image-pull-failed",
      /linux\/arm64 image/,
    ],
    [
      "a reference without a tag",
      { reference: "ghcr.io/kube-vip/kube-vip" },
      "image-reference-invalid",
      /no tag/,
    ],
    [
      "a digest the registry does not have",
      { reference: REFERENCE, digest: `sha256:${"e".repeat(64)}` },
      "image-pull-failed",
      /404|not found|unknown/i,
    ],
  ])("refuses %s and writes nothing", async (_name, image, code, message) => {
    const dir = scratch("image-refused");
    await expect(pullImageArchive(client, image, () => join(dir, "x.tar"))).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("ensureArtifact for an add-on image", () => {
  let archiveSha256: string;
  beforeAll(async () => {
    const dir = scratch("image-reference");
    archiveSha256 = (await pullImageArchive(client, { reference: REFERENCE }, () => join(dir, "a.tar")))
      .sha256;
  });

  it("pulls it by the lock's digest into the cache, then finds it there", async () => {
    const cacheRoot = scratch("image-cache");
    const spec = imageSpec(archiveSha256);
    const pulled = await ensureArtifact(spec, { cacheRoot, registry: client });
    expect(pulled).toMatchObject({ source: "download" });
    expect(pulled.path).toBe(join(cacheRoot, "artifacts", spec.cachePath));
    expect(sha256(readFileSync(pulled.path))).toBe(archiveSha256);
    const requests = registry.requests.length;
    expect(await ensureArtifact(spec, { cacheRoot, registry: client })).toMatchObject({ source: "cache" });
    expect(registry.requests.length).toBe(requests);
  });

  it("refuses an archive the lock does not record, and keeps nothing", async () => {
    const cacheRoot = scratch("image-cache-mismatch");
    const spec = imageSpec("0".repeat(64));
    await expect(ensureArtifact(spec, { cacheRoot, registry: client })).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
      where: { path: "environments.lab.images.kube-vip.archive.sha256" },
    });
    const dir = dirname(join(cacheRoot, "artifacts", spec.cachePath));
    expect(existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith(".")) : []).toEqual([]);
  });

  it("refuses a blob the registry damaged (image-digest-mismatch), and keeps nothing", async () => {
    const cacheRoot = scratch("image-cache-damaged");
    const layer = amd64.layers[0]!;
    registry.faults = { blobInstead: new Map([[layer.digest, Buffer.alloc(layer.size, 1)]]) };
    const spec = imageSpec(archiveSha256);
    await expect(ensureArtifact(spec, { cacheRoot, registry: client })).rejects.toMatchObject({
      code: "image-digest-mismatch",
      where: { path: "environments.lab.images.kube-vip.archive.sha256" },
    });
    expect(existsSync(join(cacheRoot, "artifacts", spec.cachePath))).toBe(false);
    expect(existsSync(`${join(cacheRoot, "artifacts", spec.cachePath)}.part`)).toBe(false);
  });

  it("without a registry (--no-download) says how to carry the archive in", async () => {
    const cacheRoot = scratch("image-cache-offline");
    await expect(ensureArtifact(imageSpec(archiveSha256), { cacheRoot })).rejects.toMatchObject({
      code: "artifact-not-cached",
      fix: expect.stringMatching(/artifacts\/images\/kube-vip\/[0-9a-f]{64}\.tar .*--from DIR/),
    });
  });

  it("imports a carried-in archive with --from, verified", async () => {
    const source = scratch("image-from");
    const spec = imageSpec(archiveSha256);
    await pullImageArchive(client, { reference: REFERENCE }, () =>
      join(source, `${amd64.manifest.digest.slice(7)}.tar`),
    );
    const cacheRoot = scratch("image-cache-from");
    expect(await ensureArtifact(spec, { cacheRoot, importFrom: source })).toMatchObject({ source: "import" });
  });
});

describeWithTools(CONTAINERD_TOOLS, "the pulled archive, imported by the real containerd", () => {
  let containerd: Containerd;
  beforeAll(async () => {
    containerd = await startContainerd();
  }, 120_000);
  afterAll(() => containerd?.stop());

  it("comes in as ghcr.io/kube-vip/kube-vip:v1.2.3 with the registry's amd64 manifest digest, complete", async () => {
    const dir = scratch("image-import");
    const pulled = await pullImageArchive(client, { reference: REFERENCE }, () => join(dir, "kube-vip.tar"));
    containerd.importArchive(pulled.path);
    expect(containerd.images().get(REFERENCE)).toBe(amd64.manifest.digest);
    expect(containerd.ctr(["images", "check", `name==${REFERENCE}`])).toMatch(/complete \(3\/3\)/);
  }, 120_000);
});
