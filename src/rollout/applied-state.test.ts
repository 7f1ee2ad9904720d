import { describe, expect, it } from "vitest";
import { parseAppliedState } from "./applied-state.js";

/** Resources as dmacvicar/libvirt 0.9.7 records them (state version 4), and as the test stand-ins do. */
const base = (key: string | undefined, name: string) => ({
  mode: "managed",
  type: "libvirt_volume",
  name: "flatcar_base",
  instances: [{ ...(key ? { index_key: key } : {}), attributes: { name, path: `/pool/${name}` } }],
});

const nodeResources = (node: string, disk: string, backing: string) => [
  {
    mode: "managed",
    type: "libvirt_volume",
    name: "ignition",
    instances: [{ index_key: node, attributes: { name: `${node}-0123456789ab.ign` } }],
  },
  {
    mode: "managed",
    type: "libvirt_volume",
    name: "disk",
    instances: [
      {
        index_key: node,
        attributes: { name: disk, capacity: 10 * 1024 ** 3, backing_store: { path: backing } },
      },
    ],
  },
  {
    mode: "managed",
    type: "libvirt_domain",
    name: "node",
    instances: [
      {
        index_key: node,
        attributes: {
          name: node,
          vcpu: 2,
          memory: 2097152,
          memory_unit: "KiB",
          devices: { interfaces: [{ mac: { address: "52:54:00:AA:BB:CC" } }] },
        },
      },
    ],
  },
];

const state = (...resources: unknown[]) => JSON.stringify({ version: 4, resources });

describe("parseAppliedState", () => {
  it("reads a node's facts from the provider's attributes", () => {
    const applied = parseAppliedState(
      state(
        base("stable-1.0.0", "lab-flatcar-stable-1.0.0.qcow2"),
        ...nodeResources(
          "lab-server-1",
          "lab-server-1-10gib-stable-1.0.0.qcow2",
          "/pool/lab-flatcar-stable-1.0.0.qcow2",
        ),
      ),
      "lab",
      "state",
    );
    expect(applied.exists).toBe(true);
    expect(applied.nodes.get("lab-server-1")).toEqual({
      name: "lab-server-1",
      role: "server",
      index: 1,
      host: "default",
      block: undefined,
      missing: [],
      facts: {
        role: "server",
        ignitionVolume: "lab-server-1-0123456789ab.ign",
        diskVolume: "lab-server-1-10gib-stable-1.0.0.qcow2",
        diskBytes: 10 * 1024 ** 3,
        baseImage: "stable-1.0.0",
        vcpu: 2,
        memoryKiB: 2097152,
        mac: "52:54:00:aa:bb:cc",
        host: "default",
      },
    });
  });

  it("reads an environment applied before base volumes were keyed (legacy disk names)", () => {
    const applied = parseAppliedState(
      state(
        base(undefined, "lab-flatcar-stable-1.0.0.qcow2"),
        ...nodeResources("lab-agent-2", "lab-agent-2-10gib.qcow2", "/elsewhere"),
      ),
      "lab",
      "state",
    );
    expect(applied.baseImages).toEqual([
      {
        key: "stable-1.0.0",
        name: "lab-flatcar-stable-1.0.0.qcow2",
        path: "/pool/lab-flatcar-stable-1.0.0.qcow2",
        keyed: false,
        host: "default",
        block: undefined,
      },
    ]);
    expect(applied.nodes.get("lab-agent-2")?.facts?.baseImage).toBe("stable-1.0.0");
  });

  it("takes the release from the disk's name when two bases are in use and the backing path is unknown", () => {
    const applied = parseAppliedState(
      state(
        base("stable-1.0.0", "lab-flatcar-stable-1.0.0.qcow2"),
        base("stable-2.0.0", "lab-flatcar-stable-2.0.0.qcow2"),
        ...nodeResources("lab-agent-1", "lab-agent-1-10gib-stable-2.0.0.qcow2", "/unknown"),
      ),
      "lab",
      "state",
    );
    expect(applied.nodes.get("lab-agent-1")?.facts?.baseImage).toBe("stable-2.0.0");
  });

  it("reports a half-built node with what is missing", () => {
    const [ignition] = nodeResources("lab-agent-1", "d", "/p");
    const applied = parseAppliedState(state(ignition), "lab", "state");
    expect(applied.nodes.get("lab-agent-1")).toMatchObject({ facts: undefined, missing: ["disk", "domain"] });
  });

  it("reads the test stand-ins (terraform_data holding the configuration in input.value)", () => {
    const standIn = JSON.stringify({
      version: 4,
      resources: [
        ...nodeResources(
          "lab-agent-1",
          "lab-agent-1-10gib-stable-1.0.0.qcow2",
          "/pool/lab-flatcar-stable-1.0.0.qcow2",
        ),
        base("stable-1.0.0", "lab-flatcar-stable-1.0.0.qcow2"),
      ].map((resource: { type: string; name: string; instances: { attributes: object }[] }) => ({
        mode: "managed",
        type: "terraform_data",
        name: `${resource.type}__${resource.name}`,
        instances: resource.instances.map((instance) => ({
          ...instance,
          attributes: { input: { value: instance.attributes, type: ["object", {}] } },
        })),
      })),
    });
    expect(parseAppliedState(standIn, "lab", "state").nodes.get("lab-agent-1")?.facts?.vcpu).toBe(2);
  });

  it.each([
    ["no file", undefined],
    ["an empty file", ""],
  ])("treats %s as nothing applied", (_name, text) => {
    expect(parseAppliedState(text, "lab", "state").exists).toBe(false);
  });

  it.each([
    ["not JSON", "{"],
    ["not a state", '{"hello":1}'],
  ])("refuses %s with tofu-state-unreadable, naming the file", (_name, text) => {
    expect(() => parseAppliedState(text, "lab", "/s/terraform.tfstate")).toThrow(
      expect.objectContaining({ code: "tofu-state-unreadable", where: { file: "/s/terraform.tfstate" } }),
    );
  });

  it("ignores resources of other prefixes and data sources", () => {
    const applied = parseAppliedState(
      state(...nodeResources("other-agent-1", "d", "/p"), {
        mode: "data",
        type: "libvirt_volume",
        name: "x",
        instances: [],
      }),
      "lab",
      "state",
    );
    expect(applied.nodes.size).toBe(0);
  });
});

