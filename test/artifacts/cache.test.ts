// The artifact cache against a real HTTP server on 127.0.0.1 (test/image/fixtures.ts: Range
// support, dropped connections): downloads once, verifies against the lock's SHA-256 every time,
// refuses and removes what does not match, never keeps unverified bytes at the final path.
import { existsSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cachedArtifactPath,
  ensureArtifact,
  listArtifactCache,
  verifyCachedArtifact,
} from "../../src/artifacts/index.js";
import { realFetch, startServer, type TestServer } from "../image/fixtures.js";
import { randomFile, scratch, sha256, standInSpec } from "./fixtures.js";

let server: TestServer;
const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 31) % 251));
const hash = sha256(body);
const noSleep = async () => undefined;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.close());
beforeEach(() => {
  server.files.clear();
  server.requests.length = 0;
  server.files.set("/k3s", { body });
});

const spec = () => standInSpec("k3s", `${server.base}/k3s`, hash);

describe("ensureArtifact", () => {
  it("downloads once, then verifies the cached copy without the network", async () => {
    const cacheRoot = scratch("cache");
    const first = await ensureArtifact(spec(), { cacheRoot, fetch: realFetch });
    expect(first).toMatchObject({ source: "download", bytes: body.length, resumed: false });
    expect(first.path).toBe(join(cacheRoot, "artifacts", "k3s", "v9.9.9+k3s1", "k3s"));
    expect(readFileSync(first.path).equals(body)).toBe(true);
    const second = await ensureArtifact(spec(), { cacheRoot, fetch: realFetch });
    expect(second.source).toBe("cache");
    expect(server.requests).toHaveLength(1);
    expect(await listArtifactCache(cacheRoot)).toEqual([
      { name: "k3s/v9.9.9+k3s1/k3s", path: first.path, bytes: body.length },
    ]);
  });

  it("resumes a dropped download from the bytes it has", async () => {
    server.files.set("/k3s", { body, dropAfter: 100_000, dropTimes: 1 });
    const result = await ensureArtifact(spec(), {
      cacheRoot: scratch("cache"),
      fetch: realFetch,
      sleep: noSleep,
    });
    expect(result).toMatchObject({ source: "download", resumed: true });
    expect(server.requests.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
  });

  it("refuses a download whose SHA-256 differs from the lock, keeping nothing", async () => {
    const cacheRoot = scratch("cache");
    server.files.set("/k3s", { body: Buffer.from("not k3s") });
    await expect(ensureArtifact(spec(), { cacheRoot, fetch: realFetch })).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
      where: { file: "homelab.lock.json", path: "environments.lab.k3s.sha256" },
      message: expect.stringContaining(`records ${hash}`),
    });
    const path = cachedArtifactPath(cacheRoot, spec());
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it("says which artifact failed to download, and how to bring it in without the internet", async () => {
    server.files.set("/k3s", { body, status: 404 });
    await expect(
      ensureArtifact(spec(), { cacheRoot: scratch("cache"), fetch: realFetch }),
    ).rejects.toMatchObject({
      code: "artifact-download-failed",
      message: expect.stringMatching(
        /^the stand-in k3s: downloading http:\/\/127\.0\.0\.1:\d+\/k3s failed: HTTP 404/,
      ),
      fix: expect.stringContaining("--from DIR"),
    });
  });

  it.each([
    ["truncated", (path: string) => truncateSync(path, 1000)],
    ["replaced", (path: string) => writeFileSync(path, "tampered")],
  ])("re-fetches a cached copy that was %s", async (_what, damage) => {
    const cacheRoot = scratch("cache");
    const { path } = await ensureArtifact(spec(), { cacheRoot, fetch: realFetch });
    damage(path);
    const again = await ensureArtifact(spec(), { cacheRoot, fetch: realFetch });
    expect(again.source).toBe("download");
    expect(readFileSync(path).equals(body)).toBe(true);
  });

  it("without the network: missing is artifact-not-cached, damaged is artifact-hash-mismatch", async () => {
    const cacheRoot = scratch("cache");
    await expect(ensureArtifact(spec(), { cacheRoot })).rejects.toMatchObject({
      code: "artifact-not-cached",
      where: { path: "environments.lab.k3s.sha256" },
      fix: expect.stringContaining("homelab artifacts lab --from DIR"),
    });
    const path = cachedArtifactPath(cacheRoot, spec());
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, body.subarray(0, 1000));
    await expect(verifyCachedArtifact(spec(), cacheRoot)).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
      message: expect.stringContaining("(1000 bytes)"),
    });
    await expect(ensureArtifact(spec(), { cacheRoot })).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
    });
    expect(server.requests).toHaveLength(0);
  });

  it("imports a copy from a directory only when it matches", async () => {
    const cacheRoot = scratch("cache");
    const from = scratch("from");
    const wrong = randomFile(from, "k3s", 5000);
    await expect(ensureArtifact(spec(), { cacheRoot, importFrom: from })).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
      message: expect.stringContaining(wrong.sha256),
    });
    expect(existsSync(cachedArtifactPath(cacheRoot, spec()))).toBe(false);
    writeFileSync(join(from, "k3s"), body);
    const imported = await ensureArtifact(spec(), { cacheRoot, importFrom: from });
    expect(imported.source).toBe("import");
    expect(readFileSync(imported.path).equals(body)).toBe(true);
    await expect(
      ensureArtifact(spec(), { cacheRoot: scratch("cache"), importFrom: scratch("empty") }),
    ).rejects.toMatchObject({
      code: "artifact-not-cached",
    });
    expect(server.requests).toHaveLength(0);
  });

  it("refuses a second download into the same directory while one runs", async () => {
    const cacheRoot = scratch("cache");
    const dir = dirname(cachedArtifactPath(cacheRoot, spec()));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "download.lock"), String(process.pid));
    await expect(ensureArtifact(spec(), { cacheRoot, fetch: realFetch })).rejects.toMatchObject({
      code: "artifact-download-failed",
      message: expect.stringContaining(`pid ${process.pid}`),
    });
  });
});
