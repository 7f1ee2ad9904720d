// homelab's add-on images (kube-vip) in homelab.lock.json: recorded for environments that
// deliver them (artifacts.addonImages, or offline) by `lock --update`, which pulls the image
// once (the stand-in registry of test/support/oci-registry.ts on 127.0.0.1) and records its
// manifest digest and the hash of homelab's archive; resolved from the lock or the pins;
// refused, located, when neither knows them.
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { addonImageCachePath, pullImageArchive } from "../../src/artifacts/index.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import {
  type AddonImagePuller,
  type HomelabPins,
  type LockFile,
  lockStatus,
  offlineLockedEnvironment,
  resolveLockedEnvironment,
  updateLockedEnvironment,
  wantsAddonImages,
} from "../../src/lock/index.js";
import { RegistryClient } from "../../src/oci/index.js";
import { k3sAirgapImagesUrl } from "../../src/pins/index.js";
import { KUBE_VIP_IMAGE } from "../../src/registration/index.js";
import { scratch } from "../artifacts/fixtures.js";
import {
  clearSign,
  makeKey,
  realFetch,
  startServer,
  type TestKey,
  type TestServer,
} from "../image/fixtures.js";
import { buildImage, buildIndex, StandInRegistry } from "../support/oci-registry.js";

const VERSION = "v1.34.10+k3s1";
const k3sSha = "d".repeat(64);
const imagesSha = "f".repeat(64);
const IMAGE = "flatcar_production_qemu_image.img";
const pins: HomelabPins = {
  k3sVersion: VERSION,
  k3sBinaries: { [VERSION]: { url: "https://example.invalid/k3s", sha256: k3sSha } },
  k3sAirgapImages: { [VERSION]: { url: k3sAirgapImagesUrl(VERSION), sha256: imagesSha } },
  flatcar: { stable: "9999.1.0" },
  flatcarSha512: {},
  providerVersion: "0.9.7",
  fluxVersion: "v2.9.5",
};
const pinned = { digest: `sha256:${"a".repeat(64)}`, archiveSha256: "b".repeat(64) };
const withImagePin: HomelabPins = { ...pins, addonImages: { [KUBE_VIP_IMAGE.reference]: pinned } };

function environment(input: Record<string, unknown> = {}) {
  return EnvironmentSchema.parse({
    name: "lab",
    prefix: "lab",
    network: { cidr: "192.168.150.0/24" },
    k3s: { version: VERSION },
    flatcar: { channel: "stable", version: "9999.1.0" },
    ...input,
  });
}

describe("which environments deliver the add-on images", () => {
  it.each([
    [{}, false],
    [{ offline: true }, true],
    [{ artifacts: { addonImages: true } }, true],
    [{ artifacts: {} }, false],
    [{ offline: true, artifacts: { addonImages: false } }, false],
  ])("%j → %s", (input, wanted) => {
    expect(wantsAddonImages(environment(input))).toBe(wanted);
  });
});

