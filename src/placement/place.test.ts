import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EnvironmentSchema } from "../environment/schema.js";
import type { ErrorCode } from "../errors/index.js";
import { PlanError, planCluster } from "../plan/plan.js";
import { normalizeLibvirtUri, SINGLE_HOST_NAME } from "./hosts.js";
import { placeNodes, placeNodesOrThrow } from "./place.js";
import type { PlacementNode } from "./types.js";

const PREFIX = "lab";
const THREE_HOSTS = {
  hv1: { uri: "qemu:///system" },
  hv2: { uri: "qemu+ssh://core@hv2.home.arpa/system" },
  hv3: { uri: "qemu+ssh://core@hv3.home.arpa/system" },
};

function environment(input: Record<string, unknown> = {}) {
  return EnvironmentSchema.parse({
    name: "lab",
    prefix: PREFIX,
    network: { cidr: "192.168.150.0/24", mode: "bridge", bridge: "br0" },
    hosts: THREE_HOSTS,
    servers: { count: 3 },
    agents: { count: 3 },
    ...input,
  });
}

/** The nodes planCluster would make (servers, then agents), by count. */
function nodes(servers: number, agents: number): PlacementNode[] {
  return [
    ...Array.from({ length: servers }, (_, i) => ({
      name: `${PREFIX}-server-${i + 1}`,
      role: "server" as const,
      index: i + 1,
    })),
    ...Array.from({ length: agents }, (_, i) => ({
      name: `${PREFIX}-agent-${i + 1}`,
      role: "agent" as const,
      index: i + 1,
    })),
  ];
}

function place(input: Record<string, unknown> = {}) {
  const env = environment(input);
  return placeNodes(env, nodes(env.servers.count, env.agents.count));
}

const byHost = (input: Record<string, unknown> = {}) => Object.fromEntries(place(input).hostOf);

describe("placeNodes: where nodes go", () => {
  it("spreads servers one per host and agents from the other end", () => {
    const placement = place();
    expect(placement.problems).toEqual([]);
    expect(Object.fromEntries(placement.hostOf)).toEqual({
      "lab-server-1": "hv1",
      "lab-server-2": "hv2",
      "lab-server-3": "hv3",
      "lab-agent-1": "hv3",
      "lab-agent-2": "hv1",
      "lab-agent-3": "hv2",
    });
    expect(Object.fromEntries(placement.nodesOn)).toEqual({
      hv1: ["lab-server-1", "lab-agent-2"],
      hv2: ["lab-server-2", "lab-agent-3"],
      hv3: ["lab-server-3", "lab-agent-1"],
    });
    expect(placement.multiHost).toBe(true);
    expect(placement.survivesHostLoss).toBe(true);
    expect(placement.warnings).toEqual([]);
  });

  it("gives one server and one agent a host each on two hosts", () => {
    expect(
      byHost({
        hosts: { a: { uri: "qemu:///system" }, b: { uri: "qemu+ssh://b/system" } },
        servers: { count: 1 },
        agents: { count: 1 },
      }),
    ).toEqual({ "lab-server-1": "a", "lab-agent-1": "b" });
  });

  it("keeps an environment without hosts on its one host, exactly as before", () => {
    const env = EnvironmentSchema.parse({
      name: "dev",
      prefix: PREFIX,
      network: { cidr: "192.168.150.0/24" },
      libvirt: { uri: "qemu+ssh://me@box/system" },
      pool: { name: "homelab", path: "/srv/pool/" },
      servers: { count: 1 },
      agents: { count: 2 },
    });
    const placement = placeNodes(env, nodes(1, 2));
    expect(placement.hosts).toEqual([
      {
        name: SINGLE_HOST_NAME,
        uri: "qemu+ssh://me@box/system",
        pool: { name: "homelab", path: "/srv/pool", existing: false },
        position: 0,
        implicit: true,
      },
    ]);
    expect(new Set(placement.hostOf.values())).toEqual(new Set([SINGLE_HOST_NAME]));
    expect(placement.multiHost).toBe(false);
    expect(placement.survivesHostLoss).toBe(false);
    expect(placement.warnings).toEqual([]);
  });

  it("resolves each host's pool and bridge, falling back to the environment's", () => {
    const placement = place({
      pool: { name: "shared" },
      hosts: {
        hv1: { uri: "qemu:///system" },
        hv2: { uri: "qemu+ssh://hv2/system", pool: { existing: true, name: "default" }, bridge: "br-lan" },
      },
    });
    expect(placement.hosts.map(({ name, pool, bridge }) => ({ name, pool, bridge }))).toEqual([
      {
        name: "hv1",
        pool: { name: "shared", path: "/var/lib/libvirt/homelab/lab", existing: false },
        bridge: "br0",
      },
      { name: "hv2", pool: { name: "default", existing: true }, bridge: "br-lan" },
    ]);
  });

  it("lets a pin override the automatic host", () => {
    expect(byHost({ nodes: { "lab-agent-1": { host: "hv1" } } })["lab-agent-1"]).toBe("hv1");
    expect(place({ nodes: { "lab-agent-1": { host: "hv1" } } }).pinned).toEqual(new Set(["lab-agent-1"]));
  });

  it("accepts NodePlans from planCluster as they are", () => {
    const env = environment({ nodes: { "lab-server-2": { host: "hv1", memoryMiB: 8192 } } });
    const plan = planCluster(env, { file: "environments/lab.ts" });
    expect(placeNodesOrThrow(env, plan.nodes, "environments/lab.ts").hostOf.get("lab-server-2")).toBe("hv1");
  });
});

