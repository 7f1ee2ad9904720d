// The artifact volume end to end, on the real tools: homelab builds the volume from verified
// cache entries; the real Ignition (Debian `ignition` 2.14) applies a node-like config carrying
// the unit, the script and the hash list to a scratch root; `systemd-analyze verify` (Debian's
// systemd 252) checks the unit there; then the script runs for real with `sh`, GNU tar and
// coreutils' sha256sum — on the volume *file* instead of /dev/disk/by-id/virtio-homelab-artifacts,
// which only exists in a VM. Stand-in bytes replace k3s, Flux's manifest and the air-gap images.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { beforeAll, expect, it } from "vitest";
import {
  ARTIFACT_LIST_PATH,
  ARTIFACT_SCRIPT_PATH,
  ARTIFACT_STAMP_PATH,
  ARTIFACT_UNIT_NAME,
  type ArtifactVolumePlan,
  artifactInstallScript,
  artifactInstallUnit,
  type BuiltArtifactVolume,
  ensureArtifact,
  ensureArtifactVolume,
  nodeArtifactButane,
  nodeArtifactInstall,
  planArtifactVolume,
  remoteSources,
  type VerifiedArtifact,
} from "../../src/artifacts/index.js";
import { compileButane } from "../../src/butane/index.js";
import { writeImageArchive } from "../../src/oci/image-archive.js";
import { applyIgnition, ignitionValidate } from "../support/ignition.js";
import { testImage } from "../support/oci-image.js";
import { describeWithTools, IGNITION_TOOLS, itWithTools, toolPath } from "../support/real-tools.js";
import { randomFile, scratch, sha256, standInSpec } from "./fixtures.js";

const MiB = 1024 * 1024;
/** The script on the node runs GNU tar on the volume (and coreutils, which every Debian has). */
const SCRIPT_TOOLS = [...IGNITION_TOOLS, "tar"] as const;
const SYSTEMD_UNITS = "/usr/lib/systemd/system";

let source: string;
let k3s: ReturnType<typeof randomFile>;
let images: ReturnType<typeof randomFile>;
let flux: { bytes: Buffer; sha256: string };
let kubeVip: { path: string; sha256: string };
let plan: ArtifactVolumePlan;
let volume: BuiltArtifactVolume;
let verified: VerifiedArtifact[];

beforeAll(async () => {
  source = scratch("artifact-sources");
  k3s = randomFile(source, "k3s", 6 * MiB + 123);
  images = randomFile(source, "k3s-airgap-images-amd64.tar.zst", 2 * MiB + 5);
  const manifest = Buffer.from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n");
  writeFileSync(join(source, "install.yaml"), manifest);
  flux = { bytes: manifest, sha256: sha256(manifest) };
  const image = await writeImageArchive(
    testImage("ghcr.io/kube-vip/kube-vip:v1.2.3", "kube-vip stand-in\n"),
    join(source, "0000000000000000000000000000000000000000000000000000000000000000.tar"),
  );
  kubeVip = { path: image.path, sha256: image.sha256 };
  const specs = [
    standInSpec("flux-install", "https://example.invalid/install.yaml", flux.sha256),
    standInSpec("addon-image", "ghcr.io/kube-vip/kube-vip:v1.2.3@sha256:…", kubeVip.sha256),
    standInSpec("k3s-airgap-images", "https://example.invalid/images", images.sha256),
    standInSpec("k3s", "https://example.invalid/k3s", k3s.sha256),
  ];
  const cacheRoot = scratch("artifact-cache");
  verified = await Promise.all(specs.map((spec) => ensureArtifact(spec, { cacheRoot, importFrom: source })));
  plan = planArtifactVolume(specs);
  volume = await ensureArtifactVolume(plan, verified, cacheRoot);
});

/** The three kinds of node: the server that starts the cluster, a joining server, an agent. */
type NodeKind = "first-server" | "joining-server" | "agent";
const NODE_KINDS: readonly NodeKind[] = ["first-server", "joining-server", "agent"];

/** The node's config as Ignition, compiled by homelab's Butane compiler in strict mode. */
function ignitionFor(kind: NodeKind): string {
  const node = { clusterInit: kind === "first-server", role: kind === "agent" ? "agent" : "server" } as const;
  const result = compileButane(nodeArtifactButane(nodeArtifactInstall(plan, node)), {
    strict: true,
    pretty: false,
  });
  expect(result.diagnostics).toEqual([]);
  if (!result.ignition) throw new Error("no Ignition");
  return result.ignition;
}

/** A scratch root as Ignition leaves it for this node. */
function nodeRoot(kind: NodeKind): string {
  return applyIgnition(ignitionFor(kind)).root;
}

function runScript(root: string, device: string, env: Record<string, string> = {}) {
  return spawnSync("sh", [join(root, ARTIFACT_SCRIPT_PATH), device], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOMELAB_ARTIFACTS_ROOT: root, ...env },
  });
}

