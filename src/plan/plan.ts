import type { Environment, NodeOverride, Snippet } from "../environment/schema.js";
import { didYouMean } from "../environment/suggest.js";
import { type ErrorCode, HomelabError } from "../errors/index.js";
import { checkK3sConfig, managedKeyField } from "../k3s/index.js";
import { resolvePool } from "../placement/hosts.js";
import { placeNodes } from "../placement/place.js";
import { updateStrategy } from "../reboots/strategy.js";
import { kuredSchedule } from "../reboots/window.js";
import { planAddressing } from "./addressing.js";
import {
  formatIpv4,
  hostAddress,
  type Ipv4Network,
  isHostAddress,
  netmask,
  overlaps,
  parseCidr,
  parseIpv4,
} from "./ipv4.js";
import { deriveMac } from "./mac.js";
import type { ClusterPlan, NetworkPlan, NodePlan, NodeRole, PlanWarning, ResolvedSnippet } from "./types.js";

/** Memory k3s needs per role, in MiB (docs.k3s.io/installation/requirements: server 2 GB, agent 512 MB). */
export const MINIMUM_MEMORY_MIB: Readonly<Record<NodeRole, number>> = { server: 2048, agent: 512 };

/** libvirt's own NAT network on most hosts; a second network on it breaks both. */
export const LIBVIRT_DEFAULT_NETWORK = "192.168.122.0/24";

/** Another environment of the same repository, to check that the two can run side by side. */
export interface SiblingEnvironment {
  readonly file: string;
  readonly environment: Environment;
}

export interface PlanOptions {
  /** The environment file as the user would type it; every error names it. */
  readonly file: string;
  /** Text of `{ path }` snippets by absolute path (`LoadedEnvironment.snippetSources`). */
  readonly snippetSources?: ReadonlyMap<string, string>;
  /** Other environments (e.g. the rest of environments/); networks and prefixes must not clash. */
  readonly siblings?: readonly SiblingEnvironment[];
}

/** A problem found while planning: a field path (array form, for locating) and what to do. */
export interface PlanProblem {
  readonly code: ErrorCode;
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly fix: string;
}

/** Thrown by planCluster: a HomelabError that also carries the problems with array paths. */
export class PlanError extends HomelabError {
  readonly problems: readonly PlanProblem[];
  constructor(file: string, problems: readonly PlanProblem[]) {
    const [first] = problems;
    if (!first) throw new RangeError("PlanError needs at least one problem");
    const pathText = (p: PlanProblem) => formatPath(p.path);
    super(
      first.code,
      problems.length === 1 ? first.message : `${first.message} (and ${problems.length - 1} more problems)`,
      {
        where: { file, path: pathText(first) },
        fix: first.fix,
        details:
          problems.length === 1
            ? []
            : problems.map((p) => ({
                message: `[${p.code}] ${p.message}`,
                where: { file, path: pathText(p) },
              })),
      },
    );
    this.problems = problems;
  }
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map(String).join(".");
}

interface DraftNode {
  name: string;
  role: NodeRole;
  index: number;
  address: number;
  addressPath: (string | number)[];
  mac: string;
  macPath: (string | number)[] | undefined;
  vcpu: number;
  memoryMiB: number;
  memoryPath: (string | number)[];
  diskGiB: number;
  labels: string[];
  taints: string[];
  snippets: ResolvedSnippet[];
}

/**
 * Resolves an environment into concrete nodes: names, addresses, MACs, sizes, labels,
 * snippets. Pure: no I/O, same input, same plan. Refuses, with every problem at once, what
 * could not work: no server, names that are not DNS labels, addresses outside the network or
 * shared, networks that overlap libvirt's default, the k3s pod/service networks or another
 * environment, memory below k3s's minimum, k3s config keys the role does not accept, and
 * overrides for nodes that do not exist. Warns about an even number of servers.
 */
