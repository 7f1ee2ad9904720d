import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { checkSnapshotFile } from "../src/snapshots/index.js";
import { bboltDatabase } from "../test/snapshots/bbolt-fixture.js";

/**
 * Checking a 256 MiB etcd snapshot (large for a homelab; etcd's default quota is 2 GiB): one
 * read feeds two SHA-256 (whole file, and all but the 32-byte trailer) and keeps 64 KiB for the
 * meta pages. Compared with one bare SHA-256 pass, the floor. Memory must not grow with size.
 */
const SIZE_PAGES = 65_536; // × 4 KiB = 256 MiB
const dir = mkdtempSync(join(tmpdir(), "homelab-bench-snapshot-"));
const file = join(dir, "snapshot.db");
// Written in pieces so that no 256 MiB buffer stays in this process (the RSS printed is the check's).
const head = bboltDatabase({ dataPages: 0 });
const filler = randomBytes(1024 * 1024);
const trailer = createHash("sha256").update(head);
const fd = openSync(file, "w");
writeSync(fd, head);
for (let pages = 4; pages < SIZE_PAGES; pages += filler.length / 4096) {
  writeSync(fd, filler);
  trailer.update(filler);
}
writeSync(fd, trailer.digest());
closeSync(fd);
const SIZE = statSync(file).size;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("snapshot check, 256 MiB", () => {
  bench(
    "checkSnapshotFile (trailer + meta pages + full SHA-256)",
    async () => {
      const started = performance.now();
      const check = await checkSnapshotFile(file);
      if (!check.ok) throw new Error(check.problem);
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `check: ${(SIZE / 1e6 / seconds).toFixed(0)} MB/s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
      );
    },
    { iterations: 3, time: 0, warmupIterations: 0 },
  );
  bench(
    "bare sha256 of the file (floor)",
    async () => {
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }))
        hash.update(chunk as Buffer);
      hash.digest();
    },
    { iterations: 3, time: 0, warmupIterations: 0 },
  );
});