const mode = (path: string) => statSync(path).mode & 0o7777;
const fileSha = (path: string) => sha256(readFileSync(path));

describeWithTools(["tar"], "the volume", () => {
  it("is a ustar archive of the artifacts, padded to whole MiB, reused while unchanged", async () => {
    expect(volume.bytes % MiB).toBe(0);
    expect(volume.built).toBe(true);
    const listing = spawnSync(toolPath("tar"), ["-tf", volume.path], { encoding: "utf8" })
      .stdout.trim()
      .split("\n");
    expect(listing).toEqual([
      "flux-install.yaml",
      "k3s",
      "k3s-airgap-images-amd64.tar.zst",
      "kube-vip-image.tar",
    ]);
    const again = await ensureArtifactVolume(plan, verified, join(volume.path, "..", "..", ".."));
    expect(again).toMatchObject({ built: false, sha256: volume.sha256, path: volume.path });
  });

  it("is built again, not reused, when the cached image was changed", async () => {
    const cacheRoot = join(volume.path, "..", "..", "..");
    const copy = scratch("volume-copy");
    cpSync(cacheRoot, copy, { recursive: true });
    const copiedVolume = join(copy, "artifacts", "volumes", plan.fileName);
    const bytes = readFileSync(copiedVolume);
    bytes[700] = (bytes[700] ?? 0) ^ 0xff;
    writeFileSync(copiedVolume, bytes);
    const rebuilt = await ensureArtifactVolume(
      plan,
      verified.map((artifact) => ({ ...artifact, path: artifact.path.replace(cacheRoot, copy) })),
      copy,
    );
    expect(rebuilt).toMatchObject({ built: true, sha256: volume.sha256 });
  });
});

describeWithTools(
  IGNITION_TOOLS,
  "a node's Ignition with the artifact unit, applied by the real Ignition",
  () => {
    it("validates, downloads nothing, and writes the script, the hash list and the enabled unit", () => {
      for (const kind of NODE_KINDS) {
        const ignition = ignitionFor(kind);
        expect(ignitionValidate(ignition)).toMatchObject({ ok: true });
        expect(remoteSources(ignition)).toEqual([]);
      }
      const root = nodeRoot("first-server");
      expect(readFileSync(join(root, ARTIFACT_SCRIPT_PATH), "utf8")).toBe(artifactInstallScript());
      expect(mode(join(root, ARTIFACT_SCRIPT_PATH))).toBe(0o755);
      expect(readFileSync(join(root, "etc/systemd/system", ARTIFACT_UNIT_NAME), "utf8")).toBe(
        artifactInstallUnit(),
      );
      expect(readFileSync(join(root, "etc/systemd/system-preset/20-ignition.preset"), "utf8")).toContain(
        `enable ${ARTIFACT_UNIT_NAME}`,
      );
      const list = readFileSync(join(root, ARTIFACT_LIST_PATH), "utf8");
      expect(list.split("\n").filter((line) => line && !line.startsWith("#"))).toEqual([
        `${flux.sha256} 0600 flux-install.yaml /var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml`,
        `${kubeVip.sha256} 0644 kube-vip-image.tar /var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar`,
        `${images.sha256} 0644 k3s-airgap-images-amd64.tar.zst /var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst`,
        `${k3s.sha256} 0755 k3s /opt/bin/k3s`,
      ]);
    });

    itWithTools(
      [...IGNITION_TOOLS, "systemd-analyze"],
      "carries a unit that systemd-analyze verify accepts in the node's root",
      () => {
        const root = nodeRoot("agent");
        // The scratch root has no systemd of its own: lend it the host's unit files (sysinit.target …).
        mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
        cpSync(SYSTEMD_UNITS, join(root, "usr/lib/systemd/system"), {
          recursive: true,
          verbatimSymlinks: true,
        });
        const run = spawnSync(toolPath("systemd-analyze"), ["verify", `--root=${root}`, ARTIFACT_UNIT_NAME], {
          encoding: "utf8",
        });
        expect(`${run.stdout}${run.stderr}`).toBe("");
        expect(run.status).toBe(0);
      },
    );
  },
);

