import type { PlanProblem } from "../plan/plan.js";
import type { NodeRole, PoolPlan } from "../plan/types.js";

/** What placement needs to know about a planned node (a `NodePlan` fits). */
export interface PlacementNode {
  readonly name: string;
  readonly role: NodeRole;
  /** 1-based position within its role: the key of the automatic placement. */
  readonly index: number;
}

/** One libvirt host of the environment, resolved. */
export interface HostPlan {
  /** The key in `hosts` (a DNS label), or `SINGLE_HOST_NAME` without `hosts`. */
  readonly name: string;
  readonly uri: string;
  /** The host's storage pool: its own `pool`, else the environment's. */
  readonly pool: PoolPlan;
  /** Bridge mode: the host's bridge (`hosts.<name>.bridge`, else `network.bridge`). */
  readonly bridge?: string;
  /** 0-based position in `hosts` as written: the order automatic placement fills. */
  readonly position: number;
  /** True for the one host of an environment without `hosts` (`libvirt.uri`, `pool`). */
  readonly implicit: boolean;
}

/** Something the user should hear about, located like a plan problem (array path). */
export interface PlacementWarning {
  readonly path: readonly (string | number)[];
  readonly message: string;
  readonly fix: string;
}

export interface Placement {
  /** In placement order. */
  readonly hosts: readonly HostPlan[];
  /** Every node's host name. Empty when there are problems. */
  readonly hostOf: ReadonlyMap<string, string>;
  /** Node names per host name (every host present, maybe with none), in node order. */
  readonly nodesOn: ReadonlyMap<string, readonly string[]>;
  /** Nodes placed by `nodes.<name>.host` rather than automatically. */
  readonly pinned: ReadonlySet<string>;
  /** More than one host: provider aliases, bridge mode, one base volume per host. */
  readonly multiHost: boolean;
  /**
   * Whether etcd keeps its quorum, and k3s its control plane, after the loss of any one host.
   * False for a single host (nothing to survive it with).
   */
  readonly survivesHostLoss: boolean;
  readonly warnings: readonly PlacementWarning[];
  /** Refusals, in the same shape as `planCluster`'s (code, array path, message, fix). */
  readonly problems: readonly PlanProblem[];
}
