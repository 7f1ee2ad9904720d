import { describe, expect, it } from "vitest";
import { formatPlanSummary, summarizePlan } from "../../src/runner/plan-summary.js";

interface Change {
  readonly address: string;
  readonly actions: readonly string[];
  readonly reason?: string;
  readonly replacePaths?: readonly (readonly string[])[];
}

/** A `show -json` document with the fields the summary reads, shaped as terraform prints them. */
function planJson(changes: readonly Change[], outputs: Record<string, readonly string[]> = {}) {
  return {
    format_version: "1.2",
    resource_changes: changes.map((change) => {
      const match = /^(data\.)?([a-z_]+)\.([a-z_]+)(?:\["(.+)"\])?$/.exec(change.address)!;
      return {
        address: change.address,
        mode: match[1] ? "data" : "managed",
        type: match[2],
        name: match[3],
        ...(match[4] === undefined ? {} : { index: match[4] }),
        ...(change.reason === undefined ? {} : { action_reason: change.reason }),
        change: {
          actions: change.actions,
          ...(change.replacePaths ? { replace_paths: change.replacePaths } : {}),
        },
      };
    }),
    output_changes: Object.fromEntries(Object.entries(outputs).map(([name, actions]) => [name, { actions }])),
  };
}

const NODES = ["k3s-dev-server-1", "k3s-dev-agent-1"];
const addr = (type: string, name: string, node: string) => `${type}.${name}["${node}"]`;