describe("placeNodes: moving one node moves that node only", () => {
  const arbitraryEnvironment = fc.record({
    hosts: fc.integer({ min: 1, max: 6 }),
    servers: fc.integer({ min: 1, max: 7 }),
    agents: fc.integer({ min: 0, max: 20 }),
    pins: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 4 }),
  });
  const build = (shape: { hosts: number; servers: number; agents: number; pins: [number, number][] }) => {
    const hosts = Object.fromEntries(
      Array.from({ length: shape.hosts }, (_, i) => [`hv${i + 1}`, { uri: `qemu+ssh://hv${i + 1}/system` }]),
    );
    const all = nodes(shape.servers, shape.agents);
    const pins = Object.fromEntries(
      shape.pins.map(([node, host]) => [
        all[node % all.length]?.name ?? "",
        { host: `hv${(host % shape.hosts) + 1}` },
      ]),
    );
    return { hosts, all, pins };
  };
  const others = (a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>, except: string) =>
    [...a.keys()].filter((name) => name !== except && b.has(name) && a.get(name) !== b.get(name));

  it("pinning or unpinning a node changes no other node's host", () => {
    fc.assert(
      fc.property(arbitraryEnvironment, fc.nat(), fc.nat(), (shape, which, where) => {
        const { hosts, all, pins } = build(shape);
        const node = all[which % all.length]?.name ?? "";
        const base = placeNodes(environment({ hosts, nodes: pins }), all);
        const pinned = placeNodes(
          environment({ hosts, nodes: { ...pins, [node]: { host: `hv${(where % shape.hosts) + 1}` } } }),
          all,
        );
        const { [node]: _removed, ...withoutPin } = pins;
        const unpinned = placeNodes(environment({ hosts, nodes: withoutPin }), all);
        expect(others(base.hostOf, pinned.hostOf, node)).toEqual([]);
        expect(others(base.hostOf, unpinned.hostOf, node)).toEqual([]);
      }),
    );
  });

  it("adding or removing a node (the last of its role) changes no other node's host", () => {
    fc.assert(
      fc.property(arbitraryEnvironment, fc.boolean(), (shape, server) => {
        const { hosts, pins } = build(shape);
        const env = environment({ hosts, nodes: pins });
        const base = placeNodes(env, nodes(shape.servers, shape.agents));
        const grown = server
          ? nodes(shape.servers + 1, shape.agents)
          : nodes(shape.servers, shape.agents + 1);
        const added = placeNodes(env, grown);
        const shrunk = placeNodes(
          env,
          nodes(shape.servers, shape.agents).filter(
            (node) => !(node.role === "agent" && node.index === shape.agents),
          ),
        );
        expect(others(base.hostOf, added.hostOf, "")).toEqual([]);
        expect(others(base.hostOf, shrunk.hostOf, "")).toEqual([]);
        expect(added.hostOf.size).toBe(base.hostOf.size + 1);
      }),
    );
  });

  it("appending a host moves unpinned nodes onto the new host only", () => {
    fc.assert(
      fc.property(arbitraryEnvironment, (shape) => {
        const { hosts, all, pins } = build(shape);
        const before = placeNodes(environment({ hosts, nodes: pins }), all);
        const after = placeNodes(
          environment({ hosts: { ...hosts, new: { uri: "qemu+ssh://new/system" } }, nodes: pins }),
          all,
        );
        for (const [name, host] of after.hostOf) {
          expect([before.hostOf.get(name), "new"]).toContain(host);
        }
      }),
    );
  });
});

