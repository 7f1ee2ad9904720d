// End-to-end download and verification against a real HTTP server on 127.0.0.1, with keys and
// signatures made by the test (openpgp.js) and cross-checked with the real gpg.
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cachedImagePaths,
  ensureFlatcarImage,
  FLATCAR_IMAGE_FILE,
  useLocalImage,
} from "../../src/image/index.js";
import {
  makeKey,
  realFetch,
  signDetached,
  startServer,
  type TestKey,
  type TestServer,
  testBytes,
} from "./fixtures.js";

const SIZE = 3 * 1024 * 1024 + 123;
const image = testBytes(SIZE, 7);
const now = () => new Date(Date.now() + 60_000);
const noSleep = async () => {};
let key: TestKey;
let otherKey: TestKey;
let signature: Uint8Array;
let server: TestServer;
let cacheRoot: string;
let scratch: string;

const imagePath = `/stable/9999.1.0/${FLATCAR_IMAGE_FILE}`;
const paths = () => cachedImagePaths(cacheRoot, "stable", "9999.1.0");

function options(overrides: Partial<Parameters<typeof ensureFlatcarImage>[0]> = {}) {
  return {
    channel: "stable" as const,
    version: "9999.1.0",
    cacheRoot,
    imageUrl: `${server.base}${imagePath}`,
    signatureUrl: `${server.base}${imagePath}.sig`,
    fetch: realFetch,
    signingKeys: key.armoredPublicKey,
    expectedFingerprint: key.fingerprint,
    now,
    sleep: noSleep,
    ...overrides,
  };
}

/** Only the verified image, its signature and its record may be in the cache directory. */
function cacheFiles(): string[] {
  return existsSync(paths().dir) ? readdirSync(paths().dir).sort() : [];
}

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey(), makeKey("Someone Else")]);
  signature = await signDetached(image, key);
  server = await startServer();
  scratch = mkdtempSync(join(tmpdir(), "homelab-image-"));
});

