import { type EnvironmentInput, EnvironmentSchema } from "../../src/environment/schema.js";
import type { HostPlan } from "../../src/placement/types.js";
import type { ClusterPlan, NodePlan, NodeRole } from "../../src/plan/types.js";
import {
  baseImageKey,
  baseVolumeName,
  diskVolumeName,
  ignitionVolumeName,
  type TofuSynthesisOptions,
} from "../../src/tofu/index.js";

/**
 * Hand-built cluster plans for the synthesis tests: they depend only on the `ClusterPlan`
 * contract, not on the planner, so a planner change cannot hide a synthesis regression.
 */
export interface PlanFixtureOptions {
  readonly name?: string;
  readonly servers?: number;
  readonly agents?: number;
  readonly mode?: "nat" | "bridge";
  readonly existingPool?: boolean;
  readonly machine?: "kvm" | "qemu";
  readonly domain?: string;
  /** Third octet of 192.168.X.0/24. */
  readonly subnet?: number;
  readonly diskGiB?: number;
  /**
   * Host names (URIs `qemu+ssh://<name>/system`, bridge br0); two or more make a multi-host
   * plan. Nodes go round-robin in plan order unless `hostOf` names their host.
   */
  readonly hosts?: readonly string[];
  readonly hostOf?: Readonly<Record<string, string>>;
}

function mac(role: NodeRole, index: number, subnet: number): string {
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  return `52:54:00:${hex(subnet)}:${role === "server" ? "0a" : "14"}:${hex(index)}`;
}

export function planFixture(options: PlanFixtureOptions = {}): ClusterPlan {
  const name = options.name ?? "lab";
  const subnet = options.subnet ?? 140;
  const mode = options.mode ?? "nat";
  const input: EnvironmentInput = {
    name,
    prefix: `k3s-${name}`,
    network:
      mode === "nat"
        ? { mode, cidr: `192.168.${subnet}.0/24`, ...(options.domain ? { domain: options.domain } : {}) }
        : { mode, cidr: `192.168.${subnet}.0/24`, bridge: "br0" },
    pool: options.existingPool ? { name: "default", existing: true } : {},
    machine: { type: options.machine ?? "kvm" },
    servers: { count: options.servers ?? 1, vcpu: 2, memoryMiB: 2048, diskGiB: options.diskGiB ?? 20 },
    agents: { count: options.agents ?? 2, vcpu: 2, memoryMiB: 3072, diskGiB: options.diskGiB ?? 30 },
    ssh: {
      authorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFixtureKeyForTestsOnly0000000000000 test"],
    },
  };
  const hostNames = options.hosts ?? [];
  if (hostNames.length > 0)
    (input as { hosts?: unknown }).hosts = Object.fromEntries(
      hostNames.map((host) => [host, { uri: `qemu+ssh://${host}/system` }]),
    );
  const environment = EnvironmentSchema.parse(input);
  const poolPlan = options.existingPool
    ? { name: "default", existing: true }
    : { name: environment.prefix, path: `/var/lib/libvirt/homelab/${environment.prefix}`, existing: false };
  const hosts: HostPlan[] =
    hostNames.length === 0
      ? [
          {
            name: "default",
            uri: environment.libvirt.uri,
            pool: poolPlan,
            ...(mode === "bridge" ? { bridge: "br0" } : {}),
            position: 0,
            implicit: true,
          },
        ]
      : hostNames.map((host, position) => ({
          name: host,
          uri: `qemu+ssh://${host}/system`,
          pool: poolPlan,
          bridge: "br0",
          position,
          implicit: false,
        }));
  let placed = 0;
  const hostFor = (name: string) =>
    options.hostOf?.[name] ?? hosts[placed++ % hosts.length]?.name ?? "default";
  const nodes: NodePlan[] = [];
  const add = (role: NodeRole, count: number, firstHost: number, memoryMiB: number, diskGiB: number) => {
    for (let index = 1; index <= count; index++) {
      nodes.push({
        name: `${environment.prefix}-${role}-${index}`,
        role,
        index,
        address: `192.168.${subnet}.${firstHost + index - 1}`,
        mac: mac(role, index, subnet),
        vcpu: 2,
        memoryMiB,
        diskGiB,
        clusterInit: role === "server" && index === 1,
        labels: [`node-type=${role}`],
        taints: [],
        snippets: [],
        host: hostFor(`${environment.prefix}-${role}-${index}`),
      });
    }
  };
  add("server", environment.servers.count, 10, environment.servers.memoryMiB, environment.servers.diskGiB);
  add("agent", environment.agents.count, 20, environment.agents.memoryMiB, environment.agents.diskGiB);
  const firstServer = nodes[0];
  if (!firstServer) throw new Error("fixture needs a server");
  return {
    environment,
    nodes,
    firstServer,
    network: {
      mode,
      cidr: `192.168.${subnet}.0/24`,
      networkAddress: `192.168.${subnet}.0`,
      prefixLength: 24,
      netmask: "255.255.255.0",
      gateway: `192.168.${subnet}.1`,
      dns: [`192.168.${subnet}.1`],
      ...(options.domain ? { domain: options.domain } : {}),
      ...(mode === "nat" ? { libvirtNetworkName: `${environment.prefix}-net` } : { bridge: "br0" }),
      registrationAddress: `192.168.${subnet}.9`,
      dhcpRange:
        mode === "nat" ? { start: `192.168.${subnet}.100`, end: `192.168.${subnet}.199` } : undefined,
      loadBalancerRange: { start: `192.168.${subnet}.200`, end: `192.168.${subnet}.250` },
    },
    pool: poolPlan,
    hosts,
    multiHost: hosts.length > 1,
    warnings: [],
  };
}