describe("resolving them", () => {
  it("leaves them out of environments that do not deliver them", () => {
    expect(resolveLockedEnvironment(environment(), undefined, withImagePin)).not.toHaveProperty("images");
  });

  it("takes them from the lock entry when it records the pinned reference, else from the pins", () => {
    const offline = environment({ offline: true });
    expect(resolveLockedEnvironment(offline, undefined, withImagePin).images).toEqual({
      "kube-vip": {
        reference: KUBE_VIP_IMAGE.reference,
        digest: pinned.digest,
        archive: { sha256: pinned.archiveSha256 },
      },
    });
    const entry = offlineLockedEnvironment(offline, withImagePin);
    const recorded = {
      reference: KUBE_VIP_IMAGE.reference,
      digest: `sha256:${"c".repeat(64)}`,
      archive: { sha256: "e".repeat(64) },
    };
    const lock: LockFile = {
      lockfileVersion: 1,
      environments: { lab: { ...entry, images: { "kube-vip": recorded } } },
    };
    expect(resolveLockedEnvironment(offline, lock, withImagePin).images?.["kube-vip"]).toEqual(recorded);
    expect(lockStatus(offline, lock, withImagePin).state).toBe("locked");
    // homelab moved to another kube-vip: the old record is not used, and the lock is out of date.
    const old = { ...recorded, reference: "ghcr.io/kube-vip/kube-vip:v0.0.1" };
    const stale: LockFile = {
      lockfileVersion: 1,
      environments: { lab: { ...entry, images: { "kube-vip": old } } },
    };
    expect(resolveLockedEnvironment(offline, stale, withImagePin).images?.["kube-vip"]?.digest).toBe(
      pinned.digest,
    );
    expect(lockStatus(offline, stale, withImagePin).differences).toEqual([
      `kube-vip image ghcr.io/kube-vip/kube-vip:v0.0.1 → ${KUBE_VIP_IMAGE.reference}`,
    ]);
  });

  it("says the lock is out of date when the environment starts delivering them", () => {
    const lock: LockFile = {
      lockfileVersion: 1,
      environments: { lab: offlineLockedEnvironment(environment(), pins) },
    };
    expect(lockStatus(environment({ artifacts: { addonImages: true } }), lock, pins).differences).toEqual([
      `kube-vip image not recorded → ${KUBE_VIP_IMAGE.reference}`,
    ]);
  });

  it("refuses, located at the lock field, when neither the lock nor the pins know them (homelab ships no digest)", () => {
    for (const resolve of [
      () => resolveLockedEnvironment(environment({ offline: true }), undefined, pins),
      () => offlineLockedEnvironment(environment({ offline: true }), pins),
    ]) {
      expect(resolve).toThrow(
        expect.objectContaining({
          code: "lock-missing-artifact",
          where: { file: "homelab.lock.json", path: "environments.lab.images.kube-vip" },
          fix: expect.stringMatching(/homelab lock lab --update.*artifacts.addonImages: false/s),
        }),
      );
    }
  });
});

describe("lock --update pulls them once and records digest and archive hash", () => {
  const amd64 = buildImage({ seed: 21 });
  let key: TestKey;
  let server: TestServer;
  let registry: StandInRegistry;
  let cacheRoot: string;
  let puller: AddonImagePuller;
  beforeAll(async () => {
    key = await makeKey();
    server = await startServer();
    registry = await StandInRegistry.start();
    const client = new RegistryClient({ fetch: realFetch, baseUrl: () => registry.url });
    cacheRoot = scratch("lock-images");
    puller = async (image) => {
      const pulled = await pullImageArchive(client, { reference: image.reference }, (digest) =>
        join(cacheRoot, "artifacts", addonImageCachePath(image.key, digest)),
      );
      return { digest: pulled.digest, archiveSha256: pulled.sha256 };
    };
  });
  afterAll(async () => {
    server?.close();
    await registry?.close();
  });
  beforeEach(async () => {
    server.files.clear();
    server.files.set("/k3s/v1.34.10%2Bk3s1/sha256sum-amd64.txt", {
      body: Buffer.from(`${imagesSha}  k3s-airgap-images-amd64.tar.zst\n${k3sSha}  k3s\n`),
    });
    server.files.set(`/stable/9999.1.0/${IMAGE}.DIGESTS.asc`, {
      body: Buffer.from(await clearSign(`# SHA512 HASH\n${"a".repeat(128)}  ${IMAGE}\n`, key)),
    });
    registry.pushIndex("kube-vip/kube-vip", KUBE_VIP_IMAGE.version, buildIndex([amd64]));
  });
  const update = (input: Record<string, unknown>, withPins: HomelabPins = pins) =>
    updateLockedEnvironment(environment(input), {
      fetch: realFetch,
      signingKeys: key.armoredPublicKey,
      now: () => new Date(Date.now() + 60_000),
      pins: withPins,
      pullAddonImage: puller,
      sources: { flatcarBaseUrl: `${server.base}/{channel}`, k3sBaseUrl: `${server.base}/k3s` },
    });

  it("records them for an offline environment, and keeps the archive in the cache", async () => {
    const entry = await update({ offline: true });
    const image = entry.images?.["kube-vip"];
    expect(image).toMatchObject({ reference: KUBE_VIP_IMAGE.reference, digest: amd64.manifest.digest });
    expect(image?.archive.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The next render finds exactly the archive the lock records.
    const lock: LockFile = { lockfileVersion: 1, environments: { lab: entry } };
    expect(resolveLockedEnvironment(environment({ offline: true }), lock, pins).images).toEqual(entry.images);
    expect((await update({})).images).toBeUndefined();
  });

  it("refuses a registry answer that contradicts homelab's pin (a moved tag), and records nothing", async () => {
    await expect(update({ offline: true }, withImagePin)).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/serves ghcr.io\/kube-vip\/kube-vip:v1.2.3 as sha256:/),
    });
  });
});
