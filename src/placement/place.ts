import type { Environment } from "../environment/schema.js";
import { PlanError, type PlanProblem } from "../plan/plan.js";
import type { NodeRole } from "../plan/types.js";
import { resolveHosts } from "./hosts.js";
import { type SpreadStart, spreadPositions } from "./spread.js";
import { hostLossWarnings } from "./survival.js";
import type { HostPlan, Placement, PlacementNode, PlacementWarning } from "./types.js";

/** Servers fill the hosts from the first, agents from the last (see spread.ts). */
const START: Readonly<Record<NodeRole, SpreadStart>> = { server: "first-host", agent: "last-host" };

/**
 * Assigns every planned node a host. Pure: same environment and nodes, same placement.
 *
 * - `nodes.<name>.host` pins a node; it must name an entry of `hosts`.
 * - Every other node goes where `spreadPositions` puts its index: servers one per host in
 *   index order, agents balanced by count. A node's host depends only on its role, its index
 *   and the host list — never on other nodes or pins — so pinning, unpinning, adding or
 *   removing one node moves that node only, and appending a host moves nodes onto it only.
 *
 * Problems (returned, not thrown; `placeNodesOrThrow` throws them): a pin to an unknown host,
 * a pin for a node that does not exist, two hosts with one URI, NAT across several hosts,
 * a bridge-mode host without a bridge, an empty `hosts`, `libvirt.uri` next to `hosts`.
 * Warnings: the control plane does not survive the loss of one host (etcd quorum), a host
 * gets no node, a host bridge is set in NAT mode.
 */
export function placeNodes(environment: Environment, nodes: readonly PlacementNode[]): Placement {
  const problems: PlanProblem[] = [];
  const warnings: PlacementWarning[] = [];
  const { hosts, multiHost } = resolveHosts(environment, problems);
  const byName = new Map(hosts.map((host) => [host.name, host]));
  const nodeNames = new Set(nodes.map((node) => node.name));

  const pins = new Map<string, string>();
  for (const [name, override] of Object.entries(environment.nodes)) {
    if (override.host === undefined) continue;
    if (!nodeNames.has(name)) {
      problems.push({
        code: "env-invalid",
        path: ["nodes", name, "host"],
        message: `nodes.${name}.host pins a node that does not exist`,
        fix: `This environment's nodes are ${[...nodeNames].join(", ") || "none"}. Remove the pin or correct the node name.`,
      });
      continue;
    }
    if (environment.hosts === undefined || !byName.has(override.host)) {
      const known = environment.hosts === undefined ? [] : Object.keys(environment.hosts);
      problems.push({
        code: "env-host-unknown",
        path: ["nodes", name, "host"],
        message:
          environment.hosts === undefined
            ? `${name} is pinned to host "${override.host}", but the environment defines no hosts`
            : `${name} is pinned to host "${override.host}", which is not in hosts (${known.join(", ")})`,
        fix:
          environment.hosts === undefined
            ? `Define the hosts (hosts: { ${override.host}: { uri: "qemu+ssh://user@${override.host}/system" } }), or remove nodes.${name}.host.`
            : `Use one of ${known.join(", ")}, or add a hosts.${override.host} entry with its uri.`,
      });
      continue;
    }
    pins.set(name, override.host);
  }

  if (environment.network.mode === "nat" && environment.hosts !== undefined) {
    for (const [name, host] of Object.entries(environment.hosts)) {
      if (host.bridge !== undefined && !multiHost) {
        warnings.push({
          path: ["hosts", name, "bridge"],
          message: `hosts.${name}.bridge is ignored: network.mode is "nat"`,
          fix: 'Remove the bridge, or set network.mode to "bridge" to attach the nodes to it.',
        });
      }
    }
  }

  if (problems.length > 0) {
    return {
      hosts,
      hostOf: new Map(),
      nodesOn: new Map(hosts.map((host) => [host.name, []])),
      pinned: new Set(pins.keys()),
      multiHost,
      survivesHostLoss: false,
      warnings,
      problems,
    };
  }

  const automatic = automaticHosts(nodes, hosts);
  const hostOf = new Map<string, string>();
  const nodesOn = new Map<string, string[]>(hosts.map((host) => [host.name, []]));
  for (const node of nodes) {
    const host = pins.get(node.name) ?? automatic.get(node.name);
    if (host === undefined) throw new RangeError(`no host for ${node.name}`);
    hostOf.set(node.name, host);
    nodesOn.get(host)?.push(node.name);
  }

  const survival = hostLossWarnings(nodes, hosts, hostOf, pins, multiHost);
  warnings.push(...survival.warnings);
  if (multiHost) {
    const servers = nodes.filter((node) => node.role === "server").length;
    const counts = `${servers} server${servers === 1 ? "" : "s"} and ${nodes.length - servers} agent${nodes.length - servers === 1 ? "" : "s"} on ${hosts.length} hosts`;
    for (const host of hosts) {
      if ((nodesOn.get(host.name) ?? []).length > 0) continue;
      warnings.push({
        path: ["hosts", host.name],
        message: `host ${host.name} gets no node (${counts})`,
        fix: `Add servers or agents (they spread over every host), pin one with nodes.<name>.host: "${host.name}", or remove the host.`,
      });
    }
  }
  return {
    hosts,
    hostOf,
    nodesOn,
    pinned: new Set(pins.keys()),
    multiHost,
    survivesHostLoss: survival.survives,
    warnings,
    problems,
  };
}

/** The automatic host of every node, pinned or not: a function of role, index and hosts only. */
function automaticHosts(nodes: readonly PlacementNode[], hosts: readonly HostPlan[]): Map<string, string> {
  const result = new Map<string, string>();
  for (const role of ["server", "agent"] as const) {
    const ofRole = nodes.filter((node) => node.role === role);
    const highest = ofRole.reduce((max, node) => Math.max(max, node.index), 0);
    const positions = spreadPositions(highest, hosts.length, START[role]);
    for (const node of ofRole) {
      const host = hosts[positions[node.index - 1] ?? 0];
      if (host) result.set(node.name, host.name);
    }
  }
  return result;
}

/** `placeNodes`, throwing its problems as one located `PlanError` (as `planCluster` does). */
export function placeNodesOrThrow(
  environment: Environment,
  nodes: readonly PlacementNode[],
  file: string,
): Placement {
  const placement = placeNodes(environment, nodes);
  if (placement.problems.length > 0) throw new PlanError(file, placement.problems);
  return placement;
}
