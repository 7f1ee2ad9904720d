import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ClusterPlan } from "../../src/plan/types.js";
import { renderEnvironment } from "../../src/render/index.js";
import { synthesizeTofu, type TfJsonDocument } from "../../src/tofu/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { ignitionOf, planFixture, type SynthesisFixture, synthesisOptions } from "./plan-fixture.js";
import { standInConfig } from "./stand-in.js";
import { plannedChanges, terraform } from "./terraform-runner.js";

/**
 * Real Terraform/OpenTofu plans the synthesized graph with `terraform_data` stand-ins for the
 * libvirt resources (see stand-in.ts for what that does and does not prove): which resources a
 * change touches, by address. The baseline is applied once; every case plans against a copy.
 */

const REPLACE = "delete,create";
const address = (kind: "ignition" | "disk" | "domain", node: string) => {
  const resource = {
    ignition: "libvirt_volume__ignition",
    disk: "libvirt_volume__disk",
    domain: "libvirt_domain__node",
  }[kind];
  return `terraform_data.${resource}[${JSON.stringify(node)}]`;
};
const nodeResources = (node: string, action: string) =>
  Object.fromEntries((["ignition", "disk", "domain"] as const).map((kind) => [address(kind, node), action]));

async function writeConfig(dir: string, plan: ClusterPlan, fixture: SynthesisFixture = {}) {
  await mkdir(join(dir, "ignition"), { recursive: true });
  await writeFile(
    join(dir, "main.tf.json"),
    JSON.stringify(standInConfig(synthesizeTofu(plan, synthesisOptions(plan, fixture))), null, 2),
  );
  for (const [node, generation] of Object.entries(fixture.generations ?? {}))
    await writeFile(join(dir, "ignition", `${node}.ign`), ignitionOf(node, generation));
}

async function writeIgnition(dir: string, plan: ClusterPlan) {
  for (const node of plan.nodes)
    await writeFile(join(dir, "ignition", `${node.name}.ign`), ignitionOf(node.name));
}

const baselinePlan = planFixture({ servers: 1, agents: 2 });
let baseline: string;
const scratch: string[] = [];

async function copyOfBaseline(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "homelab-tofu-case-"));
  scratch.push(dir);
  await cp(baseline, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  baseline = await mkdtemp(join(tmpdir(), "homelab-tofu-baseline-"));
  scratch.push(baseline);
  await writeConfig(baseline, baselinePlan);
  await writeIgnition(baseline, baselinePlan);
  await terraform(baseline, ["init", "-input=false", "-no-color", "-backend=false"]);
  await terraform(baseline, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"]);
});

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

const [server1, agent1, agent2] = baselinePlan.nodes.map((node) => node.name) as [string, string, string];

describeWithTools(["terraform"], "what a change touches (real terraform, terraform_data stand-ins)", () => {
  it.each<[string, (dir: string) => Promise<void>, Record<string, string>]>([
    ["nothing changed (the render directory moved, too): no changes", async () => {}, {}],
    [
      "one node's Ignition changed: that node's Ignition volume, disk and domain are replaced, nothing else",
      async (dir) => writeConfig(dir, baselinePlan, { generations: { [agent1]: 2 } }),
      nodeResources(agent1, REPLACE),
    ],
    [
      "the first server's Ignition changed: only the first server",
      async (dir) => writeConfig(dir, baselinePlan, { generations: { [server1]: 2 } }),
      nodeResources(server1, REPLACE),
    ],
    [
      "a node added: only its three resources are created; network and pool untouched",
      async (dir) => {
        const plan = planFixture({ servers: 1, agents: 3 });
        await writeConfig(dir, plan);
        await writeFile(
          join(dir, "ignition", `${plan.nodes[3]?.name}.ign`),
          ignitionOf(plan.nodes[3]?.name ?? ""),
        );
      },
      nodeResources("k3s-lab-agent-3", "create"),
    ],
    [
      "a node removed: only its three resources are destroyed",
      async (dir) => writeConfig(dir, planFixture({ servers: 1, agents: 1 })),
      nodeResources(agent2, "delete"),
    ],
    [
      "the image cache moved (new flatcar_image default): no changes",
      async (dir) => writeConfig(dir, baselinePlan, { imagePath: "/elsewhere/flatcar.img" }),
      {},
    ],
    [
      "the agents' disk size changed: each agent's disk and domain are replaced, Ignition volumes are not",
      async (dir) => {
        const plan = planFixture({ servers: 1, agents: 2 });
        const bigger = {
          ...plan,
          nodes: plan.nodes.map((n) => (n.role === "agent" ? { ...n, diskGiB: 50 } : n)),
        };
        await writeConfig(dir, bigger);
      },
      {
        [address("disk", agent1)]: REPLACE,
        [address("domain", agent1)]: REPLACE,
        [address("disk", agent2)]: REPLACE,
        [address("domain", agent2)]: REPLACE,
      },
    ],
    [
      "a new Flatcar version for every node at once (synthesis alone, no rollout holding nodes back): " +
        "the new base volume is created, every disk and domain replaced, the old base destroyed",
      async (dir) => writeConfig(dir, baselinePlan, { flatcarVersion: "4230.2.4" }),
      {
        'terraform_data.libvirt_volume__flatcar_base["stable-4230.2.3"]': "delete",
        'terraform_data.libvirt_volume__flatcar_base["stable-4230.2.4"]': "create",
        ...Object.fromEntries(
          baselinePlan.nodes.flatMap((n) => [
            [address("disk", n.name), REPLACE],
            [address("domain", n.name), REPLACE],
          ]),
        ),
      },
    ],
    [
      "a node's memory changed: only its domain, updated in place (the provider restarts it; the disk stays)",
      async (dir) => {
        const plan = planFixture({ servers: 1, agents: 2 });
        const more = {
          ...plan,
          nodes: plan.nodes.map((n) => (n.name === agent2 ? { ...n, memoryMiB: 8192 } : n)),
        };
        await writeConfig(dir, more);
      },
      { [address("domain", agent2)]: "update" },
    ],
  ])("%s", async (_name, change, expected) => {
    const dir = await copyOfBaseline();
    await change(dir);
    const changes = await plannedChanges(dir);
    expect(changes).toEqual(expected);
    // Provider 0.9.7 cannot update a volume in place: every volume change must be a replacement.
    expect(
      Object.entries(changes).filter(([at, action]) => at.includes("libvirt_volume") && action === "update"),
    ).toEqual([]);
  });
});

