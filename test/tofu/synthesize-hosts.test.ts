import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { serializeTfJson, synthesizeTofu, type TfValue } from "../../src/tofu/index.js";
import { expr } from "../../src/tofu/tf-json.js";
import { planFixture, synthesisOptions } from "./plan-fixture.js";

const here = dirname(fileURLToPath(import.meta.url));
const golden = (name: string) =>
  readFileSync(join(here, "..", "fixtures", "tofu-single-host", `${name}.tf.json`), "utf8");

describe("one host: the configuration of before several hosts existed, byte for byte", () => {
  // The files were written by the synthesizer as it was before hosts and artifact volumes.
  it.each([
    ["nat", planFixture()],
    ["nat-domain-qemu", planFixture({ machine: "qemu", domain: "lab.home.arpa" })],
    ["bridge-existing-pool", planFixture({ mode: "bridge", existingPool: true })],
    ["servers-only", planFixture({ servers: 3, agents: 0 })],
  ])("%s", (name, plan) => {
    expect(serializeTfJson(synthesizeTofu(plan, synthesisOptions(plan)))).toBe(golden(name));
  });

  it("a single explicit host renders like no hosts (plain names, one unaliased provider, its URI)", () => {
    const implicit = planFixture({ mode: "bridge" });
    const explicit = planFixture({ mode: "bridge", hosts: ["hv1"] });
    const document = synthesizeTofu(explicit, synthesisOptions(explicit));
    expect(Object.keys(document.resource.libvirt_domain ?? {})).toEqual(["node"]);
    expect(document.provider).toEqual({ libvirt: { uri: expr("var.libvirt_uri") } });
    expect(document.variable.libvirt_uri?.default).toBe("qemu+ssh://hv1/system");
    expect(document.resource).toEqual(synthesizeTofu(implicit, synthesisOptions(implicit)).resource);
  });
});

