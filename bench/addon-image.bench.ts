import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { pullImageArchive } from "../src/artifacts/index.js";
import { imageArchiveBytes } from "../src/oci/image-archive.js";
import { RegistryClient } from "../src/oci/index.js";
import { archiveInputOf } from "../test/support/oci-image.js";
import { buildImage, buildIndex, StandInRegistry } from "../test/support/oci-registry.js";

/**
 * An add-on image from the registry to homelab's archive: the pull by digest (token, index,
 * manifest, config and a 20 MB layer over HTTP on 127.0.0.1 from the stand-in registry, every
 * blob hashed) and the archive alone. The registry is a stand-in: what is measured is homelab's
 * own work, not a network.
 */
const LAYER_BYTES = 20_000_000;
const image = buildImage({ seed: 3, layerCount: 2, layerContentSize: LAYER_BYTES / 2 });
const registry = await StandInRegistry.start();
registry.pushIndex("kube-vip/kube-vip", "v1.2.3", buildIndex([image]));
const client = new RegistryClient({ fetch: (url, init) => fetch(url, init), baseUrl: () => registry.url });
const dir = mkdtempSync(join(tmpdir(), "homelab-bench-addon-image-"));
const input = archiveInputOf("ghcr.io/kube-vip/kube-vip:v1.2.3", image);
let runs = 0;

afterAll(async () => {
  await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("add-on image", () => {
  bench("pull by digest + archive (stand-in registry on 127.0.0.1)", async () => {
    await pullImageArchive(
      client,
      { reference: "ghcr.io/kube-vip/kube-vip:v1.2.3", digest: image.manifest.digest },
      () => join(dir, `run-${runs++}.tar`),
    );
  });
  bench("archive only (in memory)", () => {
    imageArchiveBytes(input);
  });
});
