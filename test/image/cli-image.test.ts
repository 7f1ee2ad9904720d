// `homelab image` and `homelab lock` as a user runs them: the built CLI in a scratch project.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseLock } from "../../src/lock/index.js";
import { makeKey, signDetached, testBytes } from "./fixtures.js";

const root = join(import.meta.dirname, "..", "..");
let project: string;

const environment = {
  name: "dev",
  prefix: "hl-cli",
  network: { cidr: "192.168.233.0/24" },
  servers: { count: 1, vcpu: 1, memoryMiB: 2048, diskGiB: 10 },
  agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
  ssh: { authorizedKeys: [] },
};

function homelab(...args: string[]) {
  const run = spawnSync(process.execPath, [join(root, "bin", "homelab.js"), ...args], {
    cwd: project,
    encoding: "utf8",
    env: {
      ...process.env,
      HOMELAB_CACHE_DIR: join(project, "cache"),
      HOMELAB_STATE_DIR: join(project, "state"),
      NO_COLOR: "1",
    },
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, all: run.stdout + run.stderr };
}

beforeAll(() => {
  expect(
    existsSync(join(root, "dist", "cli", "main.js")),
    "dist/ is missing: run `npm run build` (npm test does)",
  ).toBe(true);
  project = mkdtempSync(join(tmpdir(), "homelab-cli-image-"));
  mkdirSync(join(project, "environments"));
  writeFileSync(join(project, "environments", "dev.json"), JSON.stringify(environment));
});
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("homelab image --image PATH", () => {
  it("refuses an image signed by a key that is not Flatcar's, without a stack trace", async () => {
    const key = await makeKey();
    const data = testBytes(64 * 1024, 11);
    writeFileSync(join(project, "signed.img"), data);
    writeFileSync(join(project, "signed.img.sig"), await signDetached(data, key));
    const run = homelab("image", "dev", "--image", "signed.img");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /error\[image-signature-invalid\]: signed\.img is signed by key [0-9A-F]{16}, which is not part of Flatcar's image-signing key/,
    );
    expect(run.stderr).toContain("docs: docs/common-errors/image-signature-invalid.md");
    expect(run.all).not.toMatch(/\n\s+at /);
  });

  it("refuses an unsigned image, and accepts it only with --insecure-skip-verify and a loud warning", () => {
    writeFileSync(join(project, "unsigned.img"), testBytes(1024, 12));
    const refused = homelab("image", "dev", "--image", "unsigned.img");
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/error\[image-unverifiable\]: unsigned\.img has no signature beside it/);

    const insecure = homelab("image", "dev", "--image", "unsigned.img", "--insecure-skip-verify");
    expect(insecure.status, insecure.all).toBe(0);
    expect(insecure.stderr).toMatch(/warning\[image-unverifiable\]: UNVERIFIED IMAGE/);
    expect(insecure.stdout).toMatch(/unsigned\.img\n {2}local file, 0\.0 MiB, NOT VERIFIED/);
  });

  it("rejects --insecure-skip-verify for downloads", () => {
    const run = homelab("image", "dev", "--insecure-skip-verify");
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/error\[usage\]: --insecure-skip-verify only applies to a local image/);
  });
});

describe("homelab lock", () => {
  it("reports a missing entry, records one offline atomically, then reports it up to date", () => {
    const before = homelab("lock", "--check");
    expect(before.status).toBe(1);
    expect(before.stdout).toMatch(/^dev: not in homelab\.lock\.json: run `homelab lock dev --update`/);

    const update = homelab("lock", "dev", "--update", "--offline");
    expect(update.status, update.all).toBe(0);
    const lock = parseLock(readFileSync(join(project, "homelab.lock.json"), "utf8"));
    expect(lock.environments.dev?.provider).toEqual({ source: "dmacvicar/libvirt", version: "0.9.7" });

    const after = homelab("lock", "--check");
    expect(after.status, after.all).toBe(0);
    expect(after.stdout).toMatch(/^dev: locked, up to date/);
    expect(homelab("lock", "--json").stdout).toContain('"state":"locked"');
  });
});