export function planCluster(environment: Environment, options: PlanOptions): ClusterPlan {
  const problems: PlanProblem[] = [];
  const warnings: PlanWarning[] = [];
  const problem = (code: ErrorCode, path: (string | number)[], message: string, fix: string) =>
    problems.push({ code, path, message, fix });

  if (environment.servers.count < 1) {
    problem(
      "env-no-server",
      ["servers", "count"],
      "the environment has no server: k3s needs at least one",
      "Set servers.count to 1 (or 3 for a highly available control plane).",
    );
  } else if (environment.servers.count % 2 === 0) {
    warnings.push({
      message:
        `${environment.servers.count} servers: etcd needs a majority, so an even number tolerates no more ` +
        `failures than ${environment.servers.count - 1} — use an odd number`,
      where: { file: options.file, path: "servers.count" },
    });
  }

  checkUpdates(environment, problem);
  if (environment.offline && environment.gitops) {
    // The volume carries Flux's install manifest, not the images of its controllers (homelab
    // cannot know them without the manifest) nor the repository.
    warnings.push({
      message:
        `offline with gitops: Flux's install manifest comes from the artifact volume, but its controllers run images ` +
        `from ghcr.io and Flux clones ${environment.gitops.url}. Serve both from the LAN (a registry mirror in k3s's ` +
        "registries.yaml, a Git server), or leave gitops out",
      where: { file: options.file, path: "gitops" },
    });
  }

  const network = planNetwork(environment, problem, options.siblings ?? []);
  const pool = resolvePool(environment.pool, environment.prefix, ["pool"], problems);
  const nodes = draftNodes(environment, network, options, problem);
  checkOverrides(environment, nodes, problem);
  const placement = placeNodes(environment, nodes);
  for (const found of placement.problems) {
    // A pin for a node that does not exist is reported once, by checkOverrides, at nodes.<name>.
    const [first, name, field] = found.path;
    const missingNode = first === "nodes" && field === "host" && !nodes.some((node) => node.name === name);
    if (!missingNode) problems.push(found);
  }
  for (const warning of placement.warnings)
    warnings.push({
      message: `${warning.message}. ${warning.fix}`,
      where: { file: options.file, path: formatPath(warning.path) },
    });
  checkUniqueness(nodes, problem);
  checkMemory(nodes, problem);
  checkK3sExtras(environment, problem);
  checkSiblings(environment, options.siblings ?? [], options.file, warnings);
  const addressing = planAddressing(environment, network.range, network.gateway, nodes, problem);

  if (problems.length > 0 || !addressing) throw new PlanError(options.file, problems);

  const planned: NodePlan[] = nodes.map((node) => ({
    name: node.name,
    role: node.role,
    index: node.index,
    address: formatIpv4(node.address),
    mac: node.mac,
    vcpu: node.vcpu,
    memoryMiB: node.memoryMiB,
    diskGiB: node.diskGiB,
    clusterInit: node.role === "server" && node.index === 1,
    labels: node.labels,
    taints: node.taints,
    snippets: node.snippets,
    host: placement.hostOf.get(node.name) ?? placement.hosts[0]?.name ?? "",
  }));
  const firstServer = planned.find((node) => node.clusterInit);
  if (!firstServer) throw new HomelabError("internal", "a plan without a first server passed validation");
  return {
    environment,
    nodes: planned,
    firstServer,
    network: { ...network.plan, ...addressing },
    // The first host's pool is the single-host layout's one pool (its own, or the environment's).
    pool: placement.hosts[0]?.pool ?? pool,
    hosts: placement.hosts,
    multiHost: placement.multiHost,
    warnings,
  };
}

type Report = (code: ErrorCode, path: (string | number)[], message: string, fix: string) => void;

interface PlannedNetwork {
  /** Everything but the addressing (registration address, ranges), planned once nodes are. */
  readonly plan: Omit<NetworkPlan, "registrationAddress" | "dhcpRange" | "loadBalancerRange">;
  readonly range: Ipv4Network;
  readonly gateway: number;
}

