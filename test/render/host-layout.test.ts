import { describe, expect, it } from "vitest";
import { assertKnownHosts, hostLayout, NO_LAYOUT_CHANGE } from "../../src/render/host-layout.js";
import { parseAppliedState } from "../../src/rollout/index.js";
import { synthesizeTofu } from "../../src/tofu/index.js";
import { planFixture, synthesisOptions } from "../tofu/plan-fixture.js";

/** A state of stand-in-free libvirt resources: one node's three resources in a block. */
function stateWith(blocks: readonly (string | undefined)[], node = "k3s-lab-agent-1"): string {
  const name = (base: string, block: string | undefined) => (block === undefined ? base : `${base}_${block}`);
  const resources = blocks.flatMap((block) => [
    {
      type: "libvirt_volume",
      name: name("ignition", block),
      key: node,
      attributes: { name: `${node}-x.ign` },
    },
    { type: "libvirt_volume", name: name("disk", block), key: node, attributes: { name: "d", capacity: 1 } },
    { type: "libvirt_domain", name: name("node", block), key: node, attributes: { name: node, vcpu: 1 } },
  ]);
  return JSON.stringify({
    version: 4,
    resources: resources.map((r) => ({
      mode: "managed",
      type: r.type,
      name: r.name,
      instances: [{ index_key: r.key, attributes: r.attributes }],
    })),
  });
}

const agentOn = (host: string) => ({ "k3s-lab-server-1": "hv1", "k3s-lab-agent-1": host });

describe("hostLayout", () => {
  it.each([
    ["one host staying one host", planFixture({ servers: 1, agents: 1 }), [undefined], 0],
    [
      "several hosts staying several",
      planFixture({ mode: "bridge", servers: 1, agents: 1, hosts: ["hv1", "hv2"], hostOf: agentOn("hv2") }),
      ["hv2"],
      0,
    ],
    [
      "one host becoming several, the node staying on the first",
      planFixture({ mode: "bridge", servers: 1, agents: 1, hosts: ["hv1", "hv2"], hostOf: agentOn("hv1") }),
      [undefined],
      3,
    ],
    [
      "one host becoming several, the node going to the new host (destroyed where it was, not moved)",
      planFixture({ mode: "bridge", servers: 1, agents: 1, hosts: ["hv1", "hv2"], hostOf: agentOn("hv2") }),
      [undefined],
      0,
    ],
    [
      "several hosts becoming one",
      planFixture({ mode: "bridge", servers: 1, agents: 1, hosts: ["hv1"], hostOf: agentOn("hv1") }),
      ["hv1"],
      3,
    ],
  ] as const)("%s", (_name, plan, blocks, moves) => {
    const first = plan.hosts[0]?.name;
    const applied = parseAppliedState(
      stateWith(blocks),
      plan.environment.prefix,
      "s",
      first ? { unsuffixedHost: first } : {},
    );
    const layout = hostLayout(plan, applied, synthesizeTofu(plan, synthesisOptions(plan)));
    expect(layout.moved).toHaveLength(moves);
    if (blocks.every((b) => (plan.multiHost ? b !== undefined : b === undefined)))
      expect(layout).toBe(NO_LAYOUT_CHANGE);
  });
});

describe("assertKnownHosts", () => {
  const plan = planFixture({
    mode: "bridge",
    servers: 1,
    agents: 1,
    hosts: ["hv1", "hv2"],
    hostOf: agentOn("hv2"),
  });
  it.each([
    ["every block on a host of the environment", ["hv1", "hv2"], undefined],
    ["the single-host layout", [undefined], undefined],
    ["a block on a host no longer in hosts", ["hv3"], "host-still-used"],
  ] as const)("%s", (_name, blocks, code) => {
    const applied = parseAppliedState(stateWith(blocks), plan.environment.prefix, "s", {
      unsuffixedHost: "hv1",
    });
    const check = () => assertKnownHosts(plan, applied, "environments/lab.ts");
    if (code === undefined) expect(check).not.toThrow();
    else
      expect(check).toThrow(
        expect.objectContaining({ code, where: { file: "environments/lab.ts", path: "hosts" } }),
      );
  });
});
