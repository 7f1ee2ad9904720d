// `homelab lock --update` logic against a real HTTP server on 127.0.0.1: k3s checksums and
// Flatcar DIGESTS signed (clear-signed and detached) with a key made by the test.
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { parseDigests } from "../../src/image/index.js";
import { type HomelabPins, parseK3sChecksums, updateLockedEnvironment } from "../../src/lock/index.js";
import {
  clearSign,
  makeKey,
  realFetch,
  signArmored,
  startServer,
  type TestKey,
  type TestServer,
} from "../image/fixtures.js";

const IMAGE = "flatcar_production_qemu_image.img";
const imageSha512 = createHash("sha512").update("image").digest("hex");
const blake = "e".repeat(128);
const digests = [
  "# MD5 HASH",
  `${"1".repeat(32)}  ${IMAGE}`,
  "# SHA1 HASH",
  `${"2".repeat(40)}  ${IMAGE}`,
  "# BLAKE2B HASH",
  `${blake}  ${IMAGE}`,
  "# SHA512 HASH",
  `${imageSha512}  ${IMAGE}`,
  "",
].join("\n");
const k3sSha = "d".repeat(64);
const checksums = `${"f".repeat(64)}  k3s-airgap-images-amd64.tar.zst\n${k3sSha}  k3s\n${"0".repeat(64)}  k3s-arm64\n`;

let key: TestKey;
let otherKey: TestKey;
let server: TestServer;
const environment = EnvironmentSchema.parse({
  name: "dev",
  prefix: "k3s-dev",
  network: { cidr: "192.168.140.0/24" },
  servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
  agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
  ssh: { authorizedKeys: [] },
  flatcar: { channel: "stable", version: "9999.1.0" },
  k3s: { version: "v1.34.10+k3s1" },
});
const pins: HomelabPins = {
  k3sVersion: "v1.34.10+k3s1",
  k3sBinaries: {},
  flatcar: { stable: "9999.1.0" },
  flatcarSha512: {},
  providerVersion: "0.9.7",
  fluxVersion: "v2.9.5",
};
const digestsPath = `/stable/9999.1.0/${IMAGE}.DIGESTS`;
const checksumsPath = "/k3s/v1.34.10%2Bk3s1/sha256sum-amd64.txt";

function update(overrides: { pins?: HomelabPins; keys?: string } = {}) {
  return updateLockedEnvironment(environment, {
    fetch: realFetch,
    signingKeys: overrides.keys ?? key.armoredPublicKey,
    now: () => new Date(Date.now() + 60_000),
    pins: overrides.pins ?? pins,
    sources: { flatcarBaseUrl: `${server.base}/{channel}`, k3sBaseUrl: `${server.base}/k3s` },
  });
}

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey(), makeKey("Other")]);
  server = await startServer();
});
afterAll(() => server?.close());
beforeEach(async () => {
  server.files.clear();
  server.files.set(checksumsPath, { body: Buffer.from(checksums) });
  server.files.set(`${digestsPath}.asc`, { body: Buffer.from(await clearSign(digests, key)) });
});

describe("parsers", () => {
  it("takes the SHA512 section, not the BLAKE2B one of the same length", () => {
    expect(parseDigests(digests).get("sha512")).toBe(imageSha512);
    expect(parseDigests(digests).get("blake2b")).toBe(blake);
  });
  it("takes the k3s line of sha256sum-amd64.txt", () => {
    expect(parseK3sChecksums(checksums)).toBe(k3sSha);
    expect(parseK3sChecksums("abc  k3s\n")).toBeUndefined();
  });
});

describe("updateLockedEnvironment against a local server", () => {
  it("records the k3s sha256 and the Flatcar sha512 from clear-signed DIGESTS, with canonical URLs", async () => {
    const entry = await update();
    expect(entry).toEqual({
      flatcar: {
        channel: "stable",
        version: "9999.1.0",
        image: {
          url: `https://stable.release.flatcar-linux.net/amd64-usr/9999.1.0/${IMAGE}`,
          signatureUrl: `https://stable.release.flatcar-linux.net/amd64-usr/9999.1.0/${IMAGE}.sig`,
          signingKeyFingerprint: key.fingerprint,
          sha512: imageSha512,
        },
      },
      k3s: {
        version: "v1.34.10+k3s1",
        binary: {
          url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
          sha256: k3sSha,
        },
      },
      provider: { source: "dmacvicar/libvirt", version: "0.9.7" },
    });
    expect(server.requests.map((request) => request.path).sort()).toEqual(
      [checksumsPath, `${digestsPath}.asc`].sort(),
    );
  });

  it("accepts a detached armored signature over the DIGESTS file", async () => {
    server.files.set(`${digestsPath}.asc`, { body: Buffer.from(await signArmored(digests, key)) });
    server.files.set(digestsPath, { body: Buffer.from(digests) });
    await expect(update()).resolves.toMatchObject({ flatcar: { image: { sha512: imageSha512 } } });
  });

  it("refuses DIGESTS signed by another key or altered after signing", async () => {
    server.files.set(`${digestsPath}.asc`, { body: Buffer.from(await clearSign(digests, otherKey)) });
    await expect(update()).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/do not verify/),
    });
    const signed = await clearSign(digests, key);
    server.files.set(`${digestsPath}.asc`, {
      body: Buffer.from(signed.replace(imageSha512, "9".repeat(128))),
    });
    await expect(update()).rejects.toMatchObject({ code: "lock-update-failed" });
  });

  it("refuses a published k3s hash that contradicts homelab's pin", async () => {
    const pinned: HomelabPins = {
      ...pins,
      k3sBinaries: {
        "v1.34.10+k3s1": {
          url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
          sha256: "c".repeat(64),
        },
      },
    };
    await expect(update({ pins: pinned })).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/differs/),
    });
  });

  it("reports a missing release file with lock-update-failed", async () => {
    server.files.delete(checksumsPath);
    await expect(update()).rejects.toMatchObject({
      code: "lock-update-failed",
      message: expect.stringMatching(/HTTP 404/),
    });
  });
});

describe("a metadata server that stops answering", () => {
  it("ends in lock-update-failed saying it stalled, within the timeouts", { timeout: 10_000 }, async () => {
    const silent = createServer(() => undefined); // accepts, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const failure = await updateLockedEnvironment(environment, {
        fetch: realFetch,
        signingKeys: key.armoredPublicKey,
        now: () => new Date(),
        pins,
        sources: { flatcarBaseUrl: `${base}/{channel}`, k3sBaseUrl: `${base}/k3s` },
        timeouts: { requestMs: 300, idleMs: 300 },
      }).catch((e: unknown) => e);
      expect(failure).toMatchObject({
        code: "lock-update-failed",
        message: expect.stringContaining("stalled: no response within 0.3s"),
      });
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
