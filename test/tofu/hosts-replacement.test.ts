import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ClusterPlan } from "../../src/plan/types.js";
import { hostLayout } from "../../src/render/host-layout.js";
import { parseAppliedState } from "../../src/rollout/index.js";
import { nodeAddresses, synthesizeTofu, type TfMoved } from "../../src/tofu/index.js";
import { describeWithTools } from "../support/real-tools.js";
import { ignitionOf, planFixture, type SynthesisFixture, synthesisOptions } from "./plan-fixture.js";
import { standInConfig } from "./stand-in.js";
import { plannedChanges, terraform } from "./terraform-runner.js";

/**
 * Several hosts, planned by real Terraform with `terraform_data` STAND-INS for the libvirt
 * resources (stand-in.ts): a node that moves to another host leaves one host's blocks and
 * appears in the other's — its three resources are replaced, nothing else — and a host that
 * loses its last node loses its pool, base image and artifact volume with it.
 */

const REPLACE = "delete,create";
const standIn = (address: string) => address.replace(/^(libvirt_[a-z]+)\./, "terraform_data.$1__");
const nodeResources = (node: string, host: string, action: string) =>
  Object.fromEntries(
    Object.values(nodeAddresses(node, host || undefined)).map((address) => [standIn(address), action]),
  );

const HOSTS = ["hv1", "hv2", "hv3"];
const server = (n: number) => `k3s-lab-server-${n}`;
const agent = (n: number) => `k3s-lab-agent-${n}`;
const BASE_HOSTS = {
  [server(1)]: "hv1",
  [server(2)]: "hv2",
  [server(3)]: "hv3",
  [agent(1)]: "hv3",
  [agent(2)]: "hv1",
};
const hostPlan = (hostOf: Record<string, string> = BASE_HOSTS, hosts = HOSTS) =>
  planFixture({ mode: "bridge", servers: 3, agents: 2, hosts, hostOf });

async function writeConfig(
  dir: string,
  plan: ClusterPlan,
  fixture: SynthesisFixture = { artifacts: true },
  moved: TfMoved[] = [],
) {
  await mkdir(join(dir, "ignition"), { recursive: true });
  const document = synthesizeTofu(plan, { ...synthesisOptions(plan, fixture), moved });
  await writeFile(join(dir, "main.tf.json"), JSON.stringify(standInConfig(document), null, 2));
  for (const node of plan.nodes)
    await writeFile(
      join(dir, "ignition", `${node.name}.ign`),
      ignitionOf(node.name, fixture.generations?.[node.name] ?? 1),
    );
}

let baseline: string;
const scratch: string[] = [];
async function copyOfBaseline(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "homelab-hosts-case-"));
  scratch.push(dir);
  await cp(baseline, dir, { recursive: true });
  return dir;
}

