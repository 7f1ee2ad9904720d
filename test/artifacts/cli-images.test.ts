// `homelab artifacts` for an environment that delivers kube-vip's image, as a user runs it: the
// built CLI pulls the image by the lock's digest from a registry named by HOMELAB_REGISTRY_URL
// (the stand-in registry of test/support/oci-registry.ts on 127.0.0.1), keeps it only when the
// archive's hash is the lock's, and finds it in the cache on the next run; with --from it imports
// the archive carried in. k3s comes from --from or the cache: nothing leaves 127.0.0.1.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullImageArchive } from "../../src/artifacts/index.js";
import { serializeLock } from "../../src/lock/index.js";
import { RegistryClient } from "../../src/oci/index.js";
import { KUBE_VIP_IMAGE } from "../../src/registration/index.js";
import { realFetch } from "../image/fixtures.js";
import { buildImage, buildIndex, StandInRegistry } from "../support/oci-registry.js";
import { randomFile, scratch } from "./fixtures.js";

const REPO = resolve(import.meta.dirname, "..", "..");
const HOMELAB_BIN = join(REPO, "bin", "homelab.js");
const run = promisify(execFile);
const image = buildImage({ seed: 31 });
let registry: StandInRegistry;
let archiveSha256: string;
let archiveFile: string;
let k3s: ReturnType<typeof randomFile>;
let carried: string;

/** A scratch project whose lock pins the stand-in k3s and kube-vip image. */
function project(withK3sCached: boolean): string {
  const dir = scratch("cli-images");
  mkdirSync(join(dir, "environments"));
  mkdirSync(join(dir, "home"));
  const environment = {
    name: "lab",
    prefix: "lab",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 1 },
    k3s: { version: "v1.34.10+k3s1" },
    artifacts: { addonImages: true },
  };
  writeFileSync(join(dir, "environments", "lab.json"), `${JSON.stringify(environment)}\n`);
  const entry = JSON.parse(readFileSync(join(REPO, "homelab.lock.json"), "utf8")).environments.development;
  writeFileSync(
    join(dir, "homelab.lock.json"),
    serializeLock({
      lockfileVersion: 1,
      environments: {
        lab: {
          ...entry,
          k3s: { ...entry.k3s, binary: { ...entry.k3s.binary, sha256: k3s.sha256 } },
          images: {
            "kube-vip": {
              reference: KUBE_VIP_IMAGE.reference,
              digest: image.manifest.digest,
              archive: { sha256: archiveSha256 },
            },
          },
        },
      },
    }),
  );
  if (withK3sCached) {
    const k3sDir = join(dir, "cache", "artifacts", "k3s", "v1.34.10+k3s1");
    mkdirSync(k3sDir, { recursive: true });
    writeFileSync(join(k3sDir, "k3s"), k3s.bytes);
  }
  return dir;
}

async function homelab(dir: string, args: readonly string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [HOMELAB_BIN, ...args], {
      cwd: dir,
      env: {
        ...process.env,
        CI: "",
        HOME: join(dir, "home"),
        HOMELAB_STATE_DIR: join(dir, "state"),
        HOMELAB_CACHE_DIR: join(dir, "cache"),
        HOMELAB_REGISTRY_URL: registry.url,
        NO_COLOR: "1",
      },
    });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? 1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

beforeAll(async () => {
  if (!existsSync(join(REPO, "dist", "cli", "main.js"))) {
    throw new Error("dist/ is missing: run `npm run build` (npm test does it) before these tests");
  }
  registry = await StandInRegistry.start();
  registry.pushIndex("kube-vip/kube-vip", KUBE_VIP_IMAGE.version, buildIndex([image]));
  carried = scratch("cli-images-from");
  k3s = randomFile(carried, "k3s", 1024 * 1024);
  archiveFile = join(carried, `${image.manifest.digest.slice(7)}.tar`);
  const client = new RegistryClient({ fetch: realFetch, baseUrl: () => registry.url });
  archiveSha256 = (await pullImageArchive(client, { reference: KUBE_VIP_IMAGE.reference }, () => archiveFile))
    .sha256;
});
afterAll(() => registry?.close());

describe("homelab artifacts with kube-vip's image", () => {
  it("pulls it by the lock's digest into the cache, then verifies it there without a request", async () => {
    const dir = project(true);
    const first = await homelab(dir, ["artifacts", "lab"]);
    expect(first.stderr).not.toMatch(/error\[/);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/kube-vip image ghcr.io\/kube-vip\/kube-vip:v1.2.3: downloaded/);
    const cached = join(
      dir,
      "cache",
      "artifacts",
      "images",
      "kube-vip",
      `${image.manifest.digest.slice(7)}.tar`,
    );
    expect(readFileSync(cached).equals(readFileSync(archiveFile))).toBe(true);
    const requests = registry.requests.length;
    const second = await homelab(dir, ["artifacts", "lab"]);
    expect(second.stdout).toMatch(/kube-vip image ghcr.io\/kube-vip\/kube-vip:v1.2.3: cached/);
    expect(registry.requests.length).toBe(requests);
  });

  it("imports the archive carried in with --from (and k3s with it), verified", async () => {
    const dir = project(false);
    const result = await homelab(dir, ["artifacts", "lab", "--from", carried]);
    expect(result.stderr).not.toMatch(/error\[/);
    expect(result.stdout).toMatch(/kube-vip image ghcr.io\/kube-vip\/kube-vip:v1.2.3: imported/);
  });

  it("with --no-download refuses the missing image, located at the lock, with the way to carry it in", async () => {
    const dir = project(true);
    const result = await homelab(dir, ["artifacts", "lab", "--no-download"]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("error[artifact-not-cached]");
    expect(result.stderr).toContain("environments.lab.images.kube-vip.archive.sha256");
    expect(result.stderr).toMatch(/artifacts\/images\/kube-vip\/[0-9a-f]{64}\.tar/);
    expect(result.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });
});
