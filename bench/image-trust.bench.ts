import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import * as openpgp from "openpgp";
import { afterAll, bench, describe } from "vitest";
import { cachedImagePaths, verifiedCachedImage } from "../src/image/index.js";

/**
 * What `plan`/`apply` pay to check the cached image before handing it to tofu, on a 1 GiB
 * image: trusting the verification record (stat: device, inode, size, mtime, ctime) against
 * re-hashing the file every time (SHA-512, the floor of any re-verification) and a full
 * re-verification (signature + SHA-512). The record check is what homelab does; the numbers
 * are why (see VerificationRecord in src/image/ensure.ts).
 */
const SIZE = 1024 * 1024 * 1024;
const cacheRoot = mkdtempSync(join(tmpdir(), "homelab-bench-trust-"));
const paths = cachedImagePaths(cacheRoot, "stable", "9999.0.0");
mkdirSync(paths.dir, { recursive: true });
const fd = openSync(paths.image, "w");
const chunk = randomBytes(8 * 1024 * 1024);
for (let written = 0; written < SIZE; written += chunk.length) writeSync(fd, chunk);
closeSync(fd);

const { privateKey, publicKey } = await openpgp.generateKey({
  type: "rsa",
  rsaBits: 2048,
  userIDs: [{ name: "bench" }],
  subkeys: [{ sign: true }],
  format: "armored",
});
const signingKey = await openpgp.readPrivateKey({ armoredKey: privateKey });
const signature = await openpgp.sign({
  message: await openpgp.createMessage({
    binary: Readable.toWeb(createReadStream(paths.image)) as ReadableStream<Uint8Array>,
  }),
  signingKeys: signingKey,
  detached: true,
  format: "binary",
});
writeFileSync(
  paths.signature,
  new Uint8Array(await new Response(signature as ReadableStream<Uint8Array>).arrayBuffer()),
);
const options = {
  channel: "stable" as const,
  version: "9999.0.0",
  cacheRoot,
  signingKeys: publicKey,
  now: () => new Date(Date.now() + 60_000),
};
await verifiedCachedImage(options); // writes the record

afterAll(() => rmSync(cacheRoot, { recursive: true, force: true }));

const timed = async (label: string, work: () => Promise<unknown>) => {
  const started = performance.now();
  await work();
  console.log(`${label}: ${(performance.now() - started).toFixed(1)} ms for 1 GiB`);
};

describe("checking a cached 1 GiB image before tofu", () => {
  bench(
    "verification record (stat + key + digest binding)",
    () => timed("record", () => verifiedCachedImage(options)),
    {
      iterations: 5,
      time: 0,
      warmupIterations: 0,
    },
  );

  bench(
    "re-hash always (sha512 of the file)",
    () =>
      timed("sha512", async () => {
        const hash = createHash("sha512");
        for await (const part of createReadStream(paths.image, { highWaterMark: 1 << 20 }))
          hash.update(part as Buffer);
        hash.digest();
      }),
    { iterations: 3, time: 0, warmupIterations: 0 },
  );

  bench(
    "full re-verification (signature + sha512)",
    () => timed("reverify", () => verifiedCachedImage({ ...options, reverify: true })),
    {
      iterations: 2,
      time: 0,
      warmupIterations: 0,
    },
  );
});
