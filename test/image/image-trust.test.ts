/**
 * When the cached image is trusted without reading it again, and when it must be verified:
 * the verification record binds the key that verified it, the digest and the file's identity
 * (device, inode, size, mtime and ctime). Real files, keys and signatures made by the test
 * (openpgp.js), a real HTTP server on 127.0.0.1 for the re-download.
 */

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cachedImagePaths,
  ensureFlatcarImage,
  FLATCAR_IMAGE_FILE,
  verifiedCachedImage,
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

const SIZE = 1024 * 1024 + 17;
const image = testBytes(SIZE, 11);
const now = () => new Date(Date.now() + 60_000);
const imageUrlPath = `/stable/9999.2.0/${FLATCAR_IMAGE_FILE}`;
let key: TestKey;
let otherKey: TestKey;
let server: TestServer;
let cacheRoot: string;
const paths = () => cachedImagePaths(cacheRoot, "stable", "9999.2.0");

function download(overrides: Partial<Parameters<typeof ensureFlatcarImage>[0]> = {}) {
  return ensureFlatcarImage({
    channel: "stable",
    version: "9999.2.0",
    cacheRoot,
    imageUrl: `${server.base}${imageUrlPath}`,
    signatureUrl: `${server.base}${imageUrlPath}.sig`,
    fetch: realFetch,
    signingKeys: key.armoredPublicKey,
    expectedFingerprint: key.fingerprint,
    now,
    sleep: async () => {},
    ...overrides,
  });
}

function check(overrides: Partial<Parameters<typeof verifiedCachedImage>[0]> = {}) {
  return verifiedCachedImage({
    channel: "stable",
    version: "9999.2.0",
    cacheRoot,
    signingKeys: key.armoredPublicKey,
    expectedFingerprint: key.fingerprint,
    now,
    fetchCommand: "homelab image development",
    ...overrides,
  });
}

/** `touch -r FROM TO`: the real coreutils copies atime and mtime to the nanosecond. */
function copyTimes(from: string, to: string): void {
  const result = spawnSync("touch", ["-r", from, to]);
  if (result.status !== 0) throw new Error(`touch -r failed: ${result.stderr}`);
}

/** Changes bytes in place and puts size and mtime back, as a careless tool (or an attacker) might. */
function tamperInPlace(path: string): void {
  const reference = `${path}.times`;
  writeFileSync(reference, "");
  copyTimes(path, reference);
  const before = statSync(path, { bigint: true });
  const bytes = readFileSync(path);
  bytes[1000] = (bytes[1000] ?? 0) ^ 0x55;
  writeFileSync(path, bytes);
  copyTimes(reference, path);
  rmSync(reference);
  const after = statSync(path, { bigint: true });
  expect(after.size).toBe(before.size);
  expect(after.mtimeNs).toBe(before.mtimeNs);
  expect(after.ino).toBe(before.ino);
}

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey(), makeKey("Someone Else")]);
  server = await startServer();
});

beforeEach(async () => {
  cacheRoot = mkdtempSync(join(tmpdir(), "homelab-trust-"));
  server.files.clear();
  server.requests.length = 0;
  server.files.set(imageUrlPath, { body: image });
  server.files.set(`${imageUrlPath}.sig`, { body: await signDetached(image, key) });
});

