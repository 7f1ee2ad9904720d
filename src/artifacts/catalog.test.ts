import { describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../environment/schema.js";
import { FLUX_RELEASES } from "../gitops/flux-release.js";
import { BUILTIN_PINS, type HomelabPins, resolveLockedEnvironment } from "../lock/index.js";
import { K3S_AIRGAP_IMAGES, K3S_BINARIES } from "../pins/index.js";
import { KUBE_VIP_IMAGE } from "../registration/index.js";
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
/** homelab ships no kube-vip digest (none could be confirmed here): the tests pin a stand-in. */
const KUBE_VIP_PIN = { digest: `sha256:${"a".repeat(64)}`, archiveSha256: "b".repeat(64) };
const PINS: HomelabPins = { ...BUILTIN_PINS, addonImages: { [KUBE_VIP_IMAGE.reference]: KUBE_VIP_PIN } };
const specsFor = (input: Record<string, unknown> = {}) => {
  const env = environment(input);
  return artifactsForEnvironment(env, resolveLockedEnvironment(env, undefined, PINS));
};

describe("artifactsForEnvironment", () => {
  it.each([
    ["a plain environment", {}, ["k3s"]],
    ["GitOps", GITOPS, ["flux-install", "k3s"]],
    ["offline", { offline: true }, ["k3s-airgap-images", "addon-image", "k3s"]],
    [
      "offline with GitOps",
      { ...GITOPS, offline: true },
      ["flux-install", "k3s-airgap-images", "addon-image", "k3s"],
    ],
    [
      "offline without the air-gap images",
      { offline: true, artifacts: { airgapImages: false } },
      ["addon-image", "k3s"],
    ],
    [
      "offline without the add-on images",
      { offline: true, artifacts: { addonImages: false } },
      ["k3s-airgap-images", "k3s"],
    ],
    ["add-on images only", { artifacts: { addonImages: true } }, ["addon-image", "k3s"]],
  ])("%s needs %j (k3s last)", (_what, input, kinds) => {
    expect(specsFor(input).map((spec) => spec.kind)).toEqual(kinds);
  });

  it("takes every hash from the lock entry or homelab's pins, and says where it is recorded", () => {
    const [flux, images, kubeVip, k3s] = specsFor({ ...GITOPS, offline: true });
    expect(kubeVip).toMatchObject({
      sha256: KUBE_VIP_PIN.archiveSha256,
      url: `${KUBE_VIP_IMAGE.reference}@${KUBE_VIP_PIN.digest}`,
      image: { reference: KUBE_VIP_IMAGE.reference, digest: KUBE_VIP_PIN.digest },
      cachePath: `images/kube-vip/${"a".repeat(64)}.tar`,
      entry: "kube-vip-image.tar",
      target: "/var/lib/rancher/k3s/agent/images/homelab-kube-vip.tar",
      mode: 0o644,
      installOn: "servers",
      recordedAt: { file: "homelab.lock.json", path: "environments.lab.images.kube-vip.archive.sha256" },
    });
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

  it("gives Flux's manifest to the first server only, kube-vip's image to every server, and lists k3s last", () => {
    const plan = planArtifactVolume(specsFor({ ...GITOPS, offline: true }));
    expect(artifactsForNode(plan, { clusterInit: true, role: "server" }).map((e) => e.entry)).toEqual([
      "flux-install.yaml",
      "k3s-airgap-images-amd64.tar.zst",
      "kube-vip-image.tar",
      "k3s",
    ]);
    expect(artifactsForNode(plan, { clusterInit: false, role: "server" }).map((e) => e.entry)).toEqual([
      "k3s-airgap-images-amd64.tar.zst",
      "kube-vip-image.tar",
      "k3s",
    ]);
    expect(artifactsForNode(plan, { clusterInit: false, role: "agent" }).map((e) => e.entry)).toEqual([
      "k3s-airgap-images-amd64.tar.zst",
      "k3s",
    ]);
    const list = artifactList(artifactsForNode(plan, { clusterInit: false, role: "agent" }));
    expect(list.trimEnd().split("\n").at(-1)).toBe(
      `${K3S_BINARIES["v1.34.10+k3s1"]?.sha256} 0755 k3s /opt/bin/k3s`,
    );
  });

  it("puts the hashes into the node's own files, so a changed artifact is a changed node", () => {
    const specs = specsFor();
    const before = nodeArtifactInstall(planArtifactVolume(specs), { clusterInit: true, role: "server" });
    const after = nodeArtifactInstall(
      planArtifactVolume(specs.map((spec) => ({ ...spec, sha256: "1".repeat(64) }))),
      { clusterInit: true, role: "server" },
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
