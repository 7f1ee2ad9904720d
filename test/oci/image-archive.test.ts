import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ImageArchiveInput, imageArchiveBytes, writeImageArchive } from "../../src/oci/image-archive.js";
import { type Containerd, startContainerd } from "../support/containerd.js";
import { digestOf, testImage } from "../support/oci-image.js";
import { CONTAINERD_TOOLS, describeWithTools, toolPath } from "../support/real-tools.js";

describe("imageArchiveBytes", () => {
  it("is deterministic: the same image gives the same bytes, whatever the order of its blobs", () => {
    const image = testImage("ghcr.io/kube-vip/kube-vip:v1.2.3", "hello\n");
    const reordered = { ...image, blobs: [...image.blobs].reverse() };
    expect(digestOf(imageArchiveBytes(reordered))).toBe(digestOf(imageArchiveBytes(image)));
  });

  it.each([
    [
      "a blob whose bytes are not its digest",
      (image: ImageArchiveInput) => ({
        ...image,
        blobs: [{ digest: image.blobs[0]!.digest, bytes: Buffer.from("other bytes") }, image.blobs[1]!],
      }),
    ],
    [
      "a manifest whose bytes are not its digest",
      (image: ImageArchiveInput) => ({
        ...image,
        manifest: { ...image.manifest, bytes: Buffer.concat([image.manifest.bytes, Buffer.from(" ")]) },
      }),
    ],
  ])("refuses %s", (_name, damage) => {
    expect(() => imageArchiveBytes(damage(testImage("ghcr.io/a/b:v1", "x")))).toThrow(/has digest/);
  });
});

describeWithTools(["tar"], "the image archive, read by GNU tar", () => {
  it("holds the OCI layout: oci-layout, index.json naming the image, every blob under its digest", async () => {
    const directory = mkdtempSync(join(tmpdir(), "homelab-image-archive-"));
    try {
      const image = testImage("ghcr.io/kube-vip/kube-vip:v1.2.3", "hello\n");
      const written = await writeImageArchive(image, join(directory, "image.tar"));
      expect(written.sha256).toBe(digestOf(readFileSync(written.path)).slice(7));
      const { spawnSync } = await import("node:child_process");
      const listing = spawnSync(toolPath("tar"), ["-tvf", written.path], { encoding: "utf8" }).stdout;
      expect(listing).toContain("oci-layout");
      expect(listing).toContain(`blobs/sha256/${image.manifest.digest.slice(7)}`);
      const index = JSON.parse(
        spawnSync(toolPath("tar"), ["-xOf", written.path, "index.json"], { encoding: "utf8" }).stdout,
      );
      expect(index.manifests).toEqual([
        expect.objectContaining({
          digest: image.manifest.digest,
          annotations: {
            "io.containerd.image.name": image.name,
            "org.opencontainers.image.ref.name": "v1.2.3",
          },
        }),
      ]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describeWithTools(
  CONTAINERD_TOOLS,
  "the image archive, imported by the real containerd (as k3s does)",
  () => {
    let containerd: Containerd;
    let directory: string;
    beforeAll(async () => {
      directory = mkdtempSync(join(tmpdir(), "homelab-image-import-"));
      containerd = await startContainerd();
    }, 120_000);
    afterAll(async () => {
      await containerd?.stop();
      rmSync(directory, { recursive: true, force: true });
    });

    it.each([
      ["an OCI image", "ghcr.io/kube-vip/kube-vip:v1.2.3", "oci" as const],
      ["a Docker schema 2 image", "ghcr.io/kubereboot/kured:1.23.0", "docker" as const],
    ])(
      "%s comes in under its full name and the registry's manifest digest, every blob present",
      async (_name, name, flavour) => {
        const image = testImage(name, `${name}\n`, flavour);
        const written = await writeImageArchive(image, join(directory, `${flavour}.tar`));
        containerd.importArchive(written.path);
        expect(containerd.images().get(name)).toBe(image.manifest.digest);
        // `ctr images check`: the image's content is complete (every blob the manifest names).
        expect(containerd.ctr(["images", "check", `name==${name}`])).toMatch(/complete \(2\/2\)/);
      },
      120_000,
    );
  },
);
