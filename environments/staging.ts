import type { EnvironmentInput } from "../src/environment/schema.js";

/**
 * Staging: the production shape on a smaller budget — one server, three agents — on its own
 * network, so it can run next to development.
 *
 * SSH: homelab's own key is always installed. Add yours with a key line or a .pub path, e.g.
 *   ssh: { authorizedKeys: ["~/.ssh/id_ed25519.pub"] },
 * (a missing file is an error, which is why the shipped environments list none).
 */
export default {
  name: "staging",
  prefix: "k3s-stg",
  description: "Staging cluster",
  network: { mode: "nat", cidr: "192.168.141.0/24", domain: "stg.home.arpa" },
  servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
  agents: { count: 3, vcpu: 2, memoryMiB: 2048, diskGiB: 30 },
  ssh: { authorizedKeys: [] },
  flatcar: { channel: "stable" },
  updates: { strategy: "reboot", window: { start: "Sat 04:00", length: "2h" } },
} satisfies EnvironmentInput;