describe("several hosts", () => {
  const plan = planFixture({
    mode: "bridge",
    servers: 3,
    agents: 2,
    hosts: ["hv1", "hv2", "hv3"],
    hostOf: { "k3s-lab-agent-1": "hv1", "k3s-lab-agent-2": "hv1" },
  });
  const document = synthesizeTofu(plan, synthesisOptions(plan, { artifacts: true }));
  const locals = document.locals as Record<string, Record<string, Record<string, TfValue>>>;

  it("has a block per host and kind, each on its host's provider alias", () => {
    expect(Object.keys(document.resource.libvirt_domain ?? {})).toEqual(["node_hv1", "node_hv2", "node_hv3"]);
    expect(Object.keys(document.resource.libvirt_volume ?? {})).toEqual(
      ["hv1", "hv2", "hv3"].flatMap((h) => [
        `flatcar_base_${h}`,
        `artifacts_${h}`,
        `ignition_${h}`,
        `disk_${h}`,
      ]),
    );
    expect(Object.keys(document.resource.libvirt_pool ?? {})).toEqual([
      "cluster_hv1",
      "cluster_hv2",
      "cluster_hv3",
    ]);
    for (const [type, named] of Object.entries(document.resource))
      for (const [name, body] of Object.entries(named))
        expect(body.provider, `${type}.${name}`).toBe(`libvirt.${name.split("_").at(-1)}`);
    expect(document.resource.libvirt_network).toBeUndefined();
  });

  it("keys every per-node instance by node name, in its host's locals", () => {
    expect(Object.keys(locals.nodes_hv1 ?? {})).toEqual([
      "k3s-lab-server-1",
      "k3s-lab-agent-1",
      "k3s-lab-agent-2",
    ]);
    expect(Object.keys(locals.nodes_hv2 ?? {})).toEqual(["k3s-lab-server-2"]);
    expect(locals.nodes_hv2?.["k3s-lab-server-2"]?.host).toBe("hv2");
    expect(document.resource.libvirt_domain?.node_hv2?.for_each).toBe(expr("local.nodes_hv2"));
    const disk = document.resource.libvirt_volume?.disk_hv2;
    expect(disk?.backing_store).toEqual({
      path: expr("libvirt_volume.flatcar_base_hv2[each.value.base_image].path"),
      format: { type: "qcow2" },
    });
    expect(disk?.lifecycle?.replace_triggered_by).toEqual(["libvirt_volume.ignition_hv2[each.key]"]);
  });

  it("uploads the base image and the artifact volume once per host", () => {
    for (const host of ["hv1", "hv2", "hv3"]) {
      expect(Object.keys(locals[`base_images_${host}`] ?? {})).toEqual(["stable-4230.2.3"]);
      expect(Object.keys(locals[`artifact_volumes_${host}`] ?? {})).toEqual(["a1b2c3d4e5f6"]);
    }
  });

  it("attaches the artifact volume read-only with its serial", () => {
    const disks =
      (document.resource.libvirt_domain?.node_hv3?.devices as { disks: TfValue[] } | undefined)?.disks ?? [];
    expect(disks[1]).toEqual({
      source: {
        volume: {
          pool: expr("libvirt_volume.artifacts_hv3[each.value.artifact_volume].pool"),
          volume: expr("libvirt_volume.artifacts_hv3[each.value.artifact_volume].name"),
        },
      },
      target: { dev: "vdb", bus: "virtio" },
      driver: { name: "qemu", type: "raw" },
      read_only: true,
      serial: "homelab-artifacts",
    });
  });

  it("gives a host without nodes no resources, but keeps its provider", () => {
    const two = planFixture({ mode: "bridge", servers: 1, agents: 1, hosts: ["hv1", "hv2", "hv3"] });
    const sparse = synthesizeTofu(two, synthesisOptions(two));
    expect(Object.keys(sparse.resource.libvirt_domain ?? {})).toEqual(["node_hv1", "node_hv2"]);
    expect((sparse.provider.libvirt as TfValue[]).length).toBe(3);
  });

  it("adds the artifact disk by expression while a block mixes machines with and without it", () => {
    const mixed = synthesizeTofu(plan, synthesisOptions(plan, { artifacts: ["k3s-lab-agent-1"] }));
    const nodes = (mixed.locals as typeof locals).nodes_hv1 ?? {};
    expect(nodes["k3s-lab-agent-1"]?.artifact_volume).toBeNull();
    expect(nodes["k3s-lab-agent-2"]?.artifact_volume).toBe("a1b2c3d4e5f6");
    const disks = (mixed.resource.libvirt_domain?.node_hv1?.devices as { disks: TfValue } | undefined)?.disks;
    expect(disks).toMatch(/^\$\{concat\(\[.*each\.value\.artifact_volume == null \? \[\] : \[.*\]\)\}$/);
    // The other hosts' blocks are not mixed: their disks stay literal.
    expect(
      Array.isArray(
        (mixed.resource.libvirt_domain?.node_hv2?.devices as { disks: TfValue } | undefined)?.disks,
      ),
    ).toBe(true);
  });

  it("names each host's URI in one map variable, and its bridge on its interfaces", () => {
    expect(document.variable.libvirt_uris?.default).toEqual({
      hv1: "qemu+ssh://hv1/system",
      hv2: "qemu+ssh://hv2/system",
      hv3: "qemu+ssh://hv3/system",
    });
    expect(document.variable.libvirt_uri).toBeUndefined();
    const devices = document.resource.libvirt_domain?.node_hv1?.devices as
      | { interfaces: TfValue[] }
      | undefined;
    const interfaces = devices?.interfaces ?? [];
    expect(interfaces[0]).toMatchObject({ source: { bridge: { bridge: "br0" } } });
  });

  it("declares the unaliased provider for resources of the single-host layout still in the state", () => {
    const migrating = synthesizeTofu(plan, {
      ...synthesisOptions(plan),
      stateProviders: { unaliased: true, aliases: [] },
    });
    expect((migrating.provider.libvirt as TfValue[])[0]).toEqual({ uri: expr('var.libvirt_uris["hv1"]') });
  });
});