/** The same resources in a host's blocks (`node_hv2`), as several hosts render them. */
const onHost = <T extends { readonly name: string }>(host: string, resources: readonly T[]): T[] =>
  resources.map((resource) => ({ ...resource, name: `${resource.name}_${host}` }));

const artifactVolume = (host: string | undefined, key: string) => ({
  mode: "managed",
  type: "libvirt_volume",
  name: host === undefined ? "artifacts" : `artifacts_${host}`,
  instances: [
    {
      index_key: key,
      attributes: { name: `lab-artifacts-${key}.tar`, create: { content: { url: `/cache/${key}.tar` } } },
    },
  ],
});

/** A node's resources whose domain attaches an artifact volume (by its disk serial). */
const withArtifactDisk = (resources: ReturnType<typeof nodeResources>, volume: string) =>
  resources.map((resource) =>
    resource.type !== "libvirt_domain"
      ? resource
      : {
          ...resource,
          instances: resource.instances.map((instance) => ({
            ...instance,
            attributes: {
              ...instance.attributes,
              devices: {
                ...(instance.attributes as { devices: object }).devices,
                disks: [
                  { source: { volume: { volume: "disk" } } },
                  { serial: "homelab-artifacts", source: { volume: { volume } } },
                ],
              },
            },
          })),
        },
  );

describe("parseAppliedState on several hosts", () => {
  const agent = (host: string) =>
    onHost(host, nodeResources("lab-agent-1", "lab-agent-1-10gib-stable-1.0.0.qcow2", "/p/base"));
  const baseOn = (host: string) => onHost(host, [base("stable-1.0.0", "lab-flatcar-stable-1.0.0.qcow2")]);

  it.each([
    ["a host's blocks", state(...baseOn("hv2"), ...agent("hv2")), {}, "hv2", "hv2"],
    [
      "plain names, on the implicit host",
      state(base("stable-1.0.0", "b"), ...nodeResources("lab-agent-1", "d", "/p")),
      {},
      "default",
      undefined,
    ],
    [
      "plain names of an environment that grew hosts: its first host",
      state(base("stable-1.0.0", "b"), ...nodeResources("lab-agent-1", "d", "/p")),
      { unsuffixedHost: "hv1" },
      "hv1",
      undefined,
    ],
  ])("puts a node of %s on its host", (_name, text, options, host, block) => {
    const node = parseAppliedState(text, "lab", "state", options).nodes.get("lab-agent-1");
    expect(node).toMatchObject({ host, block });
    expect(node?.facts?.host).toBe(host);
  });

  it("finds the base volume on the node's own host only", () => {
    const text = state(
      ...onHost("hv1", [base("stable-1.0.0", "lab-flatcar-stable-1.0.0.qcow2")]),
      ...onHost("hv2", [base("stable-2.0.0", "lab-flatcar-stable-2.0.0.qcow2")]),
      ...onHost("hv2", nodeResources("lab-agent-1", "lab-agent-1-10gib-x.qcow2", "/unknown")),
    );
    expect(parseAppliedState(text, "lab", "state").nodes.get("lab-agent-1")?.facts?.baseImage).toBe(
      "stable-2.0.0",
    );
  });

  it("takes the most complete host of a node whose move stopped halfway", () => {
    const [ignition] = agent("hv1");
    const text = state(...baseOn("hv2"), ignition, ...agent("hv2"));
    const node = parseAppliedState(text, "lab", "state").nodes.get("lab-agent-1");
    expect(node).toMatchObject({ host: "hv2", block: "hv2", missing: [] });
  });

  it("reads artifact volumes per host and the one each domain attaches", () => {
    const key = "a1b2c3d4e5f6";
    const text = state(
      ...baseOn("hv2"),
      artifactVolume("hv2", key),
      ...withArtifactDisk(agent("hv2"), `lab-artifacts-${key}.tar`),
    );
    const applied = parseAppliedState(text, "lab", "state");
    expect(applied.artifactVolumes).toEqual([
      { key, name: `lab-artifacts-${key}.tar`, source: `/cache/${key}.tar`, host: "hv2", block: "hv2" },
    ]);
    expect(applied.nodes.get("lab-agent-1")?.facts?.artifactVolume).toBe(key);
  });

  it("lists every block of homelab's resources once, with its host", () => {
    const text = state(...baseOn("hv2"), ...agent("hv2"), ...nodeResources("lab-agent-2", "d", "/p"));
    const blocks = parseAppliedState(text, "lab", "state", { unsuffixedHost: "hv1" }).blocks;
    expect(blocks).toHaveLength(7);
    expect(blocks).toContainEqual({ kind: "domain", host: "hv2", block: "hv2" });
    expect(blocks).toContainEqual({ kind: "domain", host: "hv1", block: undefined });
  });
});
