import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type RenderResult, renderEnvironment } from "../../src/render/index.js";
import {
  parseFirstBootRecord,
  RELEASE_NONE,
  type Release,
  serializeFirstBootRecord,
  withPreparedRestore,
} from "../../src/rollout/index.js";
import { stateLayout } from "../../src/state/layout.js";
import { ignitionFileContents } from "../nodes/fixtures.js";
import { testRepo } from "../runner/environment-repo.js";
import { writeProviderState } from "./provider-state.js";

/**
 * One environment through its life — new, applied, a server added, an agent added, the first
 * server rebuilt, the only server rebuilt from a snapshot, a Flatcar pin changed — rendered at
 * every point with the real render and an OpenTofu state written as the provider would (see
 * provider-state.ts). Each row says which nodes' Ignition changes (only the node touched), how
 * each machine starts k3s, and that a rebuilt node keeps its identity.
 */

const environment = (servers: number, agents: number, extra: Record<string, unknown> = {}) => ({
  network: { mode: "nat", cidr: "10.80.0.0/24" },
  servers: { count: servers, vcpu: 2, memoryMiB: 2048, diskGiB: 10 },
  agents: { count: agents, vcpu: 1, memoryMiB: 1024, diskGiB: 10 },
  ...extra,
});

async function history(servers: number, agents: number) {
  const repo = await testRepo("life", "life", environment(servers, agents));
  const stateRoot = repo.env.HOMELAB_STATE_DIR!;
  const layout = stateLayout(join(stateRoot, "life"));
  const write = (value: object) =>
    writeFile(
      join(repo.cwd, "environments", "life.json"),
      `${JSON.stringify({ name: "life", prefix: "life", ssh: { authorizedKeys: [] }, machine: { type: "qemu" }, ...value }, null, 2)}\n`,
    );
  const render = (release?: Release, requested?: string[]) =>
    renderEnvironment({
      environment: "life",
      cwd: repo.cwd,
      home: repo.env.HOME!,
      stateRoot,
      cacheRoot: repo.env.HOMELAB_CACHE_DIR!,
      ...(release ? { release } : {}),
      ...(requested ? { requested } : {}),
    });
  /** Applies a render as the provider would (the stand-in state writer). */
  const apply = (result: RenderResult) => writeProviderState(result.outDir, layout.tofuState);
  return { write, render, apply, layout };
}

function config(result: RenderResult, node: string): Record<string, unknown> {
  const ignition = result.ignition.get(node);
  if (!ignition) throw new Error(`no Ignition for ${node}`);
  return parse(ignitionFileContents(ignition, "/etc/rancher/k3s/config.yaml") ?? "") as Record<
    string,
    unknown
  >;
}

function password(result: RenderResult, node: string): string | undefined {
  return ignitionFileContents(result.ignition.get(node) ?? "{}", "/etc/rancher/node/password");
}

const changes = (result: RenderResult) =>
  Object.fromEntries(
    result.rollout.nodes.filter((n) => n.change.kind !== "unchanged").map((n) => [n.name, n.change.kind]),
  );

const VIP = "https://10.80.0.9:6443";