describe("the cached image's verification record", () => {
  it("is trusted for exactly the file it was made for: a second check reads nothing", async () => {
    await download();
    const first = await check({ onProgress: () => expect.fail("the image was read again") });
    expect(first).toMatchObject({ source: "cache", verified: true, path: paths().image });
    expect(first.sha512).toBe(createHash("sha512").update(image).digest("hex"));
  });

  it("does not vouch for bytes changed in place with size and mtime restored: verified again, refused", async () => {
    await download();
    tamperInPlace(paths().image);
    const failure = await check().catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: "image-signature-invalid", where: { file: paths().image } });
    // `homelab image` (ensureFlatcarImage) replaces it with a verified download.
    const again = await download();
    expect(again.source).toBe("download");
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
  });

  it("up and `homelab image` (ensureFlatcarImage) verify a tampered-in-place image again and replace it", async () => {
    await download();
    tamperInPlace(paths().image);
    server.requests.length = 0;
    const again = await download();
    expect(again.source).toBe("download");
    expect(readFileSync(paths().image).equals(Buffer.from(image))).toBe(true);
  });

  it("up and `homelab image` do not trust a record made with another key", async () => {
    server.files.set(`${imageUrlPath}.sig`, { body: await signDetached(image, otherKey) });
    await download({ signingKeys: otherKey.armoredPublicKey, expectedFingerprint: otherKey.fingerprint });
    server.files.set(`${imageUrlPath}.sig`, { body: await signDetached(image, key) });
    const again = await download();
    expect(again.source).toBe("download");
    expect(again.signingKeyFingerprint).not.toBe(undefined);
    expect(server.requests.some((request) => request.path === imageUrlPath)).toBe(true);
  });

  it("does not vouch for another file renamed over the image with the same size and mtime", async () => {
    await download();
    const impostor = join(paths().dir, "impostor");
    const bytes = Buffer.from(image);
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    writeFileSync(impostor, bytes);
    copyTimes(paths().image, impostor);
    renameSync(impostor, paths().image);
    await expect(check()).rejects.toMatchObject({ code: "image-signature-invalid" });
  });

  it("made with another key is not trusted for this key: verified again, refused", async () => {
    // The cache was filled while another key was homelab's (a swapped key file, an old homelab).
    server.files.set(`${imageUrlPath}.sig`, { body: await signDetached(image, otherKey) });
    await download({ signingKeys: otherKey.armoredPublicKey, expectedFingerprint: otherKey.fingerprint });
    const record = JSON.parse(readFileSync(paths().record, "utf8")) as Record<string, string>;
    expect(record.primaryKeyFingerprint).toBe(otherKey.fingerprint);
    const failure = (await check().catch((e: unknown) => e)) as Error;
    expect(failure).toMatchObject({ code: "image-signature-invalid" });
    expect(failure.message).toMatch(/not part of Flatcar's image-signing key/);
  });

  it("whose digest differs from the lock's sha512 is not trusted", async () => {
    await download();
    await expect(check({ expectedSha512: "0".repeat(128) })).rejects.toMatchObject({
      code: "image-hash-mismatch",
    });
  });

  it("of an older homelab (size and mtime only) is replaced after verifying again", async () => {
    await download();
    const stats = statSync(paths().image);
    writeFileSync(
      paths().record,
      JSON.stringify({ size: stats.size, mtimeMs: stats.mtimeMs, sha512: "x", signingKeyFingerprint: "y" }),
    );
    let read = 0;
    await expect(check({ onProgress: () => read++ })).resolves.toMatchObject({ verified: true });
    expect(read).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(paths().record, "utf8")).version).toBe(2);
  });
});

describe("the image plan and apply hand to tofu (verifiedCachedImage: no network)", () => {
  it("refuses random bytes at the cache path with no record and no signature: image-not-verified", async () => {
    mkdirSync(paths().dir, { recursive: true });
    writeFileSync(paths().image, testBytes(1024 * 1024, 99));
    const failure = (await check().catch((e: unknown) => e)) as Error & { fix: string };
    expect(failure).toMatchObject({ code: "image-not-verified", where: { file: paths().image } });
    expect(failure.fix).toContain("homelab image development");
    expect(server.requests).toEqual([]);
  });

  it("refuses random bytes next to a genuine signature and a forged record", async () => {
    await download();
    const record = readFileSync(paths().record, "utf8");
    writeFileSync(paths().image, testBytes(SIZE, 99));
    writeFileSync(paths().record, record); // the old record: the file's identity no longer matches
    await expect(check()).rejects.toMatchObject({ code: "image-signature-invalid" });
  });

  it("refuses a missing image with the command that fetches it", async () => {
    const failure = (await check().catch((e: unknown) => e)) as Error & { fix: string };
    expect(failure).toMatchObject({ code: "image-not-verified" });
    expect(failure.message).toContain("is not in the cache");
    expect(failure.fix).toContain("homelab image development");
  });
});
