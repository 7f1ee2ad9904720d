import { describe, expect, it } from "vitest";
import type { FirstBoot } from "../nodes/first-boot.js";
import type { AppliedNode, AppliedState } from "./applied-state.js";
import type { MachineFacts } from "./facts.js";
import { type DesiredNode, planRollout, type Release } from "./plan.js";

/** Machines as facts: the Ignition volume name stands for the Ignition (mode and generation). */
function facts(
  name: string,
  role: "server" | "agent",
  ignition: string,
  extra: Partial<MachineFacts> = {},
): MachineFacts {
  return {
    role,
    ignitionVolume: `${name}-${ignition}.ign`,
    diskVolume: `${name}-10gib-stable-1.qcow2`,
    diskBytes: 10,
    baseImage: "stable-1",
    vcpu: 2,
    memoryKiB: 2048,
    mac: "52:54:00:00:00:01",
    host: "default",
    ...extra,
  };
}

const desired = (servers: number, agents: number): DesiredNode[] => [
  ...Array.from({ length: servers }, (_, i) => ({
    name: `s${i + 1}`,
    role: "server" as const,
    index: i + 1,
    first: i === 0,
  })),
  ...Array.from({ length: agents }, (_, i) => ({
    name: `a${i + 1}`,
    role: "agent" as const,
    index: i + 1,
    first: false,
  })),
];

function applied(entries: [string, MachineFacts][]): AppliedState {
  const nodes = new Map<string, AppliedNode>(
    entries.map(([name, f]) => [
      name,
      {
        name,
        role: f.role,
        index: Number(name.slice(1)),
        host: f.host,
        block: undefined,
        facts: f,
        missing: [],
      },
    ]),
  );
  return { exists: entries.length > 0, nodes, baseImages: [], artifactVolumes: [], blocks: [] };
}

/** The environment wants generation `gen` of every node (mode decides the server's Ignition). */
const wants =
  (gen: Record<string, string> = {}, extra: Record<string, Partial<MachineFacts>> = {}) =>
  (name: string, mode: FirstBoot): MachineFacts =>
    facts(name, name.startsWith("s") ? "server" : "agent", `${mode.kind}${gen[name] ?? "1"}`, extra[name]);

const running = (servers: number, agents: number, firstMode = "bootstrap") =>
  applied(
    desired(servers, agents).map((node) => [
      node.name,
      facts(node.name, node.role, node.first ? `${firstMode}1` : "join1"),
    ]),
  );