const STATE_PATH = "/home/user/.local/state/homelab/lab/tofu/terraform.tfstate";
const IMAGE_PATH = "/home/user/.cache/homelab/flatcar/stable/4230.2.3/flatcar_production_qemu_image.img";

/** A stand-in Ignition file of a node (its generation changes its bytes, as a changed config would). */
export function ignitionOf(node: string, generation = 1): string {
  return `${JSON.stringify({ ignition: { version: "3.3.0" }, node, generation })}\n`;
}

export interface SynthesisFixture {
  /** Ignition generation per node (default 1), see `ignitionOf`. */
  readonly generations?: Readonly<Record<string, number>>;
  readonly flatcarVersion?: string;
  readonly imagePath?: string;
  /**
   * Attach an artifact volume: to every node (true), or to all but these nodes (a list: machines
   * built before the volume existed, held back by the rollout). `artifactKey` names its content.
   */
  readonly artifacts?: boolean | readonly string[];
  readonly artifactKey?: string;
}

/** The artifact volume of a fixture (a stand-in key; the cache path is never read). */
export function fixtureArtifactVolume(prefix: string, key = "a1b2c3d4e5f6") {
  return {
    key,
    volumeName: `${prefix}-artifacts-${key}.tar`,
    sourcePath: `/home/user/.cache/homelab/artifacts/volumes/${key}${"0".repeat(52)}.tar`,
    current: true,
  };
}

/**
 * Synthesis options for a plan as a first render would make them: every node with the facts of
 * the environment (nothing applied yet, nothing held back by a rollout).
 */
export function synthesisOptions(plan: ClusterPlan, fixture: SynthesisFixture = {}): TofuSynthesisOptions {
  const key = baseImageKey("stable", fixture.flatcarVersion ?? "4230.2.3");
  const artifacts = fixture.artifacts ?? false;
  const volume = fixtureArtifactVolume(plan.environment.prefix, fixture.artifactKey);
  const attached = (name: string) =>
    artifacts === true || (Array.isArray(artifacts) && !artifacts.includes(name));
  return {
    statePath: STATE_PATH,
    ...(artifacts === false ? {} : { artifactVolumes: [volume] }),
    nodes: plan.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      ignitionVolume: ignitionVolumeName(
        node.name,
        ignitionOf(node.name, fixture.generations?.[node.name] ?? 1),
      ),
      diskVolume: diskVolumeName(node.name, node.diskGiB, key),
      diskBytes: node.diskGiB * 1024 ** 3,
      baseImage: key,
      vcpu: node.vcpu,
      memoryKiB: node.memoryMiB * 1024,
      mac: node.mac,
      host: node.host,
      ...(attached(node.name) ? { artifactVolume: volume.key } : {}),
    })),
    baseImages: [
      {
        key,
        volumeName: baseVolumeName(plan.environment.prefix, key),
        imagePath: fixture.imagePath ?? IMAGE_PATH,
        current: true,
      },
    ],
  };
}