/**
 * A /24 that overlaps nothing known: libvirt's default network, the other environments, the
 * k3s pod and service networks. Searched from 192.168.140.0/24 (where the shipped environments
 * start) upwards, then the rest of 192.168.x and 10.100.x; undefined only if all are taken.
 */
export function freeNetwork(
  environment: Environment,
  siblings: readonly SiblingEnvironment[],
): string | undefined {
  const taken: Ipv4Network[] = [parseCidr(LIBVIRT_DEFAULT_NETWORK)];
  for (const cidr of [environment.k3s.clusterCidr, environment.k3s.serviceCidr]) taken.push(parseCidr(cidr));
  for (const sibling of siblings) {
    if (sibling.environment.name === environment.name) continue;
    try {
      taken.push(parseCidr(sibling.environment.network.cidr));
    } catch {
      // A sibling with an unusable network takes nothing.
    }
  }
  const candidates = [
    ...Array.from({ length: 116 }, (_, i) => `192.168.${140 + i}.0/24`),
    ...Array.from({ length: 140 }, (_, i) => `192.168.${i}.0/24`),
    ...Array.from({ length: 256 }, (_, i) => `10.100.${i}.0/24`),
  ];
  return candidates.find((cidr) => !taken.some((other) => overlaps(parseCidr(cidr), other)));
}

function planNetwork(
  environment: Environment,
  problem: Report,
  siblings: readonly SiblingEnvironment[],
): PlannedNetwork {
  const { network: input, k3s } = environment;
  const range = parseCidr(input.cidr);
  if (range.cidr !== input.cidr) {
    problem(
      "env-invalid",
      ["network", "cidr"],
      `${input.cidr} has host bits set; the network is ${range.cidr}`,
      `Write cidr: "${range.cidr}".`,
    );
  }
  if (range.prefixLength > 29) {
    problem(
      "env-invalid",
      ["network", "cidr"],
      `${input.cidr} is too small for a cluster (a /29 holds 6 hosts)`,
      "Use a /24 such as 192.168.140.0/24.",
    );
  }
  const gateway = input.gateway === undefined ? hostAddress(range, 1) : parseIpv4(input.gateway);
  if (input.gateway !== undefined && !isHostAddress(range, gateway)) {
    problem(
      "env-address-outside-network",
      ["network", "gateway"],
      `gateway ${input.gateway} is not a host address of ${range.cidr}`,
      `Use an address inside ${range.cidr}, e.g. ${formatIpv4(hostAddress(range, 1))}.`,
    );
  }
  // With `hosts`, each host may name its own bridge: placement checks every host has one.
  if (input.mode === "bridge" && input.bridge === undefined && environment.hosts === undefined) {
    problem(
      "env-invalid",
      ["network", "bridge"],
      'bridge mode needs the name of an existing host bridge (network.bridge, e.g. "br0")',
      'Set network.bridge to the bridge your LAN interface is enslaved to (`ip link show type bridge`), or use mode: "nat".',
    );
  }
  const defaultNetwork = parseCidr(LIBVIRT_DEFAULT_NETWORK);
  if (overlaps(range, defaultNetwork)) {
    problem(
      "env-network-collision",
      ["network", "cidr"],
      `${range.cidr} overlaps libvirt's default network ${LIBVIRT_DEFAULT_NETWORK}`,
      freeRangeFix(environment, siblings),
    );
  }
  const clusterCidr = parseCidr(k3s.clusterCidr);
  const serviceCidr = parseCidr(k3s.serviceCidr);
  for (const [field, other] of [
    ["clusterCidr", clusterCidr],
    ["serviceCidr", serviceCidr],
  ] as const) {
    if (overlaps(range, other)) {
      problem(
        "env-network-collision",
        ["network", "cidr"],
        `${range.cidr} overlaps the k3s ${field === "clusterCidr" ? "pod" : "service"} network ${other.cidr} (k3s.${field})`,
        `Node, pod and service networks must be disjoint: change network.cidr or k3s.${field}.`,
      );
    }
  }
  if (overlaps(clusterCidr, serviceCidr)) {
    problem(
      "env-network-collision",
      ["k3s", "serviceCidr"],
      `the k3s service network ${serviceCidr.cidr} overlaps the pod network ${clusterCidr.cidr}`,
      "Use disjoint ranges, e.g. the k3s defaults 10.42.0.0/16 (pods) and 10.43.0.0/16 (services).",
    );
  }
  const dns = input.dns ?? [formatIpv4(gateway)];
  const plan: PlannedNetwork["plan"] = {
    mode: input.mode,
    cidr: range.cidr,
    networkAddress: formatIpv4(range.base),
    prefixLength: range.prefixLength,
    netmask: netmask(range.prefixLength),
    gateway: formatIpv4(gateway),
    dns,
    ...(input.domain === undefined ? {} : { domain: input.domain }),
    ...(input.mode === "nat" ? { libvirtNetworkName: input.name ?? `${environment.prefix}-net` } : {}),
    ...(input.mode === "bridge" && input.bridge !== undefined ? { bridge: input.bridge } : {}),
  };
  return { plan, range, gateway };
}

