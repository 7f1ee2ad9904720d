import { stringify } from "yaml";
import type { Environment } from "../environment/schema.js";
import { K3S_SUPERVISOR_PORT, k3sNodeConfig } from "../k3s/index.js";
import type { ClusterPlan, NodePlan } from "../plan/types.js";

/**
 * Contents of the generated files of a node. Every value here comes from the validated plan
 * (addresses, enum values, regex-checked strings); the text is then placed into the Butane
 * document as one YAML string node, never spliced into YAML.
 */

/** `/etc/hostname`. */
export function hostnameFile(node: NodePlan): string {
  return `${node.name}\n`;
}

/**
 * `/etc/flatcar/update.conf`: update-engine's group (the channel) and locksmithd's reboot
 * strategy and window. Plain KEY=value lines (no comments: update-engine reads it too).
 */
export function updateConf(environment: Environment): string {
  const lines = [`GROUP=${environment.flatcar.channel}`, `REBOOT_STRATEGY=${environment.updates.strategy}`];
  const window = environment.updates.window;
  if (window) {
    lines.push(
      `LOCKSMITHD_REBOOT_WINDOW_START="${window.start}"`,
      `LOCKSMITHD_REBOOT_WINDOW_LENGTH=${window.length}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `/etc/rancher/k3s/config.yaml` as YAML 1.1-safe text (quotes "0600", "yes", "on", …). */
export function k3sConfigYaml(plan: ClusterPlan, node: NodePlan, token: string): string {
  return stringify(k3sNodeConfig(plan, node, token), { version: "1.1", lineWidth: 0 });
}

/** `/etc/homelab/k3s-join.env`: where joining nodes wait; empty URL on the first server. */
export function joinEnvironment(plan: ClusterPlan, node: NodePlan): string {
  if (node.clusterInit) return "# This node starts the cluster: it waits for nobody.\nK3S_JOIN_PING_URL=\n";
  return `K3S_JOIN_PING_URL=https://${plan.firstServer.address}:${K3S_SUPERVISOR_PORT}/ping\n`;
}

/** A systemd-networkd file giving the node its static address, matched by MAC (NAT and bridge). */
export function staticNetworkFile(plan: ClusterPlan, node: NodePlan): string {
  const { network } = plan;
  const lines = [
    "[Match]",
    `MACAddress=${node.mac}`,
    "",
    "[Network]",
    `Address=${node.address}/${network.prefixLength}`,
    `Gateway=${network.gateway}`,
    ...network.dns.map((dns) => `DNS=${dns}`),
  ];
  if (network.domain) lines.push(`Domains=${network.domain}`);
  return `${lines.join("\n")}\n`;
}

/** Where the static network file goes: sorts before Flatcar's catch-all DHCP `zz-default.network`. */
export const STATIC_NETWORK_PATH = "/etc/systemd/network/00-homelab-static.network";
