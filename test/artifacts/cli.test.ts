// `homelab artifacts` as a user runs it: the built CLI in a scratch project (JSON environment,
// its own homelab.lock.json naming stand-in hashes, cache and state directories), in a network
// namespace with only loopback — `--from` and `--no-download` are how an air-gapped homelab
// machine is fed, and nothing here may leave the machine anyway.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, expect, it } from "vitest";
import { serializeLock } from "../../src/lock/index.js";
import { describeWithTools, itWithTools, type RealToolName, toolPath } from "../support/real-tools.js";
import { homelabOffline, randomFile, scratch } from "./fixtures.js";

/** A network namespace of its own (unshare -n) needs root. */
const OFFLINE: readonly RealToolName[] = ["root", "unshare"];
const REPO = resolve(import.meta.dirname, "..", "..");
let project: string;
let from: string;
let k3s: ReturnType<typeof randomFile>;
const homelab = (args: readonly string[]) => homelabOffline(project, args);

const cachedK3s = () => join(project, "cache", "artifacts", "k3s", "v1.34.10+k3s1", "k3s");

beforeAll(() => {
  if (!existsSync(join(REPO, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
  }
  project = scratch("cli-artifacts");
  mkdirSync(join(project, "environments"));
  mkdirSync(join(project, "home"));
  from = scratch("cli-artifacts-from");
  k3s = randomFile(from, "k3s", 3 * 1024 * 1024);
  const environment = {
    name: "lab",
    prefix: "lab",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 1 },
    k3s: { version: "v1.34.10+k3s1" },
  };
  writeFileSync(join(project, "environments", "lab.json"), `${JSON.stringify(environment, null, 2)}\n`);
  const real = JSON.parse(readFileSync(join(REPO, "homelab.lock.json"), "utf8"));
  const entry = real.environments.development;
  writeFileSync(
    join(project, "homelab.lock.json"),
    serializeLock({
      lockfileVersion: 1,
      environments: {
        lab: { ...entry, k3s: { ...entry.k3s, binary: { ...entry.k3s.binary, sha256: k3s.sha256 } } },
      },
    }),
  );
});

describeWithTools(OFFLINE, "homelab artifacts", () => {
  it("refuses what is not cached with --no-download: located, with the fix and the docs page", () => {
    const run = homelab(["artifacts", "lab", "--no-download"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[artifact-not-cached]");
    expect(run.stderr).toContain("homelab.lock.json");
    expect(run.stderr).toContain("environments.lab.k3s.binary.sha256");
    expect(run.stderr).toContain("--from DIR");
    expect(run.stderr).toContain("docs/common-errors/artifact-not-cached.md");
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("imports a verified copy with --from, then finds it in the cache", () => {
    const imported = homelab(["artifacts", "lab", "--from", from]);
    expect(imported.stderr).not.toContain("error[");
    expect(imported.status).toBe(0);
    expect(imported.stdout).toContain(`k3s v1.34.10+k3s1 binary: imported, 3.0 MiB, sha256 ${k3s.sha256}`);
    expect(readFileSync(cachedK3s()).equals(k3s.bytes)).toBe(true);

    const again = homelab(["artifacts", "lab", "--no-download", "--json"]);
    expect(again.status).toBe(0);
    const result = again.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((event) => event.type === "result");
    expect(result.artifacts).toEqual([
      expect.objectContaining({ kind: "k3s", source: "cache", sha256: k3s.sha256, bytes: k3s.bytes.length }),
    ]);
    expect(result.cache).toEqual([
      { name: "k3s/v1.34.10+k3s1/k3s", path: cachedK3s(), bytes: k3s.bytes.length, used: true },
    ]);
  });

  itWithTools([...OFFLINE, "tar"], "builds the artifact volume with --volume", () => {
    const run = homelab(["artifacts", "lab", "--no-download", "--volume", "--json"]);
    expect(run.status).toBe(0);
    const result = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line))
      .find((event) => event.type === "result");
    expect(result.volume).toMatchObject({ built: true, bytes: 4 * 1024 * 1024 });
    const listing = spawnSync(toolPath("tar"), ["-tf", result.volume.path], { encoding: "utf8" });
    expect(listing.stdout).toBe("k3s\n");
  });

  it("refuses a cached copy whose hash differs from the lock, and never hands it on", () => {
    writeFileSync(cachedK3s(), "tampered");
    const run = homelab(["artifacts", "lab", "--no-download", "--volume"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[artifact-hash-mismatch]");
    expect(run.stderr).toContain(`records ${k3s.sha256}`);
    expect(run.stderr).toContain("docs/common-errors/artifact-hash-mismatch.md");
  });
});