describeWithTools(SCRIPT_TOOLS, "the first-boot script, run for real against the volume", () => {
  it("installs every artifact with its mode after checking its hash, then skips on the next boot", () => {
    const root = nodeRoot("first-server");
    const run = runScript(root, volume.path);
    expect(run.stderr).toContain("all artifacts installed");
    expect(run.status).toBe(0);
    expect(fileSha(join(root, "opt/bin/k3s"))).toBe(k3s.sha256);
    expect(mode(join(root, "opt/bin/k3s"))).toBe(0o755);
    const manifest = join(root, "var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml");
    expect(readFileSync(manifest).equals(flux.bytes)).toBe(true);
    expect(mode(manifest)).toBe(0o600);
    const archive = join(root, "var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst");
    expect(fileSha(archive)).toBe(images.sha256);
    expect(mode(archive)).toBe(0o644);
    const addon = join(root, "var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar");
    expect(fileSha(addon)).toBe(kubeVip.sha256);
    expect(mode(addon)).toBe(0o644);
    expect(readFileSync(join(root, ARTIFACT_STAMP_PATH), "utf8").trim()).toBe(
      fileSha(join(root, ARTIFACT_LIST_PATH)),
    );
    expect(readdirSync(join(root, "var/lib/homelab"))).toEqual(["artifacts.installed"]);

    const again = runScript(root, join(root, "no-such-device"));
    expect(again.status).toBe(0);
    expect(again.stderr).toContain("already installed");
  });

  it("gives an agent k3s and the air-gap images, but neither Flux's manifest nor kube-vip's image", () => {
    const root = nodeRoot("agent");
    expect(runScript(root, volume.path).status).toBe(0);
    expect(fileSha(join(root, "opt/bin/k3s"))).toBe(k3s.sha256);
    expect(existsSync(join(root, "var/lib/rancher/k3s/server"))).toBe(false);
    expect(readdirSync(join(root, "var/lib/rancher/k3s/agent/images"))).toEqual([
      "k3s-airgap-images-amd64.tar.zst",
    ]);
  });

  it("gives a joining server kube-vip's image too, but not Flux's manifest", () => {
    const root = nodeRoot("joining-server");
    expect(runScript(root, volume.path).status).toBe(0);
    expect(fileSha(join(root, "var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar"))).toBe(kubeVip.sha256);
    expect(existsSync(join(root, "var/lib/rancher/k3s/server"))).toBe(false);
  });

  it("refuses a tampered volume loudly and installs nothing", () => {
    const tampered = join(scratch("tampered"), "volume.tar");
    const bytes = readFileSync(volume.path);
    const at = bytes.indexOf(k3s.bytes.subarray(0, 64));
    expect(at).toBeGreaterThan(0);
    bytes[at + 1000] = (bytes[at + 1000] ?? 0) ^ 0x01;
    writeFileSync(tampered, bytes);
    const root = nodeRoot("first-server");
    const run = runScript(root, tampered);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `homelab-artifacts: FAILED: k3s in .* has sha256 [0-9a-f]{64}, but this node's Ignition expects ${k3s.sha256}: nothing was installed`,
      ),
    );
    expect(existsSync(join(root, "opt/bin/k3s"))).toBe(false);
    expect(existsSync(join(root, "var/lib/rancher"))).toBe(false);
    expect(readdirSync(join(root, "var/lib/homelab"))).toEqual([]);
  });

  it("refuses an entry that is a symlink, even one pointing at a file with the right bytes", () => {
    const dir = scratch("evil");
    writeFileSync(join(dir, "real-k3s"), k3s.bytes);
    symlinkSync(join(dir, "real-k3s"), join(dir, "k3s"));
    writeFileSync(join(dir, "flux-install.yaml"), flux.bytes);
    writeFileSync(join(dir, "k3s-airgap-images-amd64.tar.zst"), readFileSync(images.path));
    const evil = join(dir, "evil.tar");
    spawnSync(toolPath("tar"), [
      "--format=ustar",
      "-cf",
      evil,
      "-C",
      dir,
      "flux-install.yaml",
      "k3s",
      "k3s-airgap-images-amd64.tar.zst",
    ]);
    const root = nodeRoot("agent");
    const run = runScript(root, evil);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("k3s in");
    expect(run.stderr).toContain("is not a regular file: nothing was installed");
    expect(existsSync(join(root, "opt/bin/k3s"))).toBe(false);
  });

  it("gives up on a device that never appears, naming it", () => {
    const root = nodeRoot("agent");
    const run = runScript(root, "/dev/disk/by-id/virtio-homelab-artifacts-absent", {
      HOMELAB_ARTIFACTS_WAIT: "1",
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "FAILED: /dev/disk/by-id/virtio-homelab-artifacts-absent did not appear within 1s: is the artifact volume attached to this VM?",
    );
    expect(existsSync(join(root, "opt/bin/k3s"))).toBe(false);
  });

  it("refuses a volume that lacks an entry the node needs", () => {
    const dir = scratch("partial");
    writeFileSync(join(dir, "k3s"), k3s.bytes);
    const partial = join(dir, "partial.tar");
    spawnSync(toolPath("tar"), ["--format=ustar", "-cf", partial, "-C", dir, "k3s"]);
    const root = nodeRoot("agent");
    const run = runScript(root, partial);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /FAILED: cannot extract k3s-airgap-images-amd64.tar.zst k3s from .*: nothing was installed/,
    );
    expect(existsSync(join(root, "opt/bin/k3s"))).toBe(false);
  });
});