describe("placeNodes: surviving the loss of a host", () => {
  it.each([
    // what, input, path of the warning
    ["1 server on 3 hosts", { servers: { count: 1 } }, ["servers", "count"]],
    [
      "3 servers on 2 hosts",
      { hosts: { hv1: THREE_HOSTS.hv1, hv2: THREE_HOSTS.hv2 }, agents: { count: 0 } },
      ["hosts"],
    ],
    ["4 servers on 3 hosts", { servers: { count: 4 } }, ["servers", "count"]],
    [
      "a server pinned next to another",
      { nodes: { "lab-server-2": { host: "hv1" } } },
      ["nodes", "lab-server-2", "host"],
    ],
  ] as const)("warns for %s", (_what, input, path) => {
    const placement = place(input);
    expect(placement.problems).toEqual([]);
    expect(placement.survivesHostLoss).toBe(false);
    const warning = placement.warnings.find((w) => w.message.includes("cannot survive the loss of host"));
    expect(warning?.path).toEqual(path);
    expect(warning?.fix).toMatch(/\S/);
  });

  it.each([
    ["3 servers on 3 hosts", {}],
    ["5 servers on 3 hosts", { servers: { count: 5 } }],
    ["3 servers on 4 hosts", { hosts: { ...THREE_HOSTS, hv4: { uri: "qemu+ssh://hv4/system" } } }],
  ] as const)("survives with %s", (_what, input) => {
    const placement = place(input);
    expect(placement.survivesHostLoss).toBe(true);
    expect(placement.warnings.filter((w) => w.message.includes("cannot survive"))).toEqual([]);
  });

  it("names the server count in the message", () => {
    const [warning] = place({ hosts: { hv1: THREE_HOSTS.hv1, hv2: THREE_HOSTS.hv2 } }).warnings;
    expect(warning?.message).toBe(
      "the environment cannot survive the loss of host hv1: it holds 2 of 3 servers (lab-server-1, lab-server-3), and etcd needs 2 to keep quorum",
    );
  });

  it("warns about a host that gets no node", () => {
    const placement = place({ servers: { count: 1 }, agents: { count: 1 } });
    expect(placement.warnings.map((w) => w.path)).toContainEqual(["hosts", "hv2"]);
  });
});

describe("placeNodes: refusals", () => {
  it.each<[string, Record<string, unknown>, ErrorCode, (string | number)[]]>([
    [
      "a pin to an unknown host",
      { nodes: { "lab-agent-1": { host: "hv9" } } },
      "env-host-unknown",
      ["nodes", "lab-agent-1", "host"],
    ],
    [
      "a pin without hosts",
      { hosts: undefined, network: { cidr: "192.168.150.0/24" }, nodes: { "lab-agent-1": { host: "hv1" } } },
      "env-host-unknown",
      ["nodes", "lab-agent-1", "host"],
    ],
    [
      "a pin for a node that does not exist",
      { nodes: { "lab-agent-9": { host: "hv1" } } },
      "env-invalid",
      ["nodes", "lab-agent-9", "host"],
    ],
    [
      "two hosts with one URI",
      { hosts: { hv1: { uri: "qemu:///system" }, hv2: { uri: "qemu+unix:///system/" } } },
      "env-host-duplicate",
      ["hosts", "hv2", "uri"],
    ],
    [
      "NAT with several hosts",
      { network: { cidr: "192.168.150.0/24" } },
      "env-multi-host-nat",
      ["network", "mode"],
    ],
    ["an empty hosts", { hosts: {} }, "env-invalid", ["hosts"]],
    [
      "libvirt.uri next to hosts",
      { libvirt: { uri: "qemu+ssh://old/system" } },
      "env-invalid",
      ["libvirt", "uri"],
    ],
    [
      "a bridge-mode host without a bridge",
      { network: { cidr: "192.168.150.0/24", mode: "bridge" } },
      "env-invalid",
      ["hosts", "hv1", "bridge"],
    ],
    [
      "a host pool on libvirt's default directory",
      { hosts: { ...THREE_HOSTS, hv2: { ...THREE_HOSTS.hv2, pool: { path: "/var/lib/libvirt/images/" } } } },
      "env-invalid",
      ["hosts", "hv2", "pool", "path"],
    ],
  ])("refuses %s", (_what, input, code, path) => {
    const placement = place(input);
    expect(placement.problems.map((p) => [p.code, p.path])).toContainEqual([code, path]);
    for (const problem of placement.problems) {
      expect(problem.message).toMatch(/\S/);
      expect(problem.fix).toMatch(/\S/);
    }
    expect(placement.hostOf.size).toBe(0);
  });

  it("throws them as one located PlanError", () => {
    const env = environment({ nodes: { "lab-agent-1": { host: "hv9" } } });
    const error = (() => {
      try {
        placeNodesOrThrow(env, nodes(3, 3), "environments/lab.ts");
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(PlanError);
    expect((error as PlanError).code).toBe("env-host-unknown");
    expect((error as PlanError).where).toEqual({
      file: "environments/lab.ts",
      path: "nodes.lab-agent-1.host",
    });
    expect((error as PlanError).fix).toContain("hv1, hv2, hv3");
  });

  it("warns that a host bridge is ignored in NAT mode on one host", () => {
    const placement = place({
      network: { cidr: "192.168.150.0/24" },
      hosts: { hv1: { uri: "qemu:///system", bridge: "br0" } },
    });
    expect(placement.problems).toEqual([]);
    expect(placement.warnings.map((w) => w.path)).toEqual([["hosts", "hv1", "bridge"]]);
  });
});

describe("normalizeLibvirtUri", () => {
  it.each([
    ["qemu:///system", "qemu:///system"],
    ["qemu+unix:///system/", "qemu:///system"],
    ["QEMU+SSH://Core@HV2/system", "qemu+ssh://core@hv2/system"],
    ["qemu+ssh://hv2/system?keyfile=/k", "qemu+ssh://hv2/system?keyfile=/k"],
  ])("%s → %s", (uri, normalized) => {
    expect(normalizeLibvirtUri(uri)).toBe(normalized);
  });
});
