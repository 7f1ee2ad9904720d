import { stringify } from "yaml";
import type { Environment } from "../environment/schema.js";
import { k3sNodeConfig, registrationUrl } from "../k3s/index.js";
import type { ClusterPlan, NodePlan } from "../plan/types.js";
import { type FirstBoot, startsEtcdHere } from "./first-boot.js";

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
 * `/etc/flatcar/update.conf`: update-engine's group (the channel), and locksmithd's reboot
 * strategy, always `off`. update-engine keeps downloading and staging updates on the passive
 * partition (flatcar-website `update-strategies.md` lines 19 and 127); the reboot that switches
 * to one is kured's, one node at a time and drained, in the environment's window (see
 * src/reboots) — or nobody's, with `updates.strategy: "off"`. locksmithd reads the strategy and
 * exits when it is `off` (flatcar/locksmith v0.7.0 `locksmithctl/daemon.go` line 327); the
 * node templates also mask it. Plain KEY=value lines (no comments: update-engine reads it too).
 */
export function updateConf(environment: Environment): string {
  return `GROUP=${environment.flatcar.channel}\nREBOOT_STRATEGY=off\n`;
}

/** `/etc/rancher/k3s/config.yaml` as YAML 1.1-safe text (quotes "0600", "yes", "on", …). */
export function k3sConfigYaml(
  plan: ClusterPlan,
  node: NodePlan,
  token: string,
  firstBoot: FirstBoot,
): string {
  return stringify(k3sNodeConfig(plan, node, token, firstBoot), { version: "1.1", lineWidth: 0 });
}

/** Seconds a joining machine waits for the registration address before k3s starts anyway. */
export const JOIN_WAIT_TIMEOUT_SECONDS = 1800;

/**
 * `/etc/homelab/k3s-join.env`: where a joining machine waits before its first start of k3s —
 * the registration address, never one particular server. Empty on a machine that starts etcd.
 */
export function joinEnvironment(plan: ClusterPlan, node: NodePlan, firstBoot: FirstBoot): string {
  if (node.role === "server" && startsEtcdHere(firstBoot))
    return "# This machine starts etcd itself: it waits for nobody.\nK3S_JOIN_PING_URL=\n";
  return [
    `K3S_JOIN_PING_URL=${registrationUrl(plan)}/ping`,
    `WAIT_TIMEOUT=${JOIN_WAIT_TIMEOUT_SECONDS}`,
    "",
  ].join("\n");
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
