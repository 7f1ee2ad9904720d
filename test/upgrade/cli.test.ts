import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { proposeUpgrade } from "../../src/cli/commands/upgrade/proposal.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import {
  type LockedEnvironment,
  type LockFile,
  offlineLockedEnvironment,
  serializeLock,
} from "../../src/lock/index.js";
import { renderEnvironment } from "../../src/render/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { type FileServer, startFileServer } from "../gitops/file-server.js";
import { repositoryRoot } from "../gitops/kustomize.js";
import { clearSign, makeKey } from "../image/fixtures.js";
import { writeProviderState } from "../rollout/provider-state.js";
import { createTestContext } from "../runner/cli-harness.js";
import { type TestRepo, testRepo } from "../runner/environment-repo.js";

/**
 * `homelab upgrade` refusing, through the built CLI in a scratch repository: a skipped minor
 * version, a downgrade, a version that does not exist (a stand-in release server on 127.0.0.1
 * answers 404), a published hash that contradicts homelab's pin, DIGESTS not signed by
 * Flatcar's key, a node whose applied Ignition is older than the lock, an unfinished roll. Every
 * refusal happens before anything is rendered or asked: homelab.lock.json keeps its bytes and
 * no `.homelab/` appears. The stand-in server is not GitHub or Flatcar's release host: it
 * serves files laid out as theirs are (`<version>/sha256sum-amd64.txt`,
 * `<channel>/<version>/…DIGESTS.asc`), as test/lock/update.test.ts does.
 */

const bin = join(repositoryRoot, "bin", "homelab.js");
const K3S_SHA_OF_1_34_10 = "e63a3511b2603fd1436a1ea8d228348a3b47334b45024801d41a8c0e2d22e8c4";
let releases: FileServer;

beforeAll(async () => {
  if (!existsSync(join(repositoryRoot, "dist", "cli", "main.js")))
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
  const key = await makeKey("Not Flatcar");
  const digests = `# SHA512 HASH\n${"a".repeat(128)}  flatcar_production_qemu_image.img\n`;
  releases = await startFileServer({
    // Published for v1.35.1, and a v1.34.10 whose hash contradicts the one homelab ships.
    "/k3s/v1.35.1%2Bk3s1/sha256sum-amd64.txt": `${"d".repeat(64)}  k3s\n`,
    "/k3s/v1.34.10%2Bk3s1/sha256sum-amd64.txt": `${"0".repeat(64)}  k3s\n`,
    // A Flatcar release whose DIGESTS someone else signed.
    "/stable/4802.1.0/flatcar_production_qemu_image.img.DIGESTS.asc": await clearSign(digests, key),
  });
});
afterAll(() => releases?.close());

interface Project {
  readonly repo: TestRepo;
  readonly lockPath: string;
  readonly lockText: string;
}

/** A scratch repository with environment `lab` (1 server, 2 agents) locked at `k3s`. */
async function project(k3s: string, environment: Record<string, unknown> = {}): Promise<Project> {
  const repo = await testRepo("lab", "lab", environment);
  const parsed = EnvironmentSchema.parse(
    JSON.parse(readFileSync(join(repo.cwd, "environments", "lab.json"), "utf8")),
  );
  const entry: LockedEnvironment = {
    ...offlineLockedEnvironment({ ...parsed, k3s: { ...parsed.k3s, version: "v1.34.10+k3s1" } }),
    k3s: {
      version: k3s,
      binary: {
        url: `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(k3s)}/k3s`,
        sha256: k3s === "v1.34.10+k3s1" ? K3S_SHA_OF_1_34_10 : "b".repeat(64),
      },
    },
  };
  const lock: LockFile = { lockfileVersion: 1, environments: { lab: entry } };
  const lockPath = join(repo.cwd, "homelab.lock.json");
  writeFileSync(lockPath, serializeLock(lock));
  return { repo, lockPath, lockText: readFileSync(lockPath, "utf8") };
}

