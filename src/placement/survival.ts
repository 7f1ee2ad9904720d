import type { HostPlan, PlacementNode, PlacementWarning } from "./types.js";

/** etcd's quorum: a majority of the members (https://etcd.io/docs/v3.5/faq/#why-an-odd-number-of-cluster-members). */
export function etcdQuorum(servers: number): number {
  return Math.floor(servers / 2) + 1;
}

/**
 * Whether the control plane survives the loss of any one host: k3s's embedded etcd needs a
 * quorum of the servers, so no host may hold more than `servers - quorum` of them. With one
 * host there is nothing to survive with, and nothing to warn about.
 */
export function hostLossWarnings(
  nodes: readonly PlacementNode[],
  hosts: readonly HostPlan[],
  hostOf: ReadonlyMap<string, string>,
  pins: ReadonlyMap<string, string>,
  multiHost: boolean,
): { survives: boolean; warnings: PlacementWarning[] } {
  const servers = nodes.filter((node) => node.role === "server");
  if (!multiHost || servers.length === 0) return { survives: false, warnings: [] };
  const quorum = etcdQuorum(servers.length);
  const tolerated = servers.length - quorum;
  const serversOn = new Map<string, string[]>();
  for (const server of servers) {
    const host = hostOf.get(server.name);
    if (host !== undefined) serversOn.set(host, [...(serversOn.get(host) ?? []), server.name]);
  }
  const [worstHost, worstServers] = [...serversOn.entries()].reduce(
    (worst, entry) => (entry[1].length > worst[1].length ? entry : worst),
    ["", [] as string[]],
  );
  if (worstServers.length <= tolerated) return { survives: true, warnings: [] };

  const message =
    servers.length === 1
      ? `the environment cannot survive the loss of host ${worstHost}: it holds the only server (${worstServers[0]}), and with it the control plane`
      : `the environment cannot survive the loss of host ${worstHost}: it holds ${worstServers.length} of ${servers.length} servers (${worstServers.join(", ")}), and etcd needs ${quorum} to keep quorum`;
  const pinnedThere = worstServers.find((name) => pins.get(name) === worstHost);
  if (pinnedThere !== undefined) {
    return {
      survives: false,
      warnings: [
        {
          path: ["nodes", pinnedThere, "host"],
          message,
          fix: `Pin ${pinnedThere} to a host without a server, or remove the pin: unpinned servers spread one per host.`,
        },
      ],
    };
  }
  const fix =
    hosts.length < 3
      ? `Add a third host: with ${hosts.length} hosts one of them always holds a majority of the servers (run 3 servers on 3 hosts).`
      : servers.length < 3
        ? "Run 3 servers (servers.count: 3): they spread one per host, and any two keep quorum."
        : `Use an odd number of servers (servers.count: ${servers.length % 2 === 0 ? servers.length + 1 : servers.length}) so that no host holds a majority.`;
  return {
    survives: false,
    warnings: [{ path: hosts.length < 3 ? ["hosts"] : ["servers", "count"], message, fix }],
  };
}
