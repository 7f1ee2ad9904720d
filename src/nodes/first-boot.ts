/**
 * How a node's k3s starts on its machine's first boot. Ignition runs once, so this is fixed for
 * the life of one machine (one incarnation of a node name): the rollout records it in the
 * state directory when it rebuilds a node, and render reproduces it for that machine until the
 * node is rebuilt again — so the bookkeeping itself never replaces a running server.
 *
 * - `bootstrap`: this machine creates the cluster (`cluster-init`). Only the first server of an
 *   environment that has no server yet.
 * - `join`: this machine joins the running cluster through the registration address. Every
 *   agent, every other server, and the first server whenever it is rebuilt in a cluster that
 *   has other servers.
 * - `restore`: the only server of an environment is rebuilt. k3s is held back until homelab has
 *   uploaded the etcd snapshot it took before (its SHA-256 is fixed here, so the node accepts no
 *   other file), restores it with `k3s server --cluster-reset --cluster-reset-restore-path`, and
 *   only then starts: the cluster's data survives the rebuild.
 */
export type FirstBoot =
  | { readonly kind: "bootstrap" }
  | { readonly kind: "join" }
  | { readonly kind: "restore"; readonly snapshotSha256: string };

export const BOOTSTRAP: FirstBoot = { kind: "bootstrap" };
export const JOIN: FirstBoot = { kind: "join" };

/** True for the modes that start etcd on this machine rather than joining another server. */
export function startsEtcdHere(firstBoot: FirstBoot): boolean {
  return firstBoot.kind !== "join";
}

export function describeFirstBoot(firstBoot: FirstBoot): string {
  switch (firstBoot.kind) {
    case "bootstrap":
      return "bootstraps the cluster (cluster-init)";
    case "join":
      return "joins through the registration address";
    case "restore":
      return `restores the etcd snapshot ${firstBoot.snapshotSha256.slice(0, 12)}… before k3s starts`;
  }
}
