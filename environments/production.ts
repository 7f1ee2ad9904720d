import type { EnvironmentInput } from "../src/environment/schema.js";

/**
 * Production: a highly available control plane — three servers with embedded etcd, so one can
 * fail (or reboot for an update) without losing quorum — and three agents for workloads.
 *
 * SSH: homelab's own key is always installed. Add yours with a key line or a .pub path, e.g.
 *   ssh: { authorizedKeys: ["~/.ssh/id_ed25519.pub"] },
 * (a missing file is an error, which is why the shipped environments list none).
 *
 * For a cluster reachable from the LAN, switch to bridge mode with static addresses:
 *   network: { mode: "bridge", bridge: "br0", cidr: "192.168.1.0/24", gateway: "192.168.1.1" },
 */
export default {
  name: "production",
  prefix: "k3s-prod",
  description: "Highly available production cluster",
  network: { mode: "nat", cidr: "192.168.142.0/24", domain: "prod.home.arpa" },
  servers: { count: 3, vcpu: 2, memoryMiB: 4096, diskGiB: 30 },
  agents: { count: 3, vcpu: 2, memoryMiB: 4096, diskGiB: 40 },
  ssh: { authorizedKeys: [] },
  flatcar: { channel: "stable" },
  // Flatcar updates: kured reboots one node at a time, drained, Sundays 03:00–06:00 UTC; with
  // one server down at a time, etcd keeps its quorum.
  updates: { strategy: "reboot", window: { start: "Sun 03:00", length: "3h" } },
} satisfies EnvironmentInput;
