// The artifact volume's format, checked against the real GNU tar (Debian `tar`): what homelab
// writes is what `tar` lists and extracts, byte for byte, and its headers are those GNU tar
// itself writes for the same file in ustar format.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ustarHeader, writeTarImage } from "../../src/artifacts/index.js";
import { itWithTools, toolPath } from "../support/real-tools.js";
import { randomFile, scratch, sha256 } from "./fixtures.js";

const MiB = 1024 * 1024;

function tar(args: string[], cwd?: string): string {
  return execFileSync(toolPath("tar"), args, { encoding: "utf8", ...(cwd ? { cwd } : {}) });
}

describe("writeTarImage", () => {
  itWithTools(["tar"], "writes a ustar archive GNU tar lists and extracts byte for byte", async () => {
    const dir = scratch("tar");
    const k3s = randomFile(dir, "k3s-src", 3 * MiB + 17);
    const flux = randomFile(dir, "flux-src", 1000);
    const empty = randomFile(dir, "empty-src", 0);
    const out = join(dir, "volume.tar");
    const written = await writeTarImage(
      [
        { name: "k3s", mode: 0o755, source: k3s.path, sha256: k3s.sha256 },
        { name: "flux-install.yaml", mode: 0o600, source: flux.path, sha256: flux.sha256 },
        { name: "empty", mode: 0o644, source: empty.path, sha256: empty.sha256 },
      ],
      out,
    );
    expect(written.bytes % MiB).toBe(0);
    expect(statSync(out).size).toBe(written.bytes);
    expect(written.sha256).toBe(sha256(readFileSync(out)));
    expect(written.entries.map((e) => e.name)).toEqual(["empty", "flux-install.yaml", "k3s"]);

    const listing = tar(["--numeric-owner", "-tvf", out, "--full-time"]).trim().split("\n");
    expect(listing).toEqual([
      "-rw-r--r-- 0/0               0 1970-01-01 00:00:00 empty",
      "-rw------- 0/0            1000 1970-01-01 00:00:00 flux-install.yaml",
      `-rwxr-xr-x 0/0         ${3 * MiB + 17} 1970-01-01 00:00:00 k3s`,
    ]);
    expect(tar(["-tvf", out]).split("\n")[0]).toContain("root/root");

    const into = scratch("untar");
    tar(["-xf", out, "-C", into]);
    expect(readFileSync(join(into, "k3s")).equals(k3s.bytes)).toBe(true);
    expect(readFileSync(join(into, "flux-install.yaml")).equals(flux.bytes)).toBe(true);
    expect(statSync(join(into, "k3s")).mode & 0o777).toBe(0o755);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  itWithTools(["tar"], "writes the same header GNU tar writes in ustar format", () => {
    const dir = scratch("tar-header");
    writeFileSync(join(dir, "k3s"), Buffer.alloc(12345, 7));
    execFileSync(
      toolPath("tar"),
      [
        "--format=ustar",
        "--owner=root:0",
        "--group=root:0",
        "--mtime=@0",
        "--mode=0755",
        "-cf",
        "gnu.tar",
        "k3s",
      ],
      { cwd: dir },
    );
    const gnu = readFileSync(join(dir, "gnu.tar")).subarray(0, 512);
    expect(ustarHeader("k3s", 0o755, 12345).equals(gnu)).toBe(true);
  });

  it("is deterministic: same inputs in any order, same bytes", async () => {
    const dir = scratch("tar-determinism");
    const a = randomFile(dir, "a", 5000);
    const b = randomFile(dir, "b", 70000);
    const entries = [
      { name: "b", mode: 0o644, source: b.path, sha256: b.sha256 },
      { name: "a", mode: 0o755, source: a.path, sha256: a.sha256 },
    ];
    const first = await writeTarImage(entries, join(dir, "one.tar"));
    const second = await writeTarImage([...entries].reverse(), join(dir, "two.tar"));
    expect(second.sha256).toBe(first.sha256);
    expect(readFileSync(join(dir, "one.tar")).equals(readFileSync(join(dir, "two.tar")))).toBe(true);
  });

  it("refuses bytes that do not match their SHA-256 and leaves no file behind", async () => {
    const dir = scratch("tar-mismatch");
    const good = randomFile(dir, "good", 2048);
    const bad = randomFile(dir, "bad", 4096);
    const out = join(dir, "volume.tar");
    await expect(
      writeTarImage(
        [
          { name: "good", mode: 0o644, source: good.path, sha256: good.sha256 },
          {
            name: "k3s",
            mode: 0o755,
            source: bad.path,
            sha256: "0".repeat(64),
            label: "the k3s v9 binary",
            recordedAt: { file: "homelab.lock.json", path: "environments.lab.k3s.binary.sha256" },
          },
        ],
        out,
      ),
    ).rejects.toMatchObject({
      code: "artifact-hash-mismatch",
      message: expect.stringContaining(`has sha256 ${bad.sha256}`),
      where: { file: "homelab.lock.json", path: "environments.lab.k3s.binary.sha256" },
    });
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(["bad", "good"]);
  });

  it("refuses a source that vanished since it was verified, as not cached", async () => {
    const dir = scratch("tar-missing");
    await expect(
      writeTarImage(
        [{ name: "k3s", mode: 0o755, source: join(dir, "gone"), sha256: "0".repeat(64), environment: "lab" }],
        join(dir, "v.tar"),
      ),
    ).rejects.toMatchObject({
      code: "artifact-not-cached",
      fix: expect.stringContaining("homelab artifacts lab"),
    });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses names a node's shell would have to quote, and sizes ustar cannot state", () => {
    expect(() => ustarHeader("../etc/shadow", 0o644, 1)).toThrow(RangeError);
    expect(() => ustarHeader("two words", 0o644, 1)).toThrow(RangeError);
    expect(() => ustarHeader("big", 0o644, 8 * 1024 ** 3)).toThrow(RangeError);
  });
});
