import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, bench, describe } from "vitest";
import { takeSnapshot } from "../src/snapshots/index.js";
import { bboltSnapshot } from "../test/snapshots/bbolt-fixture.js";
import { startStandInNode } from "../test/snapshots/stand-in-node.js";

/**
 * `takeSnapshot` of a 64 MiB etcd snapshot from a real sshd on 127.0.0.1 (stand-in sudo and
 * k3s, see docs/testing.md): the save, one SSH stream through the checker into a 0600 file,
 * fsync, rename. The ssh cipher and the two SHA-256 bound it; memory must not grow with size.
 */
const work = mkdtempSync(join(tmpdir(), "homelab-bench-transfer-"));
const etcd = bboltSnapshot({ dataPages: 16_380 });
const SIZE = etcd.length;
const node = await startStandInNode({ node: "bench-server-1", log: join(work, "log"), etcd });
let round = 0;

afterAll(async () => {
  await node.stop();
  rmSync(work, { recursive: true, force: true });
});

describe("snapshot transfer, 64 MiB over ssh", () => {
  bench(
    "takeSnapshot (save, stream, check, store)",
    async () => {
      const started = performance.now();
      await takeSnapshot({
        server: node.server(join(work, "known_hosts")),
        environment: "bench",
        snapshotsDir: join(work, `snapshots-${round++}`),
        reason: "backup",
        takenAt: new Date(),
      });
      const seconds = (performance.now() - started) / 1000;
      console.log(
        `take: ${(SIZE / 1e6 / seconds).toFixed(0)} MB/s, ${seconds.toFixed(2)} s, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
      );
    },
    { iterations: 3, time: 0, warmupIterations: 0 },
  );
});
