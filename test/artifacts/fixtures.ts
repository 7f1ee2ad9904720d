import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ArtifactSpec } from "../../src/artifacts/index.js";
import { EnvironmentSchema } from "../../src/environment/schema.js";
import { toolPath } from "../support/real-tools.js";

/** A scratch directory under the system's temp dir. */
export function scratch(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `homelab-${prefix}-`));
}

export const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** A file of random bytes (a stand-in for an artifact), with its SHA-256. */
export function randomFile(
  dir: string,
  name: string,
  size: number,
): { path: string; bytes: Buffer; sha256: string } {
  const bytes = randomBytes(size);
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return { path, bytes, sha256: sha256(bytes) };
}

/** An environment as a user writes it, defaults filled. */
export function testEnvironment(input: Record<string, unknown> = {}) {
  return EnvironmentSchema.parse({
    name: "lab",
    prefix: "lab",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 1 },
    ...input,
  });
}

/** An artifact spec for a stand-in file served or cached by a test. */
export function standInSpec(
  kind: ArtifactSpec["kind"],
  url: string,
  hash: string,
  overrides: Partial<ArtifactSpec> = {},
): ArtifactSpec {
  const base = {
    k3s: {
      entry: "k3s",
      target: "/opt/bin/k3s",
      mode: 0o755,
      cachePath: "k3s/v9.9.9+k3s1/k3s",
      installOn: "every-node",
    },
    "k3s-airgap-images": {
      entry: "k3s-airgap-images-amd64.tar.zst",
      target: "/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst",
      mode: 0o644,
      cachePath: "k3s/v9.9.9+k3s1/k3s-airgap-images-amd64.tar.zst",
      installOn: "every-node",
    },
    "flux-install": {
      entry: "flux-install.yaml",
      target: "/var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml",
      mode: 0o600,
      cachePath: "flux/v9.9.9/install.yaml",
      installOn: "first-server",
    },
    "addon-image": {
      entry: "kube-vip-image.tar",
      target: "/var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar",
      mode: 0o644,
      cachePath: "images/kube-vip/0000000000000000000000000000000000000000000000000000000000000000.tar",
      installOn: "servers",
    },
  } as const;
  return {
    kind,
    environment: "lab",
    title: `stand-in ${kind}`,
    version: "v9.9.9",
    url,
    sha256: hash,
    recordedAt: { file: "homelab.lock.json", path: `environments.lab.${kind}.sha256` },
    ...base[kind],
    ...overrides,
  };
}

const HOMELAB_BIN = resolve(import.meta.dirname, "..", "..", "bin", "homelab.js");

/**
 * The built CLI in `project`, in a network namespace with only loopback (`unshare -n`, as root:
 * declare "root" and "unshare"), its home, state and cache inside the project.
 */
export function homelabOffline(project: string, args: readonly string[]) {
  const command = [process.execPath, HOMELAB_BIN, ...args].map((word) => `'${word}'`).join(" ");
  const run = spawnSync(
    toolPath("unshare"),
    ["-n", "--", "sh", "-c", `ip link set lo up 2>/dev/null; exec ${command}`],
    {
      cwd: project,
      encoding: "utf8",
      env: {
        ...process.env,
        HOME: join(project, "home"),
        HOMELAB_STATE_DIR: join(project, "state"),
        HOMELAB_CACHE_DIR: join(project, "cache"),
        NO_COLOR: "1",
      },
    },
  );
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}