function freeRangeFix(environment: Environment, siblings: readonly SiblingEnvironment[]): string {
  const free = freeNetwork(environment, siblings);
  const others = siblings.length > 0 ? ", the other environments" : "";
  return free
    ? `Pick a free private range, e.g. ${free} (it overlaps neither libvirt's default network${others} nor the k3s pod and service networks).`
    : "Pick a private range that no other network on this host uses.";
}

function resolveSnippets(
  snippets: readonly Snippet[],
  path: (string | number)[],
  options: PlanOptions,
  problem: Report,
): ResolvedSnippet[] {
  return snippets.flatMap((snippet, index) => {
    if (typeof snippet === "string")
      return [{ source: snippet, origin: `${options.file}: ${formatPath([...path, index])}` }];
    const source = options.snippetSources?.get(snippet.path);
    if (source === undefined) {
      problem(
        "env-snippet-invalid",
        [...path, index, "path"],
        `snippet file ${snippet.path} was not loaded`,
        "Load the environment with loadEnvironment(), which reads snippet files relative to the environment file.",
      );
      return [];
    }
    return [{ source, origin: snippet.path }];
  });
}

function draftNodes(
  environment: Environment,
  network: PlannedNetwork,
  options: PlanOptions,
  problem: Report,
): DraftNode[] {
  const nodes: DraftNode[] = [];
  const tooLong = `${environment.prefix}-server-${Math.max(environment.servers.count, environment.agents.count)}`;
  if (tooLong.length > 63) {
    problem(
      "env-invalid",
      ["prefix"],
      `node names such as ${tooLong} would be longer than 63 characters, the limit of a DNS label`,
      "Use a shorter prefix.",
    );
  }
  for (const role of ["server", "agent"] as const) {
    const poolKey = role === "server" ? "servers" : "agents";
    const pool = environment[poolKey];
    const poolSnippets = resolveSnippets(pool.snippets, [poolKey, "snippets"], options, problem);
    for (let index = 1; index <= pool.count; index++) {
      const name = `${environment.prefix}-${role}-${index}`;
      const override: NodeOverride = environment.nodes[name] ?? {};
      const host = pool.firstHost + index - 1;
      const address =
        override.address === undefined ? hostAddress(network.range, host) : parseIpv4(override.address);
      const addressPath =
        override.address === undefined ? [poolKey, "firstHost"] : ["nodes", name, "address"];
      if (!isHostAddress(network.range, address)) {
        problem(
          "env-address-outside-network",
          addressPath,
          `${name} would get ${formatIpv4(address)}, which is not a host address of ${network.range.cidr}`,
          override.address === undefined
            ? `Lower ${poolKey}.firstHost or ${poolKey}.count, or use a larger network.`
            : `Give ${name} an address inside ${network.range.cidr}.`,
        );
      } else if (address === network.gateway) {
        problem(
          "env-duplicate-node",
          addressPath,
          `${name} would get ${formatIpv4(address)}, the network's gateway`,
          `Move ${name} (${addressPath.join(".")}) or network.gateway.`,
        );
      }
      nodes.push({
        name,
        role,
        index,
        address,
        addressPath,
        mac: override.mac ?? deriveMac(environment.name, name),
        macPath: override.mac === undefined ? undefined : ["nodes", name, "mac"],
        vcpu: override.vcpu ?? pool.vcpu,
        memoryMiB: override.memoryMiB ?? pool.memoryMiB,
        memoryPath: override.memoryMiB === undefined ? [poolKey, "memoryMiB"] : ["nodes", name, "memoryMiB"],
        diskGiB: override.diskGiB ?? pool.diskGiB,
        labels: unique([`node-type=${role}`, ...pool.labels, ...(override.labels ?? [])]),
        taints: unique([...pool.taints, ...(override.taints ?? [])]),
        snippets: [
          ...poolSnippets,
          ...resolveSnippets(override.snippets ?? [], ["nodes", name, "snippets"], options, problem),
        ],
      });
    }
  }
  return nodes;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function checkOverrides(environment: Environment, nodes: readonly DraftNode[], problem: Report): void {
  const names = new Set(nodes.map((n) => n.name));
  const listed = [...names].slice(0, 12).join(", ") + (names.size > 12 ? `, … (${names.size} nodes)` : "");
  for (const name of Object.keys(environment.nodes)) {
    if (!names.has(name)) {
      // The path (nodes.<name>) is printed with the message; the message says what is wrong.
      const shown = JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name);
      problem(
        "env-invalid",
        ["nodes", name],
        `${shown} is not a node of this environment${didYouMean(name, [...names])}`,
        `This environment's nodes are ${listed || "none"}. Node names are <prefix>-server-<n> and <prefix>-agent-<n>.`,
      );
    }
  }
}