beforeAll(async () => {
  baseline = await mkdtemp(join(tmpdir(), "homelab-hosts-baseline-"));
  scratch.push(baseline);
  await writeConfig(baseline, hostPlan());
  await terraform(baseline, ["init", "-input=false", "-no-color", "-backend=false"]);
  await terraform(baseline, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"]);
});

afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describeWithTools(["terraform"], "several hosts (real terraform, terraform_data stand-ins)", () => {
  it.each<[string, (dir: string) => Promise<void>, Record<string, string>]>([
    ["nothing changed: no changes", async () => {}, {}],
    [
      "an agent pinned to another host: its three resources leave hv3 and appear on hv1, nothing else",
      (dir) => writeConfig(dir, hostPlan({ ...BASE_HOSTS, [agent(1)]: "hv1" })),
      { ...nodeResources(agent(1), "hv3", "delete"), ...nodeResources(agent(1), "hv1", "create") },
    ],
    [
      "one node's Ignition changed on hv2: that node only, in hv2's blocks",
      (dir) => writeConfig(dir, hostPlan(), { artifacts: true, generations: { [server(2)]: 2 } }),
      nodeResources(server(2), "hv2", REPLACE),
    ],
    [
      "a host's last node moves away: the host's pool, base image and artifact volume go with it",
      async (dir) => {
        const two = { ...BASE_HOSTS, [server(2)]: "hv1" };
        await writeConfig(dir, hostPlan(two));
      },
      {
        ...nodeResources(server(2), "hv2", "delete"),
        ...nodeResources(server(2), "hv1", "create"),
        "terraform_data.libvirt_pool__cluster_hv2": "delete",
        'terraform_data.libvirt_volume__flatcar_base_hv2["stable-4230.2.3"]': "delete",
        'terraform_data.libvirt_volume__artifacts_hv2["a1b2c3d4e5f6"]': "delete",
      },
    ],
    [
      "a host appended with a node on it: its pool, base image and artifact volume are created with the node",
      (dir) => writeConfig(dir, hostPlan({ ...BASE_HOSTS, [agent(2)]: "hv4" }, [...HOSTS, "hv4"])),
      {
        ...nodeResources(agent(2), "hv1", "delete"),
        ...nodeResources(agent(2), "hv4", "create"),
        "terraform_data.libvirt_pool__cluster_hv4": "create",
        'terraform_data.libvirt_volume__flatcar_base_hv4["stable-4230.2.3"]': "create",
        'terraform_data.libvirt_volume__artifacts_hv4["a1b2c3d4e5f6"]': "create",
      },
    ],
    [
      "a new artifact content with the Ignition it changes (synthesis alone): a new volume per host, every node rebuilt, the old volumes gone",
      (dir) =>
        writeConfig(dir, hostPlan(), {
          artifacts: true,
          artifactKey: "0123456789ab",
          generations: Object.fromEntries(Object.keys(BASE_HOSTS).map((node) => [node, 2])),
        }),
      {
        ...Object.fromEntries(
          HOSTS.flatMap((host) => [
            [`terraform_data.libvirt_volume__artifacts_${host}["a1b2c3d4e5f6"]`, "delete"],
            [`terraform_data.libvirt_volume__artifacts_${host}["0123456789ab"]`, "create"],
          ]),
        ),
        ...Object.assign(
          {},
          ...Object.entries(BASE_HOSTS).map(([node, host]) => nodeResources(node, host, REPLACE)),
        ),
      },
    ],
  ])("%s", async (_name, change, expected) => {
    const dir = await copyOfBaseline();
    await change(dir);
    const changes = await plannedChanges(dir);
    expect(changes).toEqual(expected);
    expect(
      Object.entries(changes).filter(([at, action]) => at.includes("libvirt_volume") && action === "update"),
    ).toEqual([]);
  });

  it("one host becoming several: moved blocks keep the first host's machines, nothing is rebuilt there", async () => {
    const dir = await mkdtemp(join(tmpdir(), "homelab-hosts-migrate-"));
    scratch.push(dir);
    const single = planFixture({ mode: "bridge", servers: 1, agents: 2 });
    await writeConfig(dir, single);
    await terraform(dir, ["init", "-input=false", "-no-color", "-backend=false"]);
    await terraform(dir, ["apply", "-input=false", "-no-color", "-auto-approve", "-lock=false"]);

    // The old single host is hv1 now; agent 2 goes to the new hv2.
    const hostOf = { [server(1)]: "hv1", [agent(1)]: "hv1", [agent(2)]: "hv2" };
    const multi = planFixture({ mode: "bridge", servers: 1, agents: 2, hosts: ["hv1", "hv2"], hostOf });
    const moved: TfMoved[] = [
      { from: "libvirt_pool.cluster", to: "libvirt_pool.cluster_hv1" },
      {
        from: 'libvirt_volume.flatcar_base["stable-4230.2.3"]',
        to: 'libvirt_volume.flatcar_base_hv1["stable-4230.2.3"]',
      },
      {
        from: 'libvirt_volume.artifacts["a1b2c3d4e5f6"]',
        to: 'libvirt_volume.artifacts_hv1["a1b2c3d4e5f6"]',
      },
      ...[server(1), agent(1)].flatMap((node) => {
        const [from, to] = [nodeAddresses(node), nodeAddresses(node, "hv1")];
        return [
          { from: from.ignition, to: to.ignition },
          { from: from.disk, to: to.disk },
          { from: from.domain, to: to.domain },
        ];
      }),
    ];
    // homelab computes the same moves from the state the first apply left.
    const applied = parseAppliedState(
      await readFile(join(dir, "terraform.tfstate"), "utf8"),
      multi.environment.prefix,
      "terraform.tfstate",
      { unsuffixedHost: "hv1" },
    );
    const layout = hostLayout(
      multi,
      applied,
      synthesizeTofu(multi, synthesisOptions(multi, { artifacts: true })),
    );
    expect(new Set(layout.moved.map((m) => `${m.from} -> ${m.to}`))).toEqual(
      new Set(moved.map((m) => `${m.from} -> ${m.to}`)),
    );
    expect(layout.stateProviders).toEqual({ unaliased: true, aliases: [] });
    await writeConfig(dir, multi, { artifacts: true }, [...layout.moved]);
    expect(await plannedChanges(dir)).toEqual({
      ...nodeResources(agent(2), "", "delete"),
      ...nodeResources(agent(2), "hv2", "create"),
      "terraform_data.libvirt_pool__cluster_hv2": "create",
      'terraform_data.libvirt_volume__flatcar_base_hv2["stable-4230.2.3"]': "create",
      'terraform_data.libvirt_volume__artifacts_hv2["a1b2c3d4e5f6"]': "create",
    });
  });
});