afterAll(async () => {
  await server?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

beforeEach(() => {
  cacheRoot = mkdtempSync(join(scratch, "cache-"));
  server.requests.length = 0;
  server.files.clear();
  server.files.set(imagePath, { body: image });
  server.files.set(`${imagePath}.sig`, { body: signature });
});

describe("ensureFlatcarImage against a local HTTP server", () => {
  it("downloads, verifies and moves a good image into place, then serves it from the cache", async () => {
    const progress: string[] = [];
    const result = await ensureFlatcarImage(options({ onProgress: (event) => progress.push(event.phase) }));
    expect(result).toMatchObject({
      path: paths().image,
      source: "download",
      verified: true,
      bytes: SIZE,
      resumed: false,
    });
    expect(result.sha512).toBe(createHash("sha512").update(image).digest("hex"));
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
    expect(cacheFiles()).toEqual([
      FLATCAR_IMAGE_FILE,
      `${FLATCAR_IMAGE_FILE}.sig`,
      `${FLATCAR_IMAGE_FILE}.verified.json`,
    ]);
    expect(progress).toContain("download");
    expect(progress).toContain("verify");

    server.requests.length = 0;
    const again = await ensureFlatcarImage(options());
    expect(again.source).toBe("cache");
    expect(server.requests).toEqual([]); // trusted from its verification record: no network, no re-read
  });

  it("refuses a tampered image and leaves nothing half-written", async () => {
    const tampered = Uint8Array.from(image);
    tampered[SIZE - 10] = (tampered[SIZE - 10] ?? 0) ^ 0xff;
    server.files.set(imagePath, { body: tampered });
    await expect(ensureFlatcarImage(options())).rejects.toMatchObject({ code: "image-signature-invalid" });
    expect(cacheFiles()).toEqual([]); // no final image, no .part to resume from, no lock
  });

  it("refuses an image signed by another key", async () => {
    server.files.set(`${imagePath}.sig`, { body: await signDetached(image, otherKey) });
    const error = await ensureFlatcarImage(options()).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "image-signature-invalid" });
    expect(String((error as Error).message)).toMatch(/not part of Flatcar's image-signing key/);
    expect(cacheFiles()).toEqual([]);
  });

  it("refuses a key file whose fingerprint is not the one the lock names", async () => {
    await expect(
      ensureFlatcarImage(options({ signingKeys: otherKey.armoredPublicKey })),
    ).rejects.toMatchObject({
      code: "image-signature-invalid",
      message: expect.stringContaining(key.fingerprint),
    });
  });

  it("refuses an image without a published signature", async () => {
    server.files.delete(`${imagePath}.sig`);
    await expect(ensureFlatcarImage(options())).rejects.toMatchObject({ code: "image-unverifiable" });
    expect(cacheFiles()).toEqual([]);
  });

  it("resumes when the server drops the connection mid-way (within one call, with Range)", async () => {
    server.files.set(imagePath, { body: image, dropAfter: 1_000_000, dropTimes: 1 });
    const result = await ensureFlatcarImage(options());
    expect(result).toMatchObject({ source: "download", resumed: true, verified: true });
    const imageRequests = server.requests.filter((request) => request.path === imagePath);
    expect(imageRequests).toHaveLength(2);
    expect(imageRequests[0]).toMatchObject({ range: undefined, status: 200 });
    expect(imageRequests[1]?.range).toMatch(/^bytes=\d+-$/);
    expect(imageRequests[1]?.status).toBe(206);
    expect(Number(imageRequests[1]?.range?.slice(6, -1))).toBeGreaterThan(0);
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
  });

  it("keeps the .part after a failed run and resumes from it in the next run", async () => {
    server.files.set(imagePath, { body: image, dropAfter: 2_000_000, dropTimes: 1 });
    await expect(ensureFlatcarImage(options({ maxAttempts: 1 }))).rejects.toMatchObject({
      code: "image-download-failed",
    });
    expect(existsSync(paths().image)).toBe(false);
    const partial = statSync(paths().part).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(SIZE);

    server.requests.length = 0;
    const result = await ensureFlatcarImage(options());
    expect(result.resumed).toBe(true);
    expect(server.requests.find((request) => request.path === imagePath)).toMatchObject({
      range: `bytes=${partial}-`,
      status: 206,
    });
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
    expect(existsSync(paths().part)).toBe(false);
  });

  it("starts over when the server ignores Range (200) or answers another range", async () => {
    for (const misbehaviour of [{ ignoreRange: true }, { wrongRange: true }]) {
      cacheRoot = mkdtempSync(join(scratch, "cache-"));
      server.files.set(imagePath, { body: image, dropAfter: 500_000, dropTimes: 1, ...misbehaviour });
      const result = await ensureFlatcarImage(options());
      expect(result.verified).toBe(true);
      expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
    }
  });

  it("checks the lock file's sha512 after the signature", async () => {
    const wrong = "0".repeat(128);
    await expect(ensureFlatcarImage(options({ expectedSha512: wrong }))).rejects.toMatchObject({
      code: "image-hash-mismatch",
    });
    expect(cacheFiles()).toEqual([]);
    const right = createHash("sha512").update(image).digest("hex");
    await expect(ensureFlatcarImage(options({ expectedSha512: right }))).resolves.toMatchObject({
      sha512: right,
    });
  });

  it("re-verifies a cached image whose file changed, and replaces it when it no longer verifies", async () => {
    await ensureFlatcarImage(options());
    const changed = Buffer.from(image);
    changed[5] = (changed[5] ?? 0) ^ 1;
    writeFileSync(paths().image, changed); // new mtime: the record no longer matches
    const result = await ensureFlatcarImage(options());
    expect(result.source).toBe("download");
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
  });

  it("refuses to download while another live process holds the download lock, and takes over a dead one's", async () => {
    mkdirSync(paths().dir, { recursive: true });
    writeFileSync(join(paths().dir, "download.lock"), String(process.pid));
    await expect(ensureFlatcarImage(options())).rejects.toMatchObject({
      code: "image-download-failed",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    writeFileSync(join(paths().dir, "download.lock"), "2147483646"); // no such process
    await expect(ensureFlatcarImage(options())).resolves.toMatchObject({ source: "download" });
    expect(cacheFiles()).not.toContain("download.lock");
  });

  it("reports an unreachable server as image-download-failed with the resume hint", async () => {
    const closed = await startServer();
    await closed.close();
    await expect(
      ensureFlatcarImage(
        options({ imageUrl: `${closed.base}/x.img`, signatureUrl: `${closed.base}/x.img.sig` }),
      ),
    ).rejects.toMatchObject({
      code: "image-download-failed",
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});

describe("useLocalImage (--image PATH)", () => {
  it("verifies a local image with the .sig beside it, and refuses a wrong one", async () => {
    const local = join(scratch, "local.img");
    writeFileSync(local, image);
    writeFileSync(`${local}.sig`, signature);
    const base = { signingKeys: key.armoredPublicKey, expectedFingerprint: key.fingerprint, now };
    await expect(useLocalImage({ ...base, path: local })).resolves.toMatchObject({
      path: local,
      verified: true,
      source: "local",
    });
    writeFileSync(`${local}.sig`, await signDetached(image, otherKey));
    await expect(useLocalImage({ ...base, path: local })).rejects.toMatchObject({
      code: "image-signature-invalid",
    });
  });

  it("refuses a local image without a signature unless --insecure-skip-verify, which warns loudly", async () => {
    const local = join(scratch, "unsigned.img");
    writeFileSync(local, image);
    const base = { signingKeys: key.armoredPublicKey, now };
    await expect(useLocalImage({ ...base, path: local })).rejects.toMatchObject({
      code: "image-unverifiable",
    });
    const insecure = await useLocalImage({ ...base, path: local, insecureSkipVerify: true });
    expect(insecure.verified).toBe(false);
    expect(insecure.warnings.join("\n")).toMatch(/UNVERIFIED IMAGE/);
  });
});