function homelab(project: Project, args: readonly string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], {
    cwd: project.repo.cwd,
    encoding: "utf8",
    env: {
      ...project.repo.env,
      NO_COLOR: "1",
      HOMELAB_K3S_RELEASES_URL: `${releases.url}/k3s`,
      HOMELAB_FLATCAR_RELEASES_URL: `${releases.url}/{channel}`,
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The refusal left everything as it was: the lock file's bytes, no render directory. */
function expectUntouched(p: Project): void {
  expect(readFileSync(p.lockPath, "utf8")).toBe(p.lockText);
  expect(existsSync(join(p.repo.cwd, ".homelab"))).toBe(false);
}

/** Renders `lab` as locked now and records it as applied, as if `homelab up` had run. */
async function applied(p: Project, options: { recordIgnition: boolean }): Promise<void> {
  const result = await renderEnvironment({
    environment: "lab",
    cwd: p.repo.cwd,
    home: p.repo.env.HOME!,
    stateRoot: p.repo.env.HOMELAB_STATE_DIR!,
    cacheRoot: p.repo.env.HOMELAB_CACHE_DIR!,
    lock: JSON.parse(p.lockText) as LockFile,
    outDir: join(p.repo.cwd, "..", "applied-render"),
  });
  const layout = stateLayout(result.stateDir);
  await writeProviderState(result.outDir, layout.tofuState);
  if (!options.recordIgnition) return;
  for (const [node, ignition] of result.ignition) {
    await mkdir(layout.node(node).dir, { recursive: true });
    await writeFile(layout.node(node).appliedIgnition, ignition, { mode: 0o600 });
  }
}

/** Rewrites the lock file's k3s version (as a stopped upgrade leaves it), keeping the project's record of it. */
function relock(p: Project, k3s: string): Project {
  const lock = JSON.parse(p.lockText) as LockFile;
  const entry = lock.environments.lab!;
  lock.environments.lab = {
    ...entry,
    k3s: {
      version: k3s,
      binary: {
        url: `https://github.com/k3s-io/k3s/releases/download/${encodeURIComponent(k3s)}/k3s`,
        sha256: k3s === "v1.34.10+k3s1" ? K3S_SHA_OF_1_34_10 : "c".repeat(64),
      },
    },
  };
  writeFileSync(p.lockPath, serializeLock(lock));
  return { ...p, lockText: readFileSync(p.lockPath, "utf8") };
}

describe("homelab upgrade refuses, and touches nothing", () => {
  it("a skipped minor version, naming the one in between and a release homelab knows", async () => {
    const p = await project("v1.33.5+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.1+k3s1", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[upgrade-skips-minor]");
    expect(run.stderr).toContain("would skip Kubernetes 1.34");
    expect(run.stderr).toContain("homelab upgrade lab --k3s v1.34.10+k3s1");
    expect(run.stderr).toContain("docs/common-errors/upgrade-skips-minor.md");
    expectUntouched(p);
  });

  it("a downgrade without --allow-downgrade", async () => {
    const p = await project("v1.34.10+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.34.2+k3s1", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[upgrade-downgrade]");
    expect(run.stderr).toContain("--allow-downgrade");
    expectUntouched(p);
  });

  it("a version that is not published (the release server answers 404), and one that is not a version", async () => {
    const p = await project("v1.34.10+k3s1");
    const missing = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.99+k3s1", "--yes"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("error[upgrade-version-unknown]");
    expect(missing.stderr).toMatch(
      /k3s v1\.35\.99\+k3s1 is not published: .*sha256sum-amd64\.txt answered HTTP 404/,
    );
    expectUntouched(p);
    const malformed = homelab(p, ["upgrade", "lab", "--k3s", "1.35", "--yes"]);
    expect(malformed.stderr).toContain("error[upgrade-version-unknown]");
    expect(malformed.stderr).toContain('"1.35" is not a k3s version');
    const offline = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.1+k3s1", "--offline", "--yes"]);
    expect(offline.stderr).toContain("error[upgrade-version-unknown]");
    expect(offline.stderr).toContain("homelab ships no sha256 for k3s v1.35.1+k3s1");
    expectUntouched(p);
  });

  it("a published k3s hash that contradicts the one homelab ships", async () => {
    const p = await project("v1.34.2+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.34.10+k3s1", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[lock-update-failed]");
    expect(run.stderr).toContain(`differs from the one homelab ships (${K3S_SHA_OF_1_34_10})`);
    expectUntouched(p);
  });

  it("a Flatcar release whose DIGESTS Flatcar's key did not sign", async () => {
    const p = await project("v1.34.10+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--flatcar", "4802.1.0", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[lock-update-failed]");
    expect(run.stderr).toMatch(/do not verify/);
    expectUntouched(p);
  });

  it("a version the environment file pins otherwise", async () => {
    const p = await project("v1.34.10+k3s1", { k3s: { version: "v1.34.10+k3s1" } });
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.1+k3s1", "--yes", "--json"]);
    expect(run.status).toBe(1);
    const events = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string; code?: string; error?: { code?: string } });
    expect(JSON.stringify(events.at(-1))).toContain("upgrade-pinned");
    expectUntouched(p);
  });

  it("nodes whose applied Ignition is a minor older than the lock says", async () => {
    // Built at 1.33, then the lock moved to 1.34 by hand, without a roll: the nodes still run 1.33.
    const old = await project("v1.33.5+k3s1");
    await applied(old, { recordIgnition: true });
    const p = relock(old, "v1.34.10+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.1+k3s1", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[upgrade-skips-minor]");
    expect(run.stderr).toMatch(
      /v1\.33\.5\+k3s1 \(lab-(server|agent)-\d\) → v1\.35\.1\+k3s1 would skip Kubernetes 1\.34/,
    );
    expectUntouched(p);
  });

  it("moving further while an earlier roll is unfinished and a node's k3s is unknown", async () => {
    const old = await project("v1.34.2+k3s1");
    await applied(old, { recordIgnition: false });
    const p = relock(old, "v1.34.10+k3s1");
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.35.1+k3s1", "--yes"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[upgrade-roll-pending]");
    expect(run.stderr).toContain("homelab upgrade lab --k3s v1.34.10+k3s1` resumes it");
    expectUntouched(p);
  });

  it("a release mirror that is not https", async () => {
    const p = await project("v1.34.10+k3s1");
    const run = spawnSync(process.execPath, [bin, "upgrade", "lab", "--yes"], {
      cwd: p.repo.cwd,
      encoding: "utf8",
      env: { ...p.repo.env, NO_COLOR: "1", HOMELAB_K3S_RELEASES_URL: "http://mirror.example/k3s" },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("error[usage]");
    expect(run.stderr).toContain("HOMELAB_K3S_RELEASES_URL must be an https:// URL");
    expectUntouched(p);
  });
});

describe("the proposal (what the command renders with and writes once confirmed)", () => {
  it("locks the new k3s with its published sha256, keeps the rest of the entry, writes nothing", async () => {
    const p = await project("v1.34.10+k3s1");
    const { context } = createTestContext({ cwd: p.repo.cwd, env: p.repo.env });
    const proposal = await proposeUpgrade(context, "lab", {
      request: { k3s: "v1.35.1+k3s1", allowDowngrade: false },
      offline: false,
      sources: { k3sBaseUrl: `${releases.url}/k3s` },
    });
    const before = JSON.parse(p.lockText) as LockFile;
    expect(proposal.plan).toMatchObject({
      k3s: { from: "v1.34.10+k3s1", to: "v1.35.1+k3s1", direction: "upgrade" },
      flatcar: { direction: "none" },
      serversFirst: true,
    });
    expect(proposal.lock.environments.lab).toEqual({
      ...before.environments.lab,
      k3s: {
        version: "v1.35.1+k3s1",
        binary: {
          url: "https://github.com/k3s-io/k3s/releases/download/v1.35.1%2Bk3s1/k3s",
          sha256: "d".repeat(64),
        },
      },
    });
    expect(proposal.lockChanged).toBe(true);
    expect(proposal.flatcarChanged).toBe(false);
    expectUntouched(p);
  });
});

describe("homelab upgrade after its proposal was rendered", () => {
  it("fails before any question: the lock file keeps its bytes, the render goes back to it", async () => {
    const p = await project("v1.34.2+k3s1");
    // Both versions have hashes homelab ships: --offline reads nothing. The cache has no verified
    // Flatcar image, so the run stops before OpenTofu (which `false` would stand in for).
    const run = homelab(p, ["upgrade", "lab", "--k3s", "v1.34.10+k3s1", "--offline", "--tofu", "/bin/false"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("k3s v1.34.2+k3s1 → v1.34.10+k3s1");
    expect(run.stderr).toContain("roll order: servers first, then agents");
    expect(run.stderr).toContain("error[image-not-verified]");
    expect(readFileSync(p.lockPath, "utf8")).toBe(p.lockText);
    const ignition = readFileSync(
      join(p.repo.cwd, ".homelab", "lab", "ignition", "lab-server-1.ign"),
      "utf8",
    );
    expect(ignition).toContain("v1.34.2%2Bk3s1");
    expect(ignition).not.toContain("v1.34.10%2Bk3s1");
  });
});

describe("homelab upgrade --help", () => {
  it("documents the flags", () => {
    const run = spawnSync(process.execPath, [bin, "upgrade", "--help"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    for (const flag of [
      "--k3s <version>",
      "--flatcar <version>",
      "--allow-downgrade",
      "--offline",
      "--parallel",
    ])
      expect(run.stdout).toContain(flag);
  });
});