describe("summarizePlan", () => {
  const cases: readonly {
    readonly name: string;
    readonly changes: readonly Change[];
    readonly outputs?: Record<string, readonly string[]>;
    readonly counts: { add: number; change: number; destroy: number; replace: number; noChanges: boolean };
    readonly nodes: readonly (readonly [string, string])[];
    readonly staleIgnition?: readonly string[];
  }[] = [
    {
      name: "no-op and data reads are no changes",
      changes: [
        { address: addr("libvirt_domain", "node", "k3s-dev-server-1"), actions: ["no-op"] },
        { address: 'data.libvirt_node_info["x"]', actions: ["read"] },
      ],
      counts: { add: 0, change: 0, destroy: 0, replace: 0, noChanges: true },
      nodes: [],
    },
    {
      name: "a changed output alone is a change",
      changes: [],
      outputs: { nodes: ["update"], same: ["no-op"] },
      counts: { add: 0, change: 0, destroy: 0, replace: 0, noChanges: false },
      nodes: [],
    },
    {
      name: "a new environment creates every node",
      changes: [
        { address: "libvirt_pool.cluster", actions: ["create"] },
        { address: addr("libvirt_volume", "disk", "k3s-dev-server-1"), actions: ["create"] },
        { address: addr("libvirt_domain", "node", "k3s-dev-server-1"), actions: ["create"] },
        { address: addr("libvirt_domain", "node", "k3s-dev-agent-1"), actions: ["create"] },
      ],
      counts: { add: 4, change: 0, destroy: 0, replace: 0, noChanges: false },
      nodes: [
        ["k3s-dev-server-1", "create"],
        ["k3s-dev-agent-1", "create"],
      ],
    },
    {
      name: "delete-then-create and create-before-destroy both count as replacements (1 add + 1 destroy)",
      changes: [
        {
          address: addr("libvirt_volume", "ignition", "k3s-dev-agent-1"),
          actions: ["delete", "create"],
          reason: "replace_because_cannot_update",
          replacePaths: [["create", "content", "url"]],
        },
        {
          address: addr("libvirt_domain", "node", "k3s-dev-agent-1"),
          actions: ["create", "delete"],
          reason: "replace_by_triggers",
        },
      ],
      counts: { add: 2, change: 0, destroy: 2, replace: 2, noChanges: false },
      nodes: [["k3s-dev-agent-1", "replace"]],
    },
    {
      name: "an in-place domain update is a node update",
      changes: [{ address: addr("libvirt_domain", "node", "k3s-dev-server-1"), actions: ["update"] }],
      counts: { add: 0, change: 1, destroy: 0, replace: 0, noChanges: false },
      nodes: [["k3s-dev-server-1", "update"]],
    },
    {
      name: "a node removed from the environment is destroyed, under its for_each key",
      changes: [
        {
          address: addr("libvirt_domain", "node", "k3s-dev-agent-9"),
          actions: ["delete"],
          reason: "delete_because_each_key",
        },
        {
          address: addr("libvirt_volume", "disk", "k3s-dev-agent-9"),
          actions: ["delete"],
          reason: "delete_because_each_key",
        },
      ],
      counts: { add: 0, change: 0, destroy: 2, replace: 0, noChanges: false },
      nodes: [["k3s-dev-agent-9", "destroy"]],
    },
    {
      name: "Ignition changing in place while the domain stays is flagged as stale",
      changes: [{ address: addr("libvirt_volume", "ignition", "k3s-dev-server-1"), actions: ["update"] }],
      counts: { add: 0, change: 1, destroy: 0, replace: 0, noChanges: false },
      nodes: [["k3s-dev-server-1", "update"]],
      staleIgnition: ["k3s-dev-server-1"],
    },
  ];

  for (const testCase of cases) {
    it(testCase.name, () => {
      const summary = summarizePlan(planJson(testCase.changes, testCase.outputs), NODES);
      expect({
        add: summary.add,
        change: summary.change,
        destroy: summary.destroy,
        replace: summary.replace,
        noChanges: summary.noChanges,
      }).toEqual(testCase.counts);
      expect(summary.nodes.map((n) => [n.node, n.action])).toEqual(testCase.nodes);
      expect(summary.staleIgnition).toEqual(testCase.staleIgnition ?? []);
    });
  }

  it("says why a node is replaced: Ignition first, then each resource's reason", () => {
    const summary = summarizePlan(planJson(cases[3]!.changes), NODES);
    expect(summary.nodes[0]?.reasons).toEqual([
      "Ignition changed (Ignition runs only at first boot, so the node is rebuilt)",
      'libvirt_volume.ignition["k3s-dev-agent-1"]: changed: create.content.url (cannot change in place)',
      'libvirt_domain.node["k3s-dev-agent-1"]: replace_triggered_by: something it depends on is replaced',
    ]);
  });

  it("reads the for_each key from `index`, not from the address text", () => {
    const document = planJson([
      { address: addr("libvirt_domain", "node", "k3s-dev-server-1"), actions: ["update"] },
    ]);
    document.resource_changes[0]!.index = "k3s-dev-agent-1";
    expect(summarizePlan(document, NODES).nodes[0]?.node).toBe("k3s-dev-agent-1");
  });

  it("accepts show -json text and rejects a document that is not a plan", () => {
    expect(summarizePlan(JSON.stringify(planJson([])), NODES).noChanges).toBe(true);
    expect(() => summarizePlan("not json", NODES)).toThrow(/did not print JSON/);
    expect(() => summarizePlan({ resource_changes: [{ address: 1 }] }, NODES)).toThrow(/cannot read/);
  });
});

describe("formatPlanSummary", () => {
  it("prints counts, replaced nodes with reasons, and resources outside nodes", () => {
    const summary = summarizePlan(
      planJson([
        {
          address: "libvirt_volume.flatcar_base",
          actions: ["delete", "create"],
          reason: "replace_because_cannot_update",
          replacePaths: [["name"]],
        },
        {
          address: addr("libvirt_domain", "node", "k3s-dev-agent-1"),
          actions: ["delete", "create"],
          reason: "replace_by_request",
        },
        { address: addr("libvirt_domain", "node", "k3s-dev-agent-2"), actions: ["create"] },
      ]),
      NODES,
    );
    expect(formatPlanSummary(summary)).toBe(
      [
        "Plan: 3 to add, 0 to change, 2 to destroy.",
        "Nodes replaced (new disk, new VM; the old one is deleted):",
        "  k3s-dev-agent-1",
        '    - libvirt_domain.node["k3s-dev-agent-1"]: replacement requested (-replace)',
        "Nodes created:",
        "  k3s-dev-agent-2",
        "Other resources:",
        "  replace libvirt_volume.flatcar_base (changed: name (cannot change in place))",
      ].join("\n"),
    );
  });

  it("says so when nothing changes", () => {
    expect(formatPlanSummary(summarizePlan(planJson([]), NODES))).toMatch(/^No changes/);
  });
});
