import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import {
  BUILTIN_PINS,
  type HomelabPins,
  type LockFile,
  type LockWarning,
  lockStatus,
  offlineLockedEnvironment,
  parseLock,
  readLock,
  resolveLockedEnvironment,
  serializeLock,
  writeLock,
} from "../../src/lock/index.js";

const scratch = mkdtempSync(join(tmpdir(), "homelab-lock-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const K3S_A = "a".repeat(64);
const K3S_B = "b".repeat(64);
const pins: HomelabPins = {
  k3sVersion: "v1.34.10+k3s1",
  k3sBinaries: {
    "v1.34.10+k3s1": {
      url: "https://github.com/k3s-io/k3s/releases/download/v1.34.10%2Bk3s1/k3s",
      sha256: K3S_A,
    },
    "v1.33.1+k3s1": {
      url: "https://github.com/k3s-io/k3s/releases/download/v1.33.1%2Bk3s1/k3s",
      sha256: K3S_B,
    },
  },
  flatcar: { stable: "4757.2.1" },
  flatcarSha512: {},
  providerVersion: "0.9.7",
  fluxVersion: "v2.9.5",
};

function environment(overrides: Partial<EnvironmentInput> = {}) {
  return EnvironmentSchema.parse({
    name: "dev",
    prefix: "k3s-dev",
    network: { cidr: "192.168.140.0/24" },
    servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
    agents: { count: 0, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
    ssh: { authorizedKeys: [] },
    ...overrides,
  });
}

describe("lock file text", () => {
  it("serializes with sorted keys, 2-space indentation and a final newline, and parses back", () => {
    const entry = offlineLockedEnvironment(environment(), pins);
    const lock: LockFile = { lockfileVersion: 1, environments: { zeta: entry, alpha: entry } };
    const text = serializeLock(lock);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text.indexOf('"environments"')).toBeLessThan(text.indexOf('"lockfileVersion"'));
    expect(text).toMatch(/^\{\n {2}"environments": \{\n {4}"alpha"/);
    expect(parseLock(text)).toEqual(lock);
    expect(serializeLock(parseLock(text))).toBe(text);
  });

  it.each([
    ['{ "lockfileVersion": 1, ', "not valid JSON", 1],
    ['{\n  "lockfileVersion": 2,\n  "environments": {}\n}\n', "does not match its schema", 2],
  ])("reports a broken lock file with its location (%#)", (text, message, line) => {
    try {
      parseLock(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ code: "lock-invalid", message: expect.stringContaining(message) });
      expect((error as { where?: { line?: number; file?: string } }).where).toMatchObject({
        file: "homelab.lock.json",
        line,
      });
    }
  });

  it("names the field path of a bad hash", () => {
    const entry = offlineLockedEnvironment(environment(), pins);
    const text = serializeLock({ lockfileVersion: 1, environments: { dev: entry } }).replace(K3S_A, "nothex");
    expect(() => parseLock(text)).toThrow(
      expect.objectContaining({
        code: "lock-invalid",
        where: expect.objectContaining({ path: "environments.dev.k3s.binary.sha256" }),
      }),
    );
  });

  it("writes atomically (no temporary file left) and reads back; a missing file reads as undefined", async () => {
    const dir = mkdtempSync(join(scratch, "repo-"));
    expect(await readLock(dir)).toBeUndefined();
    const lock: LockFile = {
      lockfileVersion: 1,
      environments: { dev: offlineLockedEnvironment(environment(), pins) },
    };
    await writeLock(dir, lock);
    expect(readdirSync(dir)).toEqual(["homelab.lock.json"]);
    expect(await readLock(dir)).toEqual(lock);
    expect(readFileSync(join(dir, "homelab.lock.json"), "utf8")).toBe(serializeLock(lock));
  });
});

describe("resolveLockedEnvironment", () => {
  const locked = (env = environment()): LockFile => ({
    lockfileVersion: 1,
    environments: { dev: offlineLockedEnvironment(env, pins) },
  });

  it("uses the lock entry when it matches, without warnings", () => {
    const warnings: LockWarning[] = [];
    const lock = locked();
    const withSha = structuredClone(lock);
    const entry = withSha.environments.dev;
    if (entry) entry.flatcar.image.sha512 = "c".repeat(128);
    const resolved = resolveLockedEnvironment(environment(), withSha, pins, {
      onWarning: (w) => warnings.push(w),
    });
    expect(resolved.flatcar.image.sha512).toBe("c".repeat(128));
    expect(resolved.k3s.binary.sha256).toBe(K3S_A);
    expect(warnings).toEqual([]);
  });

  it("falls back to the pins with a warning when the environment is not locked", () => {
    const warnings: LockWarning[] = [];
    const resolved = resolveLockedEnvironment(environment(), undefined, pins, {
      onWarning: (w) => warnings.push(w),
    });
    expect(resolved).toMatchObject({
      flatcar: {
        channel: "stable",
        version: "4757.2.1",
        image: {
          url: "https://stable.release.flatcar-linux.net/amd64-usr/4757.2.1/flatcar_production_qemu_image.img",
          signatureUrl:
            "https://stable.release.flatcar-linux.net/amd64-usr/4757.2.1/flatcar_production_qemu_image.img.sig",
          signingKeyFingerprint: "F88CFEDEFF29A5B4D9523864E25D9AED0593B34A",
        },
      },
      k3s: { version: "v1.34.10+k3s1", binary: { sha256: K3S_A } },
      provider: { source: "dmacvicar/libvirt", version: "0.9.7" },
    });
    expect(warnings.map((w) => w.message)).toEqual([
      "environment dev is not in homelab.lock.json yet: using homelab's built-in pins",
    ]);
    expect(warnings[0]?.fix).toContain("homelab lock dev --update");
  });

  it("keeps a locked environment on its locked versions when homelab's pins move on", () => {
    const lock = locked(environment({ k3s: { version: "v1.33.1+k3s1" } }));
    const resolved = resolveLockedEnvironment(environment(), lock, pins);
    expect(resolved.k3s).toEqual({ version: "v1.33.1+k3s1", binary: pins.k3sBinaries["v1.33.1+k3s1"] });
  });

  it("follows the environment's own pin over the lock, warning that the lock is out of date", () => {
    const warnings: LockWarning[] = [];
    const lock = locked();
    const resolved = resolveLockedEnvironment(environment({ k3s: { version: "v1.33.1+k3s1" } }), lock, pins, {
      onWarning: (w) => warnings.push(w),
    });
    expect(resolved.k3s.binary.sha256).toBe(K3S_B);
    expect(warnings[0]?.message).toMatch(/out of date for dev \(k3s v1\.34\.10\+k3s1 → v1\.33\.1\+k3s1\)/);
    expect(lockStatus(environment({ k3s: { version: "v1.33.1+k3s1" } }), lock, pins)).toMatchObject({
      state: "out-of-date",
    });
    expect(lockStatus(environment(), lock, pins)).toMatchObject({ state: "locked", differences: [] });
    expect(lockStatus(environment(), undefined, pins)).toMatchObject({ state: "missing" });
  });

  it("fails with lock-missing-artifact and the fix for a k3s version nobody recorded", () => {
    const env = environment({ k3s: { version: "v1.99.0+k3s1" } });
    expect(() =>
      resolveLockedEnvironment(env, undefined, pins, { environmentFile: "environments/dev.ts" }),
    ).toThrow(
      expect.objectContaining({
        code: "lock-missing-artifact",
        where: { file: "environments/dev.ts", path: "k3s.version" },
        fix: expect.stringContaining("homelab lock dev --update"),
      }),
    );
  });

  it("fails with lock-missing-artifact for a channel without a pinned release", () => {
    expect(() =>
      resolveLockedEnvironment(environment({ flatcar: { channel: "beta" } }), undefined, pins),
    ).toThrow(
      expect.objectContaining({
        code: "lock-missing-artifact",
        where: expect.objectContaining({ path: "flatcar.version" }),
      }),
    );
  });

  it("records Flux only for GitOps environments", () => {
    const gitops = environment({ gitops: { url: "https://example.org/repo.git" } });
    expect(resolveLockedEnvironment(gitops, undefined, pins).flux).toEqual({ version: "v2.9.5" });
    expect(resolveLockedEnvironment(environment(), undefined, pins).flux).toBeUndefined();
  });
});

describe("the committed homelab.lock.json", () => {
  it("is valid, canonical, and matches homelab's built-in pins for every shipped environment", async () => {
    const root = join(import.meta.dirname, "..", "..");
    const text = readFileSync(join(root, "homelab.lock.json"), "utf8");
    const lock = parseLock(text);
    expect(serializeLock(lock)).toBe(text);
    expect(Object.keys(lock.environments).sort()).toEqual(["development", "production", "staging"]);
    for (const entry of Object.values(lock.environments)) {
      const pinned = BUILTIN_PINS.k3sBinaries[entry.k3s.version];
      expect(pinned, `k3s ${entry.k3s.version} must be a version homelab pins`).toBeDefined();
      expect(entry.k3s.binary).toEqual(pinned);
    }
  });
});
