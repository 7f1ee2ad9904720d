import { describe, expect, it } from "vitest";
import { type EnvironmentInput, EnvironmentSchema } from "../environment/schema.js";
import type { ErrorCode } from "../errors/index.js";
import { PlanError, planCluster, type SiblingEnvironment } from "./plan.js";

const FILE = "environments/test.ts";

function environment(input: Record<string, unknown> = {}) {
  return EnvironmentSchema.parse({
    name: "test",
    prefix: "k3s-test",
    network: { cidr: "192.168.150.0/24" },
    servers: { count: 1 },
    agents: { count: 2 },
    ssh: { authorizedKeys: [] },
    ...input,
  } satisfies Partial<EnvironmentInput> | Record<string, unknown>);
}

function plan(input: Record<string, unknown> = {}, siblings: SiblingEnvironment[] = []) {
  return planCluster(environment(input), { file: FILE, siblings });
}

function problemsOf(input: Record<string, unknown>, siblings: SiblingEnvironment[] = []) {
  try {
    plan(input, siblings);
  } catch (error) {
    if (error instanceof PlanError) return error;
    throw error;
  }
  throw new Error("expected planning to fail");
}

describe("planCluster", () => {
  it("resolves names, addresses, MACs, sizes and labels (servers first)", () => {
    const result = plan({
      servers: { count: 1, vcpu: 2, memoryMiB: 4096, diskGiB: 20 },
      agents: { count: 2, labels: ["disk=ssd"], taints: ["gpu=yes:NoSchedule"] },
      nodes: { "k3s-test-agent-2": { memoryMiB: 8192, labels: ["zone=b"] } },
    });
    expect(result.nodes.map((n) => [n.name, n.role, n.index, n.address, n.clusterInit])).toEqual([
      ["k3s-test-server-1", "server", 1, "192.168.150.10", true],
      ["k3s-test-agent-1", "agent", 1, "192.168.150.20", false],
      ["k3s-test-agent-2", "agent", 2, "192.168.150.21", false],
    ]);
    expect(result.firstServer.name).toBe("k3s-test-server-1");
    expect(result.nodes[2]).toMatchObject({
      memoryMiB: 8192,
      vcpu: 2,
      labels: ["node-type=agent", "disk=ssd", "zone=b"],
      taints: ["gpu=yes:NoSchedule"],
    });
    expect(result.nodes[0]?.labels).toEqual(["node-type=server"]);
    expect(new Set(result.nodes.map((n) => n.mac)).size).toBe(3);
    expect(result.warnings).toEqual([]);
  });

  it("derives network and pool defaults", () => {
    const result = plan();
    expect(result.network).toEqual({
      mode: "nat",
      cidr: "192.168.150.0/24",
      networkAddress: "192.168.150.0",
      prefixLength: 24,
      netmask: "255.255.255.0",
      gateway: "192.168.150.1",
      dns: ["192.168.150.1"],
      libvirtNetworkName: "k3s-test-net",
      registrationAddress: "192.168.150.9",
      dhcpRange: { start: "192.168.150.100", end: "192.168.150.199" },
      loadBalancerRange: { start: "192.168.150.200", end: "192.168.150.250" },
    });
    expect(result.pool).toEqual({
      name: "k3s-test",
      path: "/var/lib/libvirt/homelab/k3s-test",
      existing: false,
    });
    expect(plan({ pool: { existing: true } }).pool).toEqual({ name: "default", existing: true });
  });

  it("is pure: the same environment gives the same plan", () => {
    expect(JSON.stringify(plan())).toBe(JSON.stringify(plan()));
  });

  it("honours per-node address and MAC overrides", () => {
    const result = plan({
      nodes: { "k3s-test-agent-1": { address: "192.168.150.60", mac: "52:54:00:aa:bb:cc" } },
    });
    expect(result.nodes[1]).toMatchObject({ address: "192.168.150.60", mac: "52:54:00:aa:bb:cc" });
  });

  it("warns about an even number of servers (etcd quorum)", () => {
    const result = plan({ servers: { count: 2 } });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]?.message).toMatch(/etcd/);
    expect(result.warnings[0]?.where).toEqual({ file: FILE, path: "servers.count" });
    expect(plan({ servers: { count: 3 } }).warnings).toEqual([]);
  });

  it("warns that an offline environment's GitOps still needs Flux's images and the repository from the LAN", () => {
    const result = plan({ offline: true, gitops: { url: "https://git.lan/homelab.git" } });
    expect(result.warnings).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(/ghcr\.io.*https:\/\/git\.lan\/homelab\.git/),
        where: { file: FILE, path: "gitops" },
      }),
    ]);
    expect(plan({ offline: true }).warnings).toEqual([]);
    expect(plan({ gitops: { url: "https://git.lan/homelab.git" } }).warnings).toEqual([]);
  });

  it("lets kured coordinate reboots with and without GitOps: no warning either way", () => {
    const gitops = { url: "https://git.example/homelab.git" };
    for (const updates of [{ strategy: "reboot" }, { strategy: "off" }]) {
      expect(plan({ gitops, updates }).warnings).toEqual([]);
      expect(plan({ updates }).warnings).toEqual([]);
    }
    // A window crossing midnight is fine (kured gets it in a shifted zone), and so is a whole day.
    expect(plan({ updates: { window: { start: "Sat 23:00", length: "3h" } } }).warnings).toEqual([]);
    expect(plan({ updates: { window: { start: "Sun 00:00", length: "24h" } } }).warnings).toEqual([]);
    // "off" ignores the window altogether.
    expect(() =>
      plan({ updates: { strategy: "off", window: { start: "Sun 00:00", length: "0h" } } }),
    ).not.toThrow();
  });

  it("plans bridge mode with the host bridge and no libvirt network", () => {
    const result = plan({
      network: { mode: "bridge", bridge: "br0", cidr: "192.168.1.0/24", gateway: "192.168.1.254" },
    });
    expect(result.network).toMatchObject({ mode: "bridge", bridge: "br0", gateway: "192.168.1.254" });
    expect(result.network.libvirtNetworkName).toBeUndefined();
  });

  const REFUSED: [string, Record<string, unknown>, ErrorCode, string, RegExp][] = [
    [
      "an update window that never opens",
      { updates: { window: { start: "Sun 03:00", length: "0m" } } },
      "env-invalid",
      "updates.window.length",
      /never opens/,
    ],
    [
      "an update window longer than a day",
      { updates: { window: { start: "Sun 03:00", length: "25h" } } },
      "env-invalid",
      "updates.window.length",
      /longer than a day/,
    ],
    [
      "reboots without the helm-controller that installs kured",
      { k3s: { serverConfig: { "disable-helm-controller": true } } },
      "env-invalid",
      "k3s.serverConfig.disable-helm-controller",
      /helm-controller/,
    ],
    [
      "reboots in an offline environment (no updates to fetch, no kured chart to pull)",
      { offline: true, updates: { strategy: "reboot" } },
      "env-invalid",
      "updates.strategy",
      /offline/,
    ],
    ["no server", { servers: { count: 0 } }, "env-no-server", "servers.count", /no server/],
    [
      "a server below 2 GiB",
      { servers: { count: 1, memoryMiB: 1024 } },
      "env-memory-too-low",
      "servers.memoryMiB",
      /2048/,
    ],
    [
      "an agent below 512 MiB",
      { agents: { count: 1, memoryMiB: 256 } },
      "env-memory-too-low",
      "agents.memoryMiB",
      /512/,
    ],
    [
      "a node override below the minimum",
      { nodes: { "k3s-test-agent-1": { memoryMiB: 100 } } },
      "env-memory-too-low",
      "nodes.k3s-test-agent-1.memoryMiB",
      /k3s-test-agent-1 has 100 MiB/,
    ],
    [
      "an address outside the network",
      { nodes: { "k3s-test-agent-1": { address: "10.0.0.5" } } },
      "env-address-outside-network",
      "nodes.k3s-test-agent-1.address",
      /not a host address of 192.168.150.0\/24/,
    ],
    [
      "the broadcast address",
      { nodes: { "k3s-test-agent-1": { address: "192.168.150.255" } } },
      "env-address-outside-network",
      "nodes.k3s-test-agent-1.address",
      /192.168.150.255/,
    ],
    [
      "a pool that runs past the network",
      { network: { cidr: "192.168.150.0/28" } },
      "env-address-outside-network",
      "agents.firstHost",
      /k3s-test-agent-1 would get 192.168.150.20/,
    ],
    [
      "a gateway outside the network",
      { network: { cidr: "192.168.150.0/24", gateway: "192.168.151.1" } },
      "env-address-outside-network",
      "network.gateway",
      /gateway/,
    ],
    [
      "two nodes on one address",
      { nodes: { "k3s-test-agent-2": { address: "192.168.150.20" } } },
      "env-duplicate-node",
      "nodes.k3s-test-agent-2.address",
      /k3s-test-agent-2 and k3s-test-agent-1 would both get 192.168.150.20/,
    ],
    [
      "server and agent ranges that overlap",
      { servers: { count: 3, firstHost: 18 } },
      "env-duplicate-node",
      "agents.firstHost",
      /would both get 192.168.150.20/,
    ],
    [
      "a node on the gateway",
      { nodes: { "k3s-test-server-1": { address: "192.168.150.1" } } },
      "env-duplicate-node",
      "nodes.k3s-test-server-1.address",
      /gateway/,
    ],
    [
      "two nodes with one MAC",
      {
        nodes: {
          "k3s-test-agent-1": { mac: "52:54:00:00:00:01" },
          "k3s-test-agent-2": { mac: "52:54:00:00:00:01" },
        },
      },
      "env-duplicate-node",
      "nodes.k3s-test-agent-2.mac",
      /MAC 52:54:00:00:00:01/,
    ],
    [
      "an override for a node that does not exist",
      { nodes: { "k3s-test-agent-3": { vcpu: 4 } } },
      "env-invalid",
      "nodes.k3s-test-agent-3",
      /^"k3s-test-agent-3" is not a node of this environment \(did you mean "k3s-test-agent-1"\?\)$/,
    ],
    [
      "libvirt's default network",
      { network: { cidr: "192.168.122.0/24" } },
      "env-network-collision",
      "network.cidr",
      /libvirt's default network/,
    ],
    [
      "the k3s pod network",
      { network: { cidr: "10.42.7.0/24" } },
      "env-network-collision",
      "network.cidr",
      /pod network 10.42.0.0\/16/,
    ],
    [
      "the k3s service network",
      { network: { cidr: "10.43.0.0/24" } },
      "env-network-collision",
      "network.cidr",
      /service network/,
    ],
    [
      "pod and service networks that overlap",
      { k3s: { clusterCidr: "10.0.0.0/8", serviceCidr: "10.43.0.0/16" } },
      "env-network-collision",
      "k3s.serviceCidr",
      /overlaps the pod network/,
    ],
    [
      "host bits in the CIDR",
      { network: { cidr: "192.168.150.7/24" } },
      "env-invalid",
      "network.cidr",
      /192.168.150.0\/24/,
    ],
    [
      "bridge mode without a bridge",
      { network: { mode: "bridge", cidr: "192.168.150.0/24" } },
      "env-invalid",
      "network.bridge",
      /bridge/,
    ],
    [
      "a second pool on libvirt's default directory",
      { pool: { path: "/var/lib/libvirt/images/" } },
      "env-invalid",
      "pool.path",
      /"default" pool/,
    ],
    [
      "a prefix too long for node names",
      { prefix: "a".repeat(60) },
      "env-invalid",
      "prefix",
      /63 characters/,
    ],
    [
      "a server-only key for agents",
      { k3s: { agentConfig: { "tls-san": ["x"] } } },
      "env-invalid",
      "k3s.agentConfig.tls-san",
      /server-only/,
    ],
    [
      "an unknown k3s key",
      { k3s: { serverConfig: { "no-such": true } } },
      "env-invalid",
      "k3s.serverConfig.no-such",
      /not a k3s server option/,
    ],
    [
      "a key homelab manages",
      { k3s: { serverConfig: { token: "mine" } } },
      "env-invalid",
      "k3s.serverConfig.token",
      /set by homelab/,
    ],
    [
      "an inline snippet is fine but a path snippet must be loaded",
      { servers: { count: 1, snippets: [{ path: "/nowhere/x.bu" }] } },
      "env-snippet-invalid",
      "servers.snippets.0.path",
      /was not loaded/,
    ],
  ];

  it.each(REFUSED)("refuses %s", (_name, input, code, path, message) => {
    const error = problemsOf(input);
    const problem = error.problems.find((p) => p.code === code);
    expect(problem, JSON.stringify(error.problems)).toBeDefined();
    expect(problem?.path.join(".")).toBe(path);
    expect(problem?.message).toMatch(message);
    expect(problem?.fix.length).toBeGreaterThan(10);
    expect(error.where?.file).toBe(FILE);
  });

  describe("the registration address and the DHCP and load-balancer ranges", () => {
    it("takes them from the environment, and keeps DHCP off bridge mode unless named", () => {
      const result = plan({
        network: {
          cidr: "192.168.150.0/24",
          registrationAddress: "192.168.150.5",
          dhcpRange: { start: "192.168.150.120", end: "192.168.150.140" },
          loadBalancerRange: { start: "192.168.150.150", end: "192.168.150.160" },
        },
      });
      expect(result.network).toMatchObject({
        registrationAddress: "192.168.150.5",
        dhcpRange: { start: "192.168.150.120", end: "192.168.150.140" },
        loadBalancerRange: { start: "192.168.150.150", end: "192.168.150.160" },
      });
      const bridge = plan({ network: { mode: "bridge", bridge: "br0", cidr: "192.168.1.0/24" } });
      expect(bridge.network.dhcpRange).toBeUndefined();
      expect(bridge.network.registrationAddress).toBe("192.168.1.9");
    });

    it.each<[string, Record<string, unknown>, ErrorCode, string, RegExp]>([
      [
        "registration address on a node",
        { registrationAddress: "192.168.150.10" },
        "env-address-conflict",
        "network.registrationAddress",
        /k3s-test-server-1's address/,
      ],
      [
        "registration address on the gateway",
        { registrationAddress: "192.168.150.1" },
        "env-address-conflict",
        "network.registrationAddress",
        /gateway/,
      ],
      [
        "registration address inside the load-balancer range",
        { registrationAddress: "192.168.150.210" },
        "env-address-conflict",
        "network.registrationAddress",
        /inside the load-balancer range/,
      ],
      [
        "registration address inside the DHCP range",
        { registrationAddress: "192.168.150.150" },
        "env-address-conflict",
        "network.registrationAddress",
        /inside the DHCP range/,
      ],
      [
        "registration address outside the network",
        { registrationAddress: "10.1.1.1" },
        "env-address-outside-network",
        "network.registrationAddress",
        /not a host address of 192.168.150.0\/24/,
      ],
      [
        "a DHCP range over the nodes",
        { dhcpRange: { start: "192.168.150.15", end: "192.168.150.30" } },
        "env-address-conflict",
        "network.dhcpRange",
        /contains the addresses of k3s-test-agent-1 \(192.168.150.20\), k3s-test-agent-2/,
      ],
      [
        "a load-balancer range over the DHCP range",
        { loadBalancerRange: { start: "192.168.150.190", end: "192.168.150.210" } },
        "env-address-conflict",
        "network.loadBalancerRange",
        /overlaps the DHCP range/,
      ],
      [
        "a range that ends before it starts",
        { loadBalancerRange: { start: "192.168.150.240", end: "192.168.150.230" } },
        "env-invalid",
        "network.loadBalancerRange.start",
        /after its end/,
      ],
      [
        "a range outside the network",
        { dhcpRange: { start: "192.168.151.10", end: "192.168.151.20" } },
        "env-address-outside-network",
        "network.dhcpRange",
        /not inside/,
      ],
    ])("refuses %s", (_name, network, code, path, message) => {
      const error = problemsOf({ network: { cidr: "192.168.150.0/24", ...network } });
      const found = error.problems.find((p) => p.path.join(".") === path);
      expect(found?.code).toBe(code);
      expect(found?.message).toMatch(message);
      expect(found?.fix).not.toBe("");
    });

    it("refuses defaults that do not fit a small network, naming the field to set", () => {
      const error = problemsOf({ network: { cidr: "192.168.150.0/26" }, agents: { count: 1 } });
      expect(error.problems.map((p) => [p.code, p.path.join(".")])).toEqual([
        ["env-address-outside-network", "network.cidr"],
        ["env-address-outside-network", "network.cidr"],
      ]);
      expect(error.problems[0]?.fix).toMatch(/network.dhcpRange/);
    });
  });

  it("reports every problem at once", () => {
    const error = problemsOf({
      servers: { count: 1, memoryMiB: 512 },
      network: { cidr: "192.168.122.0/24" },
      nodes: { nope: {} },
    });
    expect(error.problems.map((p) => p.code).sort()).toEqual([
      "env-invalid",
      "env-memory-too-low",
      "env-network-collision",
    ]);
    expect(error.details).toHaveLength(3);
  });

  describe("on several hosts (src/placement merged into the plan)", () => {
    const hosts = {
      hv1: { uri: "qemu:///system", bridge: "br-a" },
      hv2: { uri: "qemu+ssh://hv2/system", bridge: "br-b" },
      hv3: { uri: "qemu+ssh://hv3/system", bridge: "br-c" },
    };
    const bridged = { network: { cidr: "192.168.150.0/24", mode: "bridge" }, hosts };

    it("gives every node its host, and keeps each host's bridge and pool", () => {
      const result = plan({ ...bridged, servers: { count: 3 }, agents: { count: 3 } });
      expect(result.multiHost).toBe(true);
      expect(result.hosts.map((h) => [h.name, h.bridge])).toEqual([
        ["hv1", "br-a"],
        ["hv2", "br-b"],
        ["hv3", "br-c"],
      ]);
      expect(Object.fromEntries(result.nodes.map((n) => [n.name, n.host]))).toEqual({
        "k3s-test-server-1": "hv1",
        "k3s-test-server-2": "hv2",
        "k3s-test-server-3": "hv3",
        "k3s-test-agent-1": "hv3",
        "k3s-test-agent-2": "hv1",
        "k3s-test-agent-3": "hv2",
      });
      expect(result.pool).toEqual(result.hosts[0]?.pool);
      expect(result.warnings).toEqual([]);
    });

    it("puts an environment without hosts on its one implicit host", () => {
      const result = plan();
      expect(result.multiHost).toBe(false);
      expect(result.hosts.map((h) => [h.name, h.implicit])).toEqual([["default", true]]);
      expect(new Set(result.nodes.map((n) => n.host))).toEqual(new Set(["default"]));
    });

    it("merges placement's warnings, located at their field", () => {
      const result = plan({ ...bridged, hosts: { hv1: hosts.hv1, hv2: hosts.hv2 }, servers: { count: 3 } });
      expect(result.warnings.map((w) => w.where?.path)).toContain("hosts");
      expect(result.warnings.find((w) => w.where?.path === "hosts")?.message).toMatch(
        /cannot survive the loss of host hv1.*Add a third host/,
      );
    });

    it.each<[string, Record<string, unknown>, ErrorCode, string]>([
      ["NAT across hosts", { hosts }, "env-multi-host-nat", "network.mode"],
      [
        "a pin to an unknown host",
        { ...bridged, nodes: { "k3s-test-agent-1": { host: "hv9" } } },
        "env-host-unknown",
        "nodes.k3s-test-agent-1.host",
      ],
      [
        "two hosts with one URI",
        { ...bridged, hosts: { ...hosts, hv3: { uri: "qemu:///system", bridge: "br0" } } },
        "env-host-duplicate",
        "hosts.hv3.uri",
      ],
    ])("refuses %s through the plan", (_what, input, code, path) => {
      const error = problemsOf(input);
      expect(error.problems.map((p) => [p.code, p.path.join(".")])).toContainEqual([code, path]);
    });

    it("reports a pin for a node that does not exist once, at nodes.<name>", () => {
      const error = problemsOf({ ...bridged, nodes: { "k3s-test-agent-9": { host: "hv1" } } });
      expect(error.problems.map((p) => [p.code, p.path.join(".")])).toEqual([
        ["env-invalid", "nodes.k3s-test-agent-9"],
      ]);
    });

    it("needs no network.bridge when every host names its own", () => {
      expect(() => plan(bridged)).not.toThrow();
      const error = problemsOf({ ...bridged, hosts: { hv1: { uri: "qemu:///system" }, hv2: hosts.hv2 } });
      expect(error.problems.map((p) => [p.code, p.path.join(".")])).toEqual([
        ["env-invalid", "hosts.hv1.bridge"],
      ]);
    });
  });

  describe("with sibling environments", () => {
    const sibling = (input: Record<string, unknown>): SiblingEnvironment => ({
      file: "environments/other.ts",
      environment: environment({
        name: "other",
        prefix: "k3s-other",
        network: { cidr: "192.168.160.0/24" },
        ...input,
      }),
    });

    it("accepts siblings on their own network and prefix", () => {
      expect(plan({}, [sibling({})]).warnings).toEqual([]);
    });

    it("warns about an overlapping network (the sibling may never run on this host)", () => {
      const result = plan({}, [sibling({ network: { cidr: "192.168.0.0/16" } })]);
      expect(result.warnings).toHaveLength(1);
      expect(result.warnings[0]?.where).toEqual({ file: FILE, path: "network.cidr" });
      expect(result.warnings[0]?.message).toContain("environments/other.ts");
    });

    it("warns about a shared prefix", () => {
      const result = plan({}, [sibling({ prefix: "k3s-test" })]);
      expect(result.warnings.map((w) => w.where?.path)).toEqual(["prefix"]);
    });

    it("ignores itself among the siblings", () => {
      expect(plan({}, [{ file: FILE, environment: environment() }]).warnings).toEqual([]);
    });
  });
});