describeWithTools(["terraform"], "homelab replace <node>", () => {
  it("-replace of a node's disk replaces its domain too (replace_triggered_by), nothing else", async () => {
    const dir = await copyOfBaseline();
    const disk = address("disk", agent1);
    expect(await plannedChanges(dir, [`-replace=${disk}`])).toEqual({
      [disk]: REPLACE,
      [address("domain", agent1)]: REPLACE,
    });
  });
});

describeWithTools(["terraform"], "a rendered environment (the real render, terraform_data stand-ins)", () => {
  const labEnvironment = (agents: number, agentSnippet?: string) => ({
    name: "lab",
    prefix: "lab",
    network: { mode: "nat", cidr: "10.79.0.0/24" },
    servers: { count: 1, vcpu: 2, memoryMiB: 2048, diskGiB: 12 },
    agents: {
      count: agents,
      vcpu: 1,
      memoryMiB: 1024,
      diskGiB: 12,
      ...(agentSnippet ? { snippets: [agentSnippet] } : {}),
    },
    ssh: { authorizedKeys: [] },
  });

  it("re-rendering changes nothing; a new agent adds only its resources; an agent snippet replaces only agents", async () => {
    const cwd = await mkdtemp(join(tmpdir(), "homelab-tofu-rendered-"));
    scratch.push(cwd);
    await mkdir(join(cwd, "environments"));
    const writeEnvironment = (value: object) =>
      writeFile(join(cwd, "environments", "lab.ts"), `export default ${JSON.stringify(value)};\n`);
    const options = {
      environment: "lab",
      cwd,
      home: cwd,
      stateRoot: join(cwd, "state"),
      cacheRoot: join(cwd, "cache"),
    };
    const dataDir = join(cwd, "tf-data");
    const render = async () => {
      const result = await renderEnvironment(options);
      const document = JSON.parse(
        await readFile(join(result.outDir, "main.tf.json"), "utf8"),
      ) as TfJsonDocument;
      await writeFile(
        join(result.outDir, "main.tf.json"),
        JSON.stringify(standInConfig(document, { keepBackend: true })),
      );
      return result.outDir;
    };

    await writeEnvironment(labEnvironment(2));
    const dir = await render();
    await terraform(dir, ["init", "-input=false", "-no-color"], dataDir);
    await terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"], dataDir);
    expect(existsSync(join(options.stateRoot, "lab", "tofu", "terraform.tfstate"))).toBe(true);

    await render();
    expect(await plannedChanges(dir, [], dataDir)).toEqual({});

    await writeEnvironment(labEnvironment(3));
    await render();
    expect(await plannedChanges(dir, [], dataDir)).toEqual(nodeResources("lab-agent-3", "create"));

    // A snippet for every agent changes both agents' Ignition, but a render releases one rebuild
    // per step (src/rollout): agent 1 now, agent 2 once agent 1 is applied, then nothing.
    const snippet =
      "variant: flatcar\nversion: 1.0.0\nstorage:\n  files:\n    - path: /etc/agent-marker\n      contents:\n        inline: agent\n";
    await writeEnvironment(labEnvironment(2, snippet));
    await render();
    expect(await plannedChanges(dir, [], dataDir)).toEqual(nodeResources("lab-agent-1", REPLACE));
    await terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"], dataDir);
    await render();
    expect(await plannedChanges(dir, [], dataDir)).toEqual(nodeResources("lab-agent-2", REPLACE));
    await terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"], dataDir);
    await render();
    expect(await plannedChanges(dir, [], dataDir)).toEqual({});
  });
});
