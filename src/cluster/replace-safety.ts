import type { NodePlan } from "../plan/types.js";

/**
 * Whether replacing a node keeps the cluster. Pure. Servers run embedded etcd: the cluster
 * survives a server's replacement only if the other servers keep etcd's quorum, and only if
 * the new machine joins them (the `cluster-init` server's Ignition starts a new cluster).
 */
export type ReplaceVerdict = { readonly safe: true } | { readonly safe: false; readonly why: string };

/**
 * @param readyServers names of the servers Kubernetes reports Ready, or undefined when the
 *   API could not be asked (then only what the plan says is judged).
 */
export function replaceVerdict(
  nodes: readonly Pick<NodePlan, "name" | "role" | "clusterInit">[],
  target: string,
  readyServers: readonly string[] | undefined,
): ReplaceVerdict {
  const node = nodes.find((n) => n.name === target);
  if (node?.role !== "server") return { safe: true };
  const servers = nodes.filter((n) => n.role === "server");
  if (servers.length === 1) {
    return {
      safe: false,
      why:
        `${target} is the only server: its embedded etcd holds the whole cluster (every object, every secret). ` +
        "A new machine starts an empty cluster, and the agents would have to be replaced to join it",
    };
  }
  if (node.clusterInit) {
    return {
      safe: false,
      why:
        `${target} is the cluster-init server: its Ignition starts a new etcd cluster instead of joining the ` +
        "running one, so the new machine would form a second, empty cluster beside the other servers",
    };
  }
  if (readyServers !== undefined) {
    const othersReady = readyServers.filter(
      (name) => name !== target && servers.some((s) => s.name === name),
    ).length;
    const quorum = Math.floor(servers.length / 2) + 1;
    if (othersReady < quorum) {
      return {
        safe: false,
        why:
          `without ${target}, ${othersReady} of ${servers.length} servers would be Ready, fewer than etcd's quorum of ${quorum}: ` +
          "the cluster would stop accepting changes and could lose its data",
      };
    }
  }
  return { safe: true };
}