describe("an environment through its life (real render, provider state stand-in)", () => {
  it("bootstraps once with the first server; every other machine, the rebuilt first server too, joins", async () => {
    const life = await history(3, 1);
    const fresh = await life.render();
    expect(changes(fresh)).toEqual({
      "life-server-1": "create",
      "life-server-2": "create",
      "life-server-3": "create",
      "life-agent-1": "create",
    });
    expect(config(fresh, "life-server-1")).toMatchObject({ "cluster-init": true, "tls-san": ["10.80.0.9"] });
    expect(config(fresh, "life-server-1").server).toBeUndefined();
    for (const node of ["life-server-2", "life-server-3", "life-agent-1"]) {
      expect(config(fresh, node).server).toBe(VIP);
      expect(config(fresh, node)["cluster-init"]).toBeUndefined();
    }
    await life.apply(fresh);

    // Applied: nothing changes, and the first server's machine is still the one that bootstrapped.
    const again = await life.render();
    expect(changes(again)).toEqual({});
    expect(again.rollout.nodes.find((n) => n.name === "life-server-1")?.current).toEqual({
      kind: "bootstrap",
    });
    expect(again.ignition).toEqual(fresh.ignition);

    // A fourth server and a second agent: only they appear; no other node's Ignition changes.
    await life.write(environment(4, 2));
    const grown = await life.render();
    expect(changes(grown)).toEqual({ "life-server-4": "create", "life-agent-2": "create" });
    for (const [node, ignition] of fresh.ignition) expect(grown.ignition.get(node), node).toBe(ignition);
    expect(config(grown, "life-server-4").server).toBe(VIP);
    await life.apply(grown);

    // Rebuilding the first server: its new machine joins through the registration address, with
    // the same node password; nothing else changes.
    const rebuild = await life.render({ kind: "nodes", names: ["life-server-1"] }, ["life-server-1"]);
    expect(changes(rebuild)).toEqual({ "life-server-1": "replace" });
    expect(rebuild.rollout.released).toEqual(["life-server-1"]);
    expect(config(rebuild, "life-server-1").server).toBe(VIP);
    expect(config(rebuild, "life-server-1")["cluster-init"]).toBeUndefined();
    expect(password(rebuild, "life-server-1")).toBe(password(fresh, "life-server-1"));
    expect(password(rebuild, "life-server-1")).toMatch(/^[0-9a-f]{32}$/);
    await life.apply(rebuild);

    // Bootstrap only once: after the rebuild, the first server stays a joiner for good.
    const after = await life.render();
    expect(changes(after)).toEqual({});
    expect(after.rollout.nodes.find((n) => n.name === "life-server-1")?.current).toEqual({ kind: "join" });
  });

  it("the only server is rebuilt from a snapshot: never released by a render alone, restored when prepared", async () => {
    const life = await history(1, 2);
    const fresh = await life.render();
    await life.apply(fresh);
    const requested = await life.render(undefined, ["life-server-1"]);
    const server = requested.rollout.nodes.find((n) => n.name === "life-server-1");
    expect(server?.change.kind).toBe("replace");
    expect(server?.blocked).toMatch(/only server/);
    expect(requested.rollout.released).toEqual([]);
    await expect(
      life.render({ kind: "nodes", names: ["life-server-1"] }, ["life-server-1"]),
    ).rejects.toMatchObject({
      code: "replace-refused",
    });

    const sha = "ab".repeat(32);
    const record = parseFirstBootRecord(undefined, life.layout.firstBootRecord);
    await writeFile(
      life.layout.firstBootRecord,
      serializeFirstBootRecord(withPreparedRestore(record, "life-server-1", sha)),
    );
    const restore = await life.render({ kind: "nodes", names: ["life-server-1"] }, ["life-server-1"]);
    expect(restore.rollout.released).toEqual(["life-server-1"]);
    const ignition = restore.ignition.get("life-server-1") ?? "";
    expect(config(restore, "life-server-1")["cluster-init"]).toBe(true);
    expect(ignitionFileContents(ignition, "/etc/homelab/k3s-restore.env")).toContain(
      `SNAPSHOT_SHA256=${sha}`,
    );
    expect(ignition).toContain("homelab-k3s-restore.service");
    expect(password(restore, "life-server-1")).toBe(password(fresh, "life-server-1"));
    await life.apply(restore);
    // The restored machine's Ignition is reproduced from the record: nothing is due afterwards.
    const after = await life.render();
    expect(changes(after)).toEqual({});
    expect(after.rollout.nodes[0]?.current).toEqual({ kind: "restore", snapshotSha256: sha });
  });

  it("a new Flatcar pin moves one node per render step; the old base volume stays until its last node", async () => {
    const life = await history(1, 2);
    await life.apply(await life.render());
    // Pin a new release through the environment.
    await life.write({ ...environment(1, 2), flatcar: { channel: "stable", version: "4802.0.0" } });
    const steps: string[][] = [];
    for (let i = 0; i < 5; i++) {
      const step = await life.render();
      const document = JSON.parse(await readFile(join(step.outDir, "main.tf.json"), "utf8"));
      const bases = Object.keys(document.locals.base_images);
      steps.push([...step.rollout.released, ...bases]);
      if (step.rollout.released.length === 0) break;
      await life.apply(step);
    }
    expect(steps).toEqual([
      ["life-agent-1", "stable-4757.2.1", "stable-4802.0.0"],
      ["life-agent-2", "stable-4757.2.1", "stable-4802.0.0"],
      // The only server: blocked (it needs a snapshot and a restore, which only `homelab apply` does).
      ["stable-4757.2.1", "stable-4802.0.0"],
    ]);
  });

  it("a vCPU change restarts the node in its own step; a creation-only step releases nothing", async () => {
    const life = await history(1, 2);
    await life.apply(await life.render());
    await life.write(environment(1, 2, { nodes: { "life-agent-2": { vcpu: 4 } } }));
    const step = await life.render(RELEASE_NONE);
    expect(changes(step)).toEqual({ "life-agent-2": "in-place" });
    expect(step.rollout.order).toEqual(["life-agent-2"]);
    expect(step.rollout.released).toEqual([]);
  });
});
