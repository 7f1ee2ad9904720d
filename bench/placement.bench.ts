import { bench, describe } from "vitest";
import { EnvironmentSchema } from "../src/environment/schema.js";
import { placeNodes } from "../src/placement/index.js";
import { planCluster } from "../src/plan/index.js";

/**
 * Placement's share of render for the target (3 hosts, 100 nodes, whose render must stay
 * under 2 s of homelab's own time), and a larger environment to show it grows linearly.
 */
function environment(hosts: number, servers: number, agents: number) {
  return EnvironmentSchema.parse({
    name: "big",
    prefix: "big",
    network: { cidr: "10.50.0.0/16", mode: "bridge", bridge: "br0" },
    hosts: Object.fromEntries(
      Array.from({ length: hosts }, (_, i) => [`hv${i + 1}`, { uri: `qemu+ssh://hv${i + 1}/system` }]),
    ),
    servers: { count: servers },
    agents: { count: agents, firstHost: 100 },
  });
}

const small = environment(3, 3, 97);
const smallNodes = planCluster(small, { file: "big.ts" }).nodes;
const large = environment(12, 5, 995);
const largeNodes = planCluster(large, { file: "big.ts" }).nodes;

describe("placement", () => {
  bench("3 hosts, 100 nodes", () => {
    placeNodes(small, smallNodes);
  });
  bench("12 hosts, 1000 nodes", () => {
    placeNodes(large, largeNodes);
  });
});
