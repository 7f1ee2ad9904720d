import type { EnvironmentInput } from "../src/environment/schema.js";

/**
 * Development: one server and two agents on a NAT network, like the original k3s-dev cluster
 * (k3s-dev-server-1 at .10, agents from .20). Small and quick to rebuild.
 *
 * SSH: homelab always installs its own key for user `core` (`homelab ssh k3s-dev-server-1`).
 * To add yours, list the key line or the path of your .pub file, e.g.
 *   ssh: { authorizedKeys: ["~/.ssh/id_ed25519.pub"] },
 * A path that does not exist is an error (env-ssh-key-not-found), so the shipped environments
 * list none: they must render on any machine.
 */
export default {
  name: "development",
  prefix: "k3s-dev",
  description: "Single-server development cluster",
  network: { mode: "nat", cidr: "192.168.140.0/24", domain: "dev.home.arpa" },
  servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
  agents: { count: 2, vcpu: 2, memoryMiB: 2048, diskGiB: 20 },
  ssh: { authorizedKeys: [] },
  flatcar: { channel: "stable" },
  updates: { strategy: "reboot", window: { start: "Sun 04:00", length: "1h" } },
  k3s: {
    disable: ["traefik", "servicelb"],
    flannelBackend: "host-gw",
    kubeconfigMode: "0600",
  },
} satisfies EnvironmentInput;