function checkUniqueness(nodes: readonly DraftNode[], problem: Report): void {
  const byAddress = new Map<number, DraftNode>();
  const byMac = new Map<string, DraftNode>();
  for (const node of nodes) {
    const sameAddress = byAddress.get(node.address);
    if (sameAddress) {
      problem(
        "env-duplicate-node",
        node.addressPath,
        `${node.name} and ${sameAddress.name} would both get ${formatIpv4(node.address)}`,
        node.addressPath[0] === "nodes"
          ? `Give ${node.name} an address of its own.`
          : "Server and agent address ranges overlap: raise agents.firstHost above servers.firstHost + servers.count, or set nodes.<name>.address.",
      );
    } else byAddress.set(node.address, node);
    const sameMac = byMac.get(node.mac);
    if (sameMac) {
      problem(
        "env-duplicate-node",
        node.macPath ?? ["nodes", node.name, "mac"],
        `${node.name} and ${sameMac.name} would both get MAC ${node.mac}`,
        `Set a distinct nodes.${node.name}.mac (52:54:00:xx:xx:xx).`,
      );
    } else byMac.set(node.mac, node);
  }
}

function checkMemory(nodes: readonly DraftNode[], problem: Report): void {
  const reported = new Set<string>();
  for (const node of nodes) {
    const minimum = MINIMUM_MEMORY_MIB[node.role];
    const key = node.memoryPath.join(".");
    if (node.memoryMiB < minimum && !reported.has(key)) {
      reported.add(key);
      problem(
        "env-memory-too-low",
        node.memoryPath,
        `${node.name} has ${node.memoryMiB} MiB of memory; a k3s ${node.role} needs at least ${minimum} MiB`,
        `Set ${key} to ${minimum} or more (k3s requirements: docs.k3s.io/installation/requirements).`,
      );
    }
  }
}

/**
 * `updates`: "reboot" means kured reboots one node at a time inside the window (src/reboots),
 * which needs a window kured can express and k3s's helm-controller, which installs kured.
 */
