import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { ClusterPlan } from "../../src/plan/types.js";
import { serializeTfJson, synthesizeTofu } from "../../src/tofu/index.js";
import { type ProviderSchema, walkTfJson } from "../../src/tofu/schema-walk.js";
import { expr } from "../../src/tofu/tf-json.js";
import { planFixture, type SynthesisFixture, synthesisOptions } from "./plan-fixture.js";

const here = dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(
  readFileSync(join(here, "..", "fixtures", "libvirt-provider-0.9.7", "schema.json"), "utf8"),
) as ProviderSchema & { version: string };

describe("the schema walker itself (each rule of the fixture README can fail)", () => {
  const domain = (body: Record<string, unknown>) => ({
    resource: { libvirt_domain: { vm: { name: "x", type: "kvm", ...body } } },
  });
  it.each([
    [
      "an unknown attribute, with its full path",
      domain({ devices: { disks: [{ source: { volum: {} } }] } }),
      "libvirt_domain.vm.devices.disks[0].source.volum",
      "unknown attribute",
    ],
    [
      "an object where a list of objects belongs",
      domain({ devices: { disks: { target: { dev: "vda" } } } }),
      "libvirt_domain.vm.devices.disks",
      "expected a list of objects",
    ],
    ["a read-only attribute", domain({ uuid: "abc" }), "libvirt_domain.vm.uuid", "read-only"],
    [
      "a missing required attribute",
      { resource: { libvirt_volume: { v: { name: "x" } } } },
      "libvirt_volume.v.pool",
      "missing required",
    ],
    [
      "a nested required attribute of a present object",
      domain({ sys_info: [{ fw_cfg: { entry: [{ name: "n" }] } }] }),
      "libvirt_domain.vm.sys_info[0].fw_cfg.entry[0].value",
      "missing required",
    ],
    ["a scalar of the wrong JSON type", domain({ vcpu: "2" }), "libvirt_domain.vm.vcpu", "expected number"],
    [
      "an unknown resource type",
      { resource: { libvirt_vm: { v: {} } } },
      "libvirt_vm",
      "unknown resource type",
    ],
  ])("reports %s", (_what, document, path, message) => {
    const problems = walkTfJson(document, schema);
    expect(problems.map((p) => p.path)).toContain(path);
    expect(problems.find((p) => p.path === path)?.message).toContain(message);
  });

  it("accepts expressions and nulls without looking inside, and skips meta-arguments and comments", () => {
    const document = domain({
      "//": "comment",
      for_each: expr("local.nodes"),
      lifecycle: { replace_triggered_by: ["x"] },
      cpu: expr("var.x ? {mode = 1} : null"),
      devices: null,
    });
    expect(walkTfJson(document, schema)).toEqual([]);
  });

  it.each([
    [
      "an unknown provider attribute",
      { provider: { libvirt: { url: "qemu:///system" } } },
      "provider.libvirt.url",
      "unknown attribute",
    ],
    [
      "an alias used by a resource but never declared",
      { provider: { libvirt: [{ alias: "hv1", uri: "x" }] }, ...domain({ provider: "libvirt.hv2" }) },
      "libvirt_domain.vm.provider",
      "does not declare",
    ],
    [
      "the default configuration used while only aliases are declared",
      { provider: { libvirt: [{ alias: "hv1", uri: "x" }] }, ...domain({}) },
      "libvirt_domain.vm",
      "default provider configuration",
    ],
    [
      "two blocks with one alias",
      {
        provider: {
          libvirt: [
            { alias: "hv1", uri: "x" },
            { alias: "hv1", uri: "y" },
          ],
        },
      },
      "provider.libvirt[1]",
      "duplicate",
    ],
  ])("reports %s", (_what, document, path, message) => {
    const problems = walkTfJson(document, schema);
    expect(problems.find((p) => p.path === path)?.message).toContain(message);
  });

  it("gathers every problem, not just the first", () => {
    expect(walkTfJson(domain({ a: 1, b: 2, uuid: "u" }), schema)).toHaveLength(3);
  });
});

describe("synthesized main.tf.json against the dmacvicar/libvirt 0.9.7 schema", () => {
  it("uses the schema of 0.9.7", () => expect(schema.version).toBe("0.9.7"));

  it.each([
    ["NAT network, new pool, kvm", planFixture()],
    ["NAT network with a DNS domain, qemu", planFixture({ machine: "qemu", domain: "lab.home.arpa" })],
    ["host bridge, existing pool", planFixture({ mode: "bridge", existingPool: true })],
    ["servers only (HA)", planFixture({ servers: 3, agents: 0 })],
    ["a large cluster", planFixture({ servers: 5, agents: 40 })],
    ["the artifact volume on every node", planFixture(), { artifacts: true }],
    [
      "the artifact volume on some nodes (a roll under way)",
      planFixture(),
      { artifacts: ["k3s-lab-agent-1"] },
    ],
    ["two hosts", planFixture({ mode: "bridge", hosts: ["hv1", "hv2"] }), { artifacts: true }],
    [
      "three hosts, existing pools, one host mixed",
      planFixture({
        mode: "bridge",
        existingPool: true,
        servers: 3,
        agents: 3,
        hosts: ["hv1", "hv2", "hv3"],
      }),
      { artifacts: ["k3s-lab-agent-2"] },
    ],
    [
      "three hosts, no artifact volume",
      planFixture({ mode: "bridge", servers: 3, agents: 6, hosts: ["a", "b", "c"] }),
    ],
  ] as [string, ClusterPlan, SynthesisFixture?][])(
    "%s: no unknown, misplaced, missing or read-only attribute",
    (_name, plan, fixture = {}) => {
      // Walk the written bytes, as OpenTofu reads them, not the in-memory object.
      const document = JSON.parse(serializeTfJson(synthesizeTofu(plan, synthesisOptions(plan, fixture))));
      expect(walkTfJson(document, schema)).toEqual([]);
    },
  );

  it("walks the provider blocks: a block per host, each resource on its host's alias", () => {
    const plan = planFixture({ mode: "bridge", servers: 3, agents: 3, hosts: ["hv1", "hv2", "hv3"] });
    const document = synthesizeTofu(plan, synthesisOptions(plan, { artifacts: true }));
    expect(document.provider).toEqual({
      libvirt: ["hv1", "hv2", "hv3"].map((alias) => ({ alias, uri: expr(`var.libvirt_uris["${alias}"]`) })),
    });
    const broken = JSON.parse(serializeTfJson(document));
    broken.resource.libvirt_domain.node_hv2.provider = "libvirt.hv9";
    expect(walkTfJson(broken, schema).map((p) => p.path)).toEqual(["libvirt_domain.node_hv2.provider"]);
  });
});
