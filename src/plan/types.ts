import type { Environment } from "../environment/schema.js";
import type { ErrorCode, SourceLocation } from "../errors/index.js";

/**
 * The cluster plan: an environment resolved into concrete nodes. Everything downstream (node
 * Butane configs, OpenTofu synthesis, `show`, `status`, `replace`) reads this, never the raw
 * environment's counts and overrides. Planning is pure: same environment, same plan.
 */

export type NodeRole = "server" | "agent";

/** A Butane snippet, loaded: its text and where it came from (for diagnostics). */
export interface ResolvedSnippet {
  readonly source: string;
  /** e.g. `environments/dev.ts: servers.snippets.0` or a .bu file path. */
  readonly origin: string;
}

export interface NodePlan {
  /** `<prefix>-server-<n>` / `<prefix>-agent-<n>`: a DNS label, the hostname, the for_each key. */
  readonly name: string;
  readonly role: NodeRole;
  /** 1-based position within its role. */
  readonly index: number;
  readonly address: string;
  /** Deterministic (derived from environment and node name) unless overridden; 52:54:00 prefix. */
  readonly mac: string;
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly diskGiB: number;
  /** True only for the first server: it starts etcd with `cluster-init`; all others join it. */
  readonly clusterInit: boolean;
  /** Kubernetes node labels, `node-type=server|agent` first. */
  readonly labels: readonly string[];
  readonly taints: readonly string[];
  /** The pool's snippets, then the node's own. */
  readonly snippets: readonly ResolvedSnippet[];
}

/** An inclusive range of IPv4 addresses. */
export interface AddressRange {
  readonly start: string;
  readonly end: string;
}

export interface NetworkPlan {
  readonly mode: "nat" | "bridge";
  readonly cidr: string;
  readonly networkAddress: string;
  readonly prefixLength: number;
  readonly netmask: string;
  readonly gateway: string;
  readonly dns: readonly string[];
  readonly domain?: string;
  /** nat mode: the libvirt network homelab creates. */
  readonly libvirtNetworkName?: string;
  /** bridge mode: the existing host bridge. */
  readonly bridge?: string;
  /**
   * The cluster's fixed registration address: a virtual IP announced by whichever server holds
   * kube-vip's lease. Joining nodes, the kubeconfig and homelab's waits use it, and it is the
   * only address in the servers' `tls-san`, so no node depends on one server.
   */
  readonly registrationAddress: string;
  /** nat: the range libvirt's dnsmasq hands out; bridge: the LAN's pool when the environment names it. */
  readonly dhcpRange: AddressRange | undefined;
  /** LoadBalancer service addresses (MetalLB). */
  readonly loadBalancerRange: AddressRange;
}

export interface PoolPlan {
  readonly name: string;
  /** Directory of a pool homelab creates; absent when reusing an existing pool. */
  readonly path?: string;
  readonly existing: boolean;
}

export interface PlanWarning {
  readonly message: string;
  readonly where?: SourceLocation;
  /** The error code whose page explains the warning, when there is one. */
  readonly code?: ErrorCode;
}

export interface ClusterPlan {
  readonly environment: Environment;
  /** Servers by index, then agents by index. */
  readonly nodes: readonly NodePlan[];
  readonly firstServer: NodePlan;
  readonly network: NetworkPlan;
  readonly pool: PoolPlan;
  readonly warnings: readonly PlanWarning[];
}
