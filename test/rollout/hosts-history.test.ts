import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type RenderResult, renderEnvironment } from "../../src/render/index.js";
import { RELEASE_NONE, type Release } from "../../src/rollout/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { testRepo } from "../runner/environment-repo.js";
import { writeProviderState } from "./provider-state.js";

/**
 * Several hosts through the real render and an OpenTofu state written as the provider would
 * (provider-state.ts, a STAND-IN for `tofu apply`): a node pinned to another host is a
 * replacement of that node only, released in its own step and held back on its old host until
 * then; an environment that grows from one host to several keeps the first host's machines
 * under new addresses (moved blocks) and rebuilds only what goes to the new host.
 */

const HOSTS = {
  hv1: { uri: "qemu+ssh://core@127.0.0.1/system" },
  hv2: { uri: "qemu+ssh://core@127.0.0.2/system" },
  hv3: { uri: "qemu+ssh://core@127.0.0.3/system" },
};
const base = {
  name: "multi",
  prefix: "multi",
  ssh: { authorizedKeys: [] },
  machine: { type: "qemu" },
  network: { mode: "bridge", bridge: "br0", cidr: "127.0.0.0/24", gateway: "127.0.0.254" },
  servers: { count: 3, vcpu: 2, memoryMiB: 2048, diskGiB: 10 },
  agents: { count: 2, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
};

async function lab(initial: Record<string, unknown>) {
  const repo = await testRepo("multi", "multi", { ...base, ...initial });
  const stateRoot = repo.env.HOMELAB_STATE_DIR!;
  const layout = stateLayout(join(stateRoot, "multi"));
  const write = (value: Record<string, unknown>) =>
    writeFile(
      join(repo.cwd, "environments", "multi.json"),
      `${JSON.stringify({ ...base, ...value }, null, 2)}\n`,
    );
  const render = (release?: Release) =>
    renderEnvironment({
      environment: "multi",
      cwd: repo.cwd,
      home: repo.env.HOME!,
      stateRoot,
      cacheRoot: repo.env.HOMELAB_CACHE_DIR!,
      ...(release ? { release } : {}),
    });
  const apply = (result: RenderResult) => writeProviderState(result.outDir, layout.tofuState);
  const document = async (result: RenderResult) =>
    JSON.parse(await readFile(join(result.outDir, "main.tf.json"), "utf8")) as {
      locals: Record<string, Record<string, unknown>>;
      moved?: { from: string; to: string }[];
    };
  return { write, render, apply, document };
}

const changes = (result: RenderResult) =>
  Object.fromEntries(
    result.rollout.nodes.filter((n) => n.change.kind !== "unchanged").map((n) => [n.name, n.change]),
  );
const hostOf = async (env: Awaited<ReturnType<typeof lab>>, result: RenderResult, node: string) => {
  const locals = (await env.document(result)).locals;
  return Object.keys(locals)
    .find((key) => key.startsWith("nodes_") && node in (locals[key] ?? {}))
    ?.slice(6);
};

describe("several hosts through the rollout (real render, provider state stand-in)", () => {
  it("a node pinned to another host is a replacement of that node only, in its own step", async () => {
    const env = await lab({ hosts: HOSTS });
    const fresh = await env.render();
    await env.apply(fresh);
    const from = fresh.plan.nodes.find((node) => node.name === "multi-agent-1")?.host;
    const to = from === "hv1" ? "hv2" : "hv1";

    await env.write({ hosts: HOSTS, nodes: { "multi-agent-1": { host: to } } });
    const held = await env.render(RELEASE_NONE);
    expect(changes(held)).toEqual({
      "multi-agent-1": { kind: "replace", causes: [{ kind: "host", from, to }] },
    });
    // Held back: still in its old host's blocks, with the Ignition it was built with.
    expect(await hostOf(env, held, "multi-agent-1")).toBe(from);
    for (const [node, ignition] of fresh.ignition) expect(held.ignition.get(node), node).toBe(ignition);

    const step = await env.render();
    expect(step.rollout.released).toEqual(["multi-agent-1"]);
    expect(await hostOf(env, step, "multi-agent-1")).toBe(to);
    await env.apply(step);
    expect(changes(await env.render())).toEqual({});
  });

  it("one host becoming three: the first host's machines move by moved blocks, the others roll onto the new hosts", async () => {
    const env = await lab({});
    const single = await env.render();
    await env.apply(single);
    expect((await env.document(single)).locals.nodes).toBeDefined();

    await env.write({ hosts: HOSTS });
    const grown = await env.render(RELEASE_NONE);
    const placed = Object.fromEntries(grown.plan.nodes.map((node) => [node.name, node.host]));
    const moving = Object.keys(placed).filter((node) => placed[node] !== "hv1");
    expect(Object.keys(changes(grown)).sort()).toEqual(moving.sort());
    for (const node of moving)
      expect(changes(grown)[node]).toEqual({
        kind: "replace",
        causes: [{ kind: "host", from: "hv1", to: placed[node] }],
      });
    const moved = (await env.document(grown)).moved ?? [];
    // Every node stays on hv1 while held back: all of them move to hv1's blocks, nothing is rebuilt.
    for (const node of Object.keys(placed))
      expect(moved).toContainEqual({
        from: `libvirt_domain.node["${node}"]`,
        to: `libvirt_domain.node_hv1["${node}"]`,
      });

    // Roll each step as `homelab apply` would, until nothing is due.
    let steps = 0;
    for (;;) {
      const step = await env.render();
      if (step.rollout.released.length === 0) break;
      expect(step.rollout.released).toHaveLength(1);
      await env.apply(step);
      steps++;
    }
    expect(steps).toBe(moving.length);
    const done = await env.render();
    expect(changes(done)).toEqual({});
    for (const node of Object.keys(placed)) expect(await hostOf(env, done, node)).toBe(placed[node]);
  });
});
