// The air-gap image archive in homelab.lock.json: recorded only for environments that deliver
// it (artifacts.airgapImages, or offline), read by `lock --update` from the release's
// sha256sum-amd64.txt on a real HTTP server on 127.0.0.1, resolved from the lock or the pins.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import {
  type HomelabPins,
  type LockFile,
  lockStatus,
  offlineLockedEnvironment,
  resolveLockedEnvironment,
  updateLockedEnvironment,
  wantsAirgapImages,
} from "../../src/lock/index.js";
import { K3S_AIRGAP_IMAGES, k3sAirgapImagesUrl } from "../../src/pins/index.js";
import {
  clearSign,
  makeKey,
  realFetch,
  startServer,
  type TestKey,
  type TestServer,
} from "../image/fixtures.js";

const VERSION = "v1.34.10+k3s1";
const imagesSha = "f".repeat(64);
const k3sSha = "d".repeat(64);
const checksums = `${imagesSha}  k3s-airgap-images-amd64.tar.zst\n${k3sSha}  k3s\n`;
const IMAGE = "flatcar_production_qemu_image.img";
const digests = `# SHA512 HASH\n${"a".repeat(128)}  ${IMAGE}\n`;

const pins: HomelabPins = {
  k3sVersion: VERSION,
  k3sBinaries: { [VERSION]: { url: "https://example.invalid/k3s", sha256: k3sSha } },
  k3sAirgapImages: { [VERSION]: { url: k3sAirgapImagesUrl(VERSION), sha256: imagesSha } },
  flatcar: { stable: "9999.1.0" },
  flatcarSha512: {},
  providerVersion: "0.9.7",
  fluxVersion: "v2.9.5",
};

/** Offline, with the air-gap images under test; the add-on images are tested in addon-images.test.ts. */
const OFFLINE = { offline: true, artifacts: { addonImages: false } };

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

describe("which environments deliver the air-gap images", () => {
  it.each([
    [{}, false],
    [{ offline: true }, true],
    [{ artifacts: { airgapImages: true } }, true],
    [{ offline: true, artifacts: { airgapImages: false } }, false],
    [OFFLINE, true],
  ])("%j → %s", (input, wanted) => {
    expect(wantsAirgapImages(environment(input))).toBe(wanted);
  });
});

describe("resolving the archive", () => {
  it("leaves it out of environments that do not deliver it (the lock stays as it is)", () => {
    expect(resolveLockedEnvironment(environment(), undefined, pins).k3s).not.toHaveProperty("airgapImages");
    expect(offlineLockedEnvironment(environment(), pins).k3s).not.toHaveProperty("airgapImages");
  });

  it("takes it from the pins, and from the lock entry when it records it", () => {
    const offline = environment(OFFLINE);
    expect(resolveLockedEnvironment(offline, undefined, pins).k3s.airgapImages).toEqual({
      url: `https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s-airgap-images-amd64.tar.zst`,
      sha256: imagesSha,
    });
    const entry = offlineLockedEnvironment(offline, pins);
    const locked = "1".repeat(64);
    const lock: LockFile = {
      lockfileVersion: 1,
      environments: {
        lab: {
          ...entry,
          k3s: { ...entry.k3s, airgapImages: { url: entry.k3s.airgapImages?.url ?? "", sha256: locked } },
        },
      },
    };
    expect(resolveLockedEnvironment(offline, lock, pins).k3s.airgapImages?.sha256).toBe(locked);
    expect(lockStatus(offline, lock, pins).state).toBe("locked");
  });

  it("says the lock is out of date when the environment starts delivering it", () => {
    const entry = offlineLockedEnvironment(environment(), pins);
    const lock: LockFile = { lockfileVersion: 1, environments: { lab: entry } };
    expect(lockStatus(environment(OFFLINE), lock, pins)).toMatchObject({
      state: "out-of-date",
      differences: ["k3s air-gap images not recorded"],
    });
  });

  it("refuses with a located error when no hash is known", () => {
    const unknown: HomelabPins = { ...pins, k3sAirgapImages: {} };
    expect(() => resolveLockedEnvironment(environment(OFFLINE), undefined, unknown)).toThrow(
      expect.objectContaining({
        code: "lock-missing-artifact",
        where: { file: "homelab.lock.json", path: "environments.lab.k3s.airgapImages" },
      }),
    );
    expect(() => offlineLockedEnvironment(environment(OFFLINE), unknown)).toThrow(
      expect.objectContaining({ code: "lock-missing-artifact", message: expect.stringMatching(/air-gap/) }),
    );
  });

  it("ships a pin for the default k3s version", () => {
    expect(K3S_AIRGAP_IMAGES[VERSION]?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("lock --update records it from sha256sum-amd64.txt", () => {
  let key: TestKey;
  let server: TestServer;
  beforeAll(async () => {
    key = await makeKey();
    server = await startServer();
  });
  afterAll(() => server?.close());
  beforeEach(async () => {
    server.files.clear();
    server.files.set("/k3s/v1.34.10%2Bk3s1/sha256sum-amd64.txt", { body: Buffer.from(checksums) });
    server.files.set(`/stable/9999.1.0/${IMAGE}.DIGESTS.asc`, {
      body: Buffer.from(await clearSign(digests, key)),
    });
  });
  const update = (input: Record<string, unknown>, withPins: HomelabPins = pins) =>
    updateLockedEnvironment(environment(input), {
      fetch: realFetch,
      signingKeys: key.armoredPublicKey,
      now: () => new Date(Date.now() + 60_000),
      pins: withPins,
      sources: { flatcarBaseUrl: `${server.base}/{channel}`, k3sBaseUrl: `${server.base}/k3s` },
    });

  it("only for environments that deliver it", async () => {
    expect((await update({})).k3s).not.toHaveProperty("airgapImages");
    expect((await update(OFFLINE)).k3s.airgapImages).toEqual({
      url: k3sAirgapImagesUrl(VERSION),
      sha256: imagesSha,
    });
  });

  it("refuses a published hash that contradicts homelab's pin, and a release without the file", async () => {
    const contradicting: HomelabPins = {
      ...pins,
      k3sAirgapImages: { [VERSION]: { url: k3sAirgapImagesUrl(VERSION), sha256: "2".repeat(64) } },
    };
    await expect(update(OFFLINE, contradicting)).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/differs from the one homelab ships/),
    });
    server.files.set("/k3s/v1.34.10%2Bk3s1/sha256sum-amd64.txt", { body: Buffer.from(`${k3sSha}  k3s\n`) });
    await expect(update(OFFLINE)).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/no line for k3s-airgap-images-amd64.tar.zst/),
    });
  });
});
