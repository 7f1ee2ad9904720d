import { type FirstBoot, startsEtcdHere } from "../nodes/first-boot.js";
import type { ClusterPlan, NodePlan } from "../plan/types.js";
import { type K3sConfigValue, k3sFlagFor } from "./flags.js";

/** The port of the k3s supervisor and Kubernetes API on servers; `/ping` answers there. */
export const K3S_SUPERVISOR_PORT = 6443;

/**
 * config.yaml keys homelab writes itself, with the environment field that controls each. A
 * user's `k3s.serverConfig`/`agentConfig` may not set them: two sources for one key would make
 * the result depend on merge order, and some (token, server, cluster-init) would break joining.
 */
export const HOMELAB_MANAGED_K3S_KEYS: Readonly<Record<string, string>> = {
  "cluster-init":
    "only the first server of a new environment bootstraps the cluster; every later machine joins it",
  server: "joining nodes always register through `network.registrationAddress`",
  token: "homelab generates the cluster token and keeps it in its state directory",
  "node-name": "node names come from `prefix`",
  "node-ip": "set `nodes.<name>.address`",
  "node-label": "set `servers.labels`, `agents.labels` or `nodes.<name>.labels`",
  "node-taint": "set `servers.taints` or `agents.taints`",
  "tls-san": "homelab adds the registration address (`network.registrationAddress`)",
  disable: "set `k3s.disable`",
  "flannel-backend": "set `k3s.flannelBackend`",
  "write-kubeconfig-mode": "set `k3s.kubeconfigMode`",
  "cluster-cidr": "set `k3s.clusterCidr`",
  "service-cidr": "set `k3s.serviceCidr`",
};

/** When a user key names a managed flag (directly, by alias or with `+`), what to do instead. */
export function managedKeyField(role: "server" | "agent", key: string): string | undefined {
  const flag = k3sFlagFor(role, key);
  return flag ? HOMELAB_MANAGED_K3S_KEYS[flag.name] : undefined;
}

/** `https://<registration address>:6443`: where every joining node registers. */
export function registrationUrl(plan: Pick<ClusterPlan, "network">): string {
  return `https://${plan.network.registrationAddress}:${K3S_SUPERVISOR_PORT}`;
}

/**
 * `/etc/rancher/k3s/config.yaml` of one node, as an object (key order is the output order).
 *
 * A server machine that starts etcd itself (the first server of a new environment, or the only
 * server being restored from a snapshot) has `cluster-init`; every other machine joins through
 * the registration address, never through one particular server. Once a server has etcd data,
 * k3s starts from that data and neither key matters again. `tls-san` holds only the
 * registration address: k3s puts each server's own address and hostname into its certificate
 * itself, so adding a server changes no other node's configuration.
 */
export function k3sNodeConfig(
  plan: ClusterPlan,
  node: NodePlan,
  token: string,
  firstBoot: FirstBoot,
): Record<string, K3sConfigValue> {
  const { k3s } = plan.environment;
  const config: Record<string, K3sConfigValue> = {};
  if (node.role === "server" && startsEtcdHere(firstBoot)) config["cluster-init"] = true;
  else config.server = registrationUrl(plan);
  config.token = token;
  config["node-name"] = node.name;
  config["node-ip"] = node.address;
  if (node.role === "server") {
    config["tls-san"] = [plan.network.registrationAddress];
    if (k3s.disable.length > 0) config.disable = [...k3s.disable];
    config["flannel-backend"] = k3s.flannelBackend;
    config["write-kubeconfig-mode"] = k3s.kubeconfigMode;
    config["cluster-cidr"] = k3s.clusterCidr;
    config["service-cidr"] = k3s.serviceCidr;
  }
  config["node-label"] = [...node.labels];
  if (node.taints.length > 0) config["node-taint"] = [...node.taints];
  const extras = node.role === "server" ? k3s.serverConfig : k3s.agentConfig;
  for (const key of Object.keys(extras).sort()) {
    const value = extras[key];
    if (value !== undefined) config[key] = value;
  }
  return config;
}