function checkUpdates(environment: Environment, problem: Report): void {
  if (environment.offline && environment.updates.strategy === "reboot") {
    problem(
      "env-invalid",
      ["updates", "strategy"],
      'updates.strategy is "reboot", but the environment is offline: its nodes cannot fetch Flatcar updates, and kured, which would reboot them, comes as a Helm chart from kubereboot.github.io',
      'Remove updates.strategy (offline environments default to "off"), or set it to "off". To update an offline lab, rebuild its nodes on a new Flatcar release (flatcar.version, then homelab apply).',
    );
    return;
  }
  if (updateStrategy(environment) !== "reboot") return;
  const schedule = kuredSchedule(environment.updates.window);
  if (!schedule.ok) {
    problem(
      "env-invalid",
      ["updates", "window", "length"],
      schedule.problem,
      'Give a window from 1m to 24h, e.g. { start: "Sun 03:00", length: "3h" }; omit it to allow reboots at any time.',
    );
  }
  if (environment.k3s.serverConfig["disable-helm-controller"] === true) {
    problem(
      "env-invalid",
      ["k3s", "serverConfig", "disable-helm-controller"],
      'updates.strategy is "reboot", but k3s.serverConfig disables the helm-controller that installs kured: no node would ever reboot into its staged update',
      'Remove disable-helm-controller, or set updates.strategy to "off" (no reboots at all).',
    );
  }
}

function checkK3sExtras(environment: Environment, problem: Report): void {
  for (const [role, field] of [
    ["server", "serverConfig"],
    ["agent", "agentConfig"],
  ] as const) {
    const extras = environment.k3s[field];
    for (const key of Object.keys(extras)) {
      const managed = managedKeyField(role, key);
      if (managed) {
        problem(
          "env-invalid",
          ["k3s", field, key],
          `"${key}" is set by homelab and cannot be overridden in k3s.${field}`,
          `${managed.charAt(0).toUpperCase()}${managed.slice(1)}.`,
        );
      }
    }
    for (const found of checkK3sConfig(role, extras)) {
      if (managedKeyField(role, found.key)) continue;
      problem(
        "env-invalid",
        ["k3s", field, found.key],
        found.message,
        role === "agent"
          ? "Remove the key, or move it to k3s.serverConfig if it is a server option. Valid keys: `k3s agent --help`."
          : "Remove or correct the key. Valid keys: `k3s server --help` (k3s turns each key into --<key>).",
      );
    }
  }
}

/**
 * Environments of one repository should be able to run side by side on one host. A clash with
 * a sibling is a warning, not an error: the sibling may never be applied on this host, and a
 * hand-written environment copied from another must still render.
 */
function checkSiblings(
  environment: Environment,
  siblings: readonly SiblingEnvironment[],
  file: string,
  warnings: PlanWarning[],
): void {
  const own = parseCidr(environment.network.cidr);
  for (const sibling of siblings) {
    const other = sibling.environment;
    if (other.name === environment.name) continue;
    if (other.prefix === environment.prefix) {
      warnings.push({
        message:
          `prefix "${environment.prefix}" is also used by environment ${other.name} (${sibling.file}): ` +
          "their libvirt networks, pools and VMs would clash if both ran on this host",
        where: { file, path: "prefix" },
      });
    }
    let theirs: Ipv4Network;
    try {
      theirs = parseCidr(other.network.cidr);
    } catch {
      continue;
    }
    if (overlaps(own, theirs)) {
      warnings.push({
        message:
          `network ${own.cidr} overlaps ${theirs.cidr} of environment ${other.name} (${sibling.file}): ` +
          `the two cannot run side by side on this host${suggestFree(environment, siblings)}`,
        where: { file, path: "network.cidr" },
      });
    }
  }
}

function suggestFree(environment: Environment, siblings: readonly SiblingEnvironment[]): string {
  const free = freeNetwork(environment, siblings);
  return free ? ` (${free} is free)` : "";
}