describe("planRollout", () => {
  it.each([
    ["an agent", "a1", ["a1"]],
    ["a joining server", "s2", ["s2"]],
    ["the first server", "s1", ["s1"]],
  ])(
    "moves %s to another host as a replacement of that node only, released on its own",
    (_what, moved, order) => {
      const rollout = planRollout({
        desired: desired(3, 2),
        applied: running(3, 2),
        factsFor: wants({}, { [moved]: { host: "hv2" } }),
        release: { kind: "next" },
      });
      const changes = rollout.nodes.filter((n) => n.change.kind !== "unchanged");
      expect(changes.map((n) => [n.name, n.change])).toEqual([
        [moved, { kind: "replace", causes: [{ kind: "host", from: "default", to: "hv2" }] }],
      ]);
      expect(rollout.order).toEqual(order);
      // The step writes the moved node on its new host; held back it would stay on its old one.
      expect(rollout.emitted.find((e) => e.name === moved)?.facts.host).toBe("hv2");
      const held = planRollout({
        desired: desired(3, 2),
        applied: running(3, 2),
        factsFor: wants({}, { [moved]: { host: "hv2" } }),
        release: { kind: "none" },
      });
      expect(held.emitted.find((e) => e.name === moved)?.facts.host).toBe("default");
    },
  );

  it("creates a new environment: the first server bootstraps, everyone else joins", () => {
    const rollout = planRollout({
      desired: desired(3, 1),
      applied: applied([]),
      factsFor: wants(),
      release: { kind: "next" },
    });
    expect(rollout.nodes.map((n) => [n.name, n.change.kind, n.next?.firstBoot.kind])).toEqual([
      ["s1", "create", "bootstrap"],
      ["s2", "create", "join"],
      ["s3", "create", "join"],
      ["a1", "create", "join"],
    ]);
    expect(rollout.order).toEqual([]);
  });

  it("reads the first server's current machine back: bootstrap, or join after a rebuild", () => {
    for (const mode of ["bootstrap", "join"]) {
      const rollout = planRollout({
        desired: desired(3, 0),
        applied: running(3, 0, mode),
        factsFor: wants(),
        release: { kind: "next" },
      });
      expect(rollout.nodes[0]).toMatchObject({ change: { kind: "unchanged" }, current: { kind: mode } });
    }
  });

  it("orders agents, then joining servers, then the first server; removals first; one per step", () => {
    const everything = Object.fromEntries(["s1", "s2", "s3", "a1", "a2"].map((n) => [n, "2"]));
    const rollout = planRollout({
      desired: [...desired(2, 1)],
      applied: running(3, 2),
      factsFor: wants(everything),
      release: { kind: "next" },
    });
    expect(rollout.order).toEqual(["a2", "a1", "s3", "s2", "s1"]);
    expect(rollout.released).toEqual(["a2"]);
    // The held-back nodes keep their applied facts; the removed server stays until its step.
    const emitted = Object.fromEntries(rollout.emitted.map((e) => [e.name, e.source]));
    expect(emitted).toEqual({ s1: "applied", s2: "applied", s3: "applied", a1: "applied" });
    // The rebuilt first server will join: other servers hold the cluster.
    expect(rollout.nodes.find((n) => n.name === "s1")?.next?.firstBoot.kind).toBe("join");
  });

  it.each<[string, Release, string[]]>([
    ["next", { kind: "next" }, ["a1"]],
    ["next with 2 agents at a time", { kind: "next", parallelAgents: 2 }, ["a1", "a2"]],
    ["none", { kind: "none" }, []],
    ["an explicit server", { kind: "nodes", names: ["s2"] }, ["s2"]],
  ])("releases %s", (_name, release, expected) => {
    const all = Object.fromEntries(["s1", "s2", "a1", "a2", "a3"].map((n) => [n, "2"]));
    const rollout = planRollout({
      desired: desired(2, 3),
      applied: running(2, 3),
      factsFor: wants(all),
      release,
    });
    expect(rollout.released).toEqual(expected);
  });

  it("refuses two servers in one step, and a node it does not know", () => {
    const all = Object.fromEntries(["s1", "s2", "s3"].map((n) => [n, "2"]));
    const plan = (names: string[]) =>
      planRollout({
        desired: desired(3, 0),
        applied: running(3, 0),
        factsFor: wants(all),
        release: { kind: "nodes", names },
      });
    expect(() => plan(["s2", "s3"])).toThrow(/at most one server per step/);
    expect(() => plan(["x9"])).toThrow(/not a node/);
  });

  it("names each cause of a rebuild, and a restart for vCPU or memory", () => {
    const rollout = planRollout({
      desired: desired(1, 3),
      applied: running(1, 3),
      factsFor: wants(
        { a1: "2" },
        { a2: { baseImage: "stable-2", diskVolume: "a2-10gib-stable-2.qcow2" }, a3: { vcpu: 4 } },
      ),
      release: { kind: "none" },
    });
    expect(rollout.nodes.map((n) => [n.name, n.change])).toEqual([
      ["s1", { kind: "unchanged" }],
      ["a1", { kind: "replace", causes: [{ kind: "ignition" }] }],
      ["a2", { kind: "replace", causes: [{ kind: "base-image", from: "stable-1", to: "stable-2" }] }],
      ["a3", { kind: "in-place", changes: [{ kind: "vcpu", from: 2, to: 4 }] }],
    ]);
  });

  it("blocks the only server's rebuild until a restore is prepared, then builds it in restore mode", () => {
    const inputs = { desired: desired(1, 1), applied: running(1, 1), factsFor: wants({ s1: "2" }) };
    const blocked = planRollout({ ...inputs, release: { kind: "next" } });
    expect(blocked.nodes[0]?.blocked).toMatch(/only server/);
    expect(blocked.released).toEqual([]);
    const restore: FirstBoot = { kind: "restore", snapshotSha256: "a".repeat(64) };
    const prepared = planRollout({ ...inputs, preparedRestore: restore, release: { kind: "next" } });
    expect(prepared.released).toEqual(["s1"]);
    expect(prepared.nodes[0]?.next?.firstBoot).toEqual(restore);
  });

  it("rebuilds a requested node that did not change (homelab replace)", () => {
    const rollout = planRollout({
      desired: desired(2, 1),
      applied: running(2, 1),
      factsFor: wants(),
      release: { kind: "nodes", names: ["a1"] },
      requested: ["a1"],
    });
    expect(rollout.nodes.find((n) => n.name === "a1")?.change).toEqual({
      kind: "replace",
      causes: [{ kind: "requested" }],
    });
    expect(rollout.released).toEqual(["a1"]);
  });
});
