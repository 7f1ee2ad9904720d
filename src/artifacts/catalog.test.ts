import { describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../environment/schema.js";
import { FLUX_RELEASES } from "../gitops/flux-release.js";
import { resolveLockedEnvironment } from "../lock/index.js";
import { K3S_AIRGAP_IMAGES, K3S_BINARIES } from "../pins/index.js";
import { artifactsForEnvironment } from "./catalog.js";
import { artifactList, artifactsForNode, nodeArtifactInstall } from "./node-install.js";
import { artifactVolumeName, planArtifactVolume } from "./volume.js";

function environment(input: Record<string, unknown> = {}) {
  return EnvironmentSchema.parse({
    name: "lab",
    prefix: "lab",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 1 },
    ...input,
  });
}

const GITOPS = { gitops: { url: "https://github.com/example/homelab.git" } };
const specsFor = (input: Record<string, unknown> = {}) => {
  const env = environment(input);
  return artifactsForEnvironment(env, resolveLockedEnvironment(env, undefined));
};

describe("artifactsForEnvironment", () => {
  it.each([
    ["a plain environment", {}, ["k3s"]],
    ["GitOps", GITOPS, ["flux-install", "k3s"]],
    ["offline", { offline: true }, ["k3s-airgap-images", "k3s"]],
    ["offline with GitOps", { ...GITOPS, offline: true }, ["flux-install", "k3s-airgap-images", "k3s"]],
    ["offline without the images", { offline: true, artifacts: { airgapImages: false } }, ["k3s"]],
  ])("%s needs %j (k3s last)", (_what, input, kinds) => {
    expect(specsFor(input).map((spec) => spec.kind)).toEqual(kinds);
  });

  it("takes every hash from the lock entry or homelab's pins, and says where it is recorded", () => {
    const [flux, images, k3s] = specsFor({ ...GITOPS, offline: true });
    const version = "v1.34.10+k3s1";
    expect(k3s).toMatchObject({
      sha256: K3S_BINARIES[version]?.sha256,
      url: K3S_BINARIES[version]?.url,
      cachePath: `k3s/${version}/k3s`,
      target: "/opt/bin/k3s",
      mode: 0o755,
      recordedAt: { file: "homelab.lock.json", path: "environments.lab.k3s.binary.sha256" },
    });
    expect(images).toMatchObject({
      sha256: K3S_AIRGAP_IMAGES[version]?.sha256,
      target: "/var/lib/rancher/k3s/agent/images/k3s-airgap-images-amd64.tar.zst",
      installOn: "every-node",
    });
    expect(flux).toMatchObject({
      sha256: FLUX_RELEASES["v2.9.5"]?.installManifest.sha256,
      cachePath: "flux/v2.9.5/install.yaml",
      target: "/var/lib/rancher/k3s/server/manifests/homelab-flux-install.yaml",
      mode: 0o600,
      installOn: "first-server",
      recordedAt: { path: "environments.lab.flux.version" },
    });
  });
});

describe("planArtifactVolume", () => {
  it("names the volume after its content: same artifacts, same key; one changed hash, a new key", () => {
    const specs = specsFor({ offline: true });
    const plan = planArtifactVolume(specs);
    expect(plan.key).toMatch(/^[0-9a-f]{64}$/);
    expect(planArtifactVolume([...specs].reverse()).key).toBe(plan.key);
    const changed = specs.map((spec) => (spec.kind === "k3s" ? { ...spec, sha256: "0".repeat(64) } : spec));
    expect(planArtifactVolume(changed).key).not.toBe(plan.key);
    expect(artifactVolumeName("lab", plan)).toBe(`lab-artifacts-${plan.key.slice(0, 12)}.tar`);
  });

  it("gives Flux's manifest to the first server only, and lists k3s last", () => {
    const plan = planArtifactVolume(specsFor({ ...GITOPS, offline: true }));
    expect(artifactsForNode(plan, { clusterInit: true }).map((e) => e.entry)).toEqual([
      "flux-install.yaml",
      "k3s-airgap-images-amd64.tar.zst",
      "k3s",
    ]);
    expect(artifactsForNode(plan, { clusterInit: false }).map((e) => e.entry)).toEqual([
      "k3s-airgap-images-amd64.tar.zst",
      "k3s",
    ]);
    const list = artifactList(artifactsForNode(plan, { clusterInit: false }));
    expect(list.trimEnd().split("\n").at(-1)).toBe(
      `${K3S_BINARIES["v1.34.10+k3s1"]?.sha256} 0755 k3s /opt/bin/k3s`,
    );
  });

  it("puts the hashes into the node's own files, so a changed artifact is a changed node", () => {
    const specs = specsFor();
    const before = nodeArtifactInstall(planArtifactVolume(specs), { clusterInit: true });
    const after = nodeArtifactInstall(
      planArtifactVolume(specs.map((spec) => ({ ...spec, sha256: "1".repeat(64) }))),
      { clusterInit: true },
    );
    expect(before.files.map((f) => f.path)).toEqual([
      "/opt/bin/homelab-artifacts",
      "/etc/homelab/artifacts.list",
    ]);
    expect(before.files[1]?.contents).not.toBe(after.files[1]?.contents);
    expect(before.units).toEqual([
      expect.objectContaining({ name: "homelab-artifacts.service", enabled: true }),
    ]);
  });
});
