/**
 * Downloads that stop: a real HTTP server on 127.0.0.1 that accepts the connection and then
 * never answers, or answers and stops sending, or sends a "signature" without end. Each must
 * end in an error with a code, within the timeouts, not hang.
 */
import { mkdtempSync } from "node:fs";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  downloadResumable,
  ensureFlatcarImage,
  FLATCAR_IMAGE_FILE,
  MAX_SIGNATURE_BYTES,
} from "../../src/image/index.js";
import { makeKey, realFetch, type TestKey } from "./fixtures.js";

type Behaviour = (response: ServerResponse) => void;

const behaviours: Record<string, Behaviour> = {
  // Accepts, reads the request, never sends a status line.
  "/silent": () => undefined,
  // Headers and the first kilobyte, then nothing (the connection stays open).
  "/stalls": (response) => {
    response.writeHead(200, { "Content-Length": 10_000_000 });
    response.write(Buffer.alloc(1024));
  },
  // A signature's first bytes, then nothing.
  "/stalls.sig": (response) => {
    response.writeHead(200, { "Content-Length": 600 });
    response.write(Buffer.alloc(100));
  },
  // A "signature" that never ends, without a Content-Length.
  "/endless.sig": (response) => {
    response.writeHead(200);
    const timer = setInterval(() => response.write(Buffer.alloc(16 * 1024, 0x41)), 5);
    response.on("close", () => clearInterval(timer));
  },
  // A "signature" announced as 5 MB.
  "/huge.sig": (response) => {
    response.writeHead(200, { "Content-Length": 5_000_000 });
    response.write(Buffer.alloc(1024));
  },
};

let server: Server;
let base: string;
let key: TestKey;
const timeouts = { requestMs: 300, idleMs: 300 };

beforeAll(async () => {
  key = await makeKey();
  server = createServer((request, response) => {
    behaviours[new URL(request.url ?? "/", "http://x").pathname]?.(response);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function ensure(imagePath: string, signaturePath: string) {
  return ensureFlatcarImage({
    channel: "stable",
    version: "9999.3.0",
    cacheRoot: mkdtempSync(join(tmpdir(), "homelab-timeouts-")),
    imageUrl: `${base}${imagePath}`,
    signatureUrl: `${base}${signaturePath}`,
    fetch: realFetch,
    signingKeys: key.armoredPublicKey,
    now: () => new Date(),
    sleep: async () => {},
    maxAttempts: 2,
    timeouts,
  });
}

describe("stalled downloads end in image-download-timeout", () => {
  it("an image server that never answers: request timeout", { timeout: 10_000 }, async () => {
    const partPath = join(mkdtempSync(join(tmpdir(), "homelab-timeouts-")), `${FLATCAR_IMAGE_FILE}.part`);
    const failure = (await downloadResumable({
      url: `${base}/silent`,
      partPath,
      fetch: realFetch,
      sleep: async () => {},
      maxAttempts: 2,
      timeouts,
    }).catch((e: unknown) => e)) as Error & { code: string; fix: string };
    expect(failure.code).toBe("image-download-timeout");
    expect(failure.message).toContain("no response within 0.3s");
    expect(failure.fix).toContain(partPath);
  });

  it("an image body that stops coming: idle timeout, the .part kept for resuming", {
    timeout: 10_000,
  }, async () => {
    const partPath = join(mkdtempSync(join(tmpdir(), "homelab-timeouts-")), `${FLATCAR_IMAGE_FILE}.part`);
    const failure = (await downloadResumable({
      url: `${base}/stalls`,
      partPath,
      fetch: realFetch,
      sleep: async () => {},
      maxAttempts: 1,
      timeouts,
    }).catch((e: unknown) => e)) as Error & { code: string };
    expect(failure.code).toBe("image-download-timeout");
    expect(failure.message).toContain("no data for 0.3s");
  });

  it("a signature server that never answers", { timeout: 10_000 }, async () => {
    await expect(ensure("/silent", "/silent")).rejects.toMatchObject({
      code: "image-download-timeout",
      message: expect.stringContaining("/silent stalled: no response within 0.3s"),
    });
  });

  it("a signature body that stops coming", { timeout: 10_000 }, async () => {
    await expect(ensure("/silent", "/stalls.sig")).rejects.toMatchObject({ code: "image-download-timeout" });
  });
});

describe("the signature's size is bounded", () => {
  it(`refuses a signature announced larger than ${MAX_SIGNATURE_BYTES} bytes without reading it`, {
    timeout: 10_000,
  }, async () => {
    await expect(ensure("/silent", "/huge.sig")).rejects.toMatchObject({
      code: "image-signature-invalid",
      message: expect.stringContaining("5000000 bytes; a Flatcar signature is a few hundred bytes"),
    });
  });

  it("stops reading an endless signature at the limit", { timeout: 10_000 }, async () => {
    const before = process.memoryUsage().rss;
    await expect(ensure("/silent", "/endless.sig")).rejects.toMatchObject({
      code: "image-signature-invalid",
      message: expect.stringContaining(`over ${MAX_SIGNATURE_BYTES} bytes`),
    });
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });
});
