import { z } from "zod";

/**
 * The environment schema: what `environments/<env>.ts` may say. It is the single source of
 * truth for validation, for the TypeScript types (`EnvironmentInput`, `Environment`) and for
 * the generated JSON Schema (`schema/environment.schema.json`). Every default lives here.
 *
 * Required: `name`, `prefix`, `network.cidr`. Everything else has a default, so a hand-written
 * environment can be as small as `{ name, prefix, servers: { count: 1 }, agents: { count: 0 },
 * network: { cidr }, ssh: { authorizedKeys: [] } }`. Checks that need more than one field
 * (addresses inside the network, duplicates, memory minimums, k3s keys) run in `planCluster`.
 */

const DNS_LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsLabel = (what: string) =>
  z
    .string({ error: `expected a string (${what})` })
    .regex(
      DNS_LABEL,
      `expected a DNS label: lowercase letters, digits and '-', starting with a letter, at most 63 characters`,
    );

const ipv4 = z.ipv4({ error: "expected an IPv4 address such as 192.168.140.10" });
const cidr = z.cidrv4({ error: "expected an IPv4 network in CIDR notation such as 192.168.140.0/24" });
const mac = z
  .string({ error: "expected a MAC address string" })
  .regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/, "expected a lowercase MAC address such as 52:54:00:12:34:56");
/**
 * An integer from `minimum` to `maximum`. The upper bounds are far above any homelab and keep a
 * typo (`count: 1000000`) from planning a million nodes: they are documented in the JSON Schema.
 */
const integer = (minimum: number, maximum: number, why: string) =>
  z
    .number({ error: `expected an integer ≥ ${minimum}` })
    .int(`expected an integer ≥ ${minimum}`)
    .min(minimum, `expected an integer ≥ ${minimum}`)
    .max(maximum, `expected at most ${maximum} (${why})`);

/** etcd: "an etcd cluster probably should have no more than seven nodes" (https://etcd.io/docs/v3.5/faq/). */
const MAX_SERVERS = 7;
const MAX_AGENTS = 250;
const vcpus = () => integer(1, 256, "virtual CPUs per VM");
const memory = () => integer(1, 1_048_576, "1 TiB per VM");
const disk = () => integer(1, 16_384, "16 TiB per VM");
const firstHost = () => integer(1, 65_534, "the largest host number of a /16 network");

/** Kubernetes label `key=value` (key may have a DNS prefix, e.g. `topology.kubernetes.io/zone=a`). */
const LABEL =
  /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
/** Kubernetes taint `key[=value]:Effect`. */
const TAINT =
  /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?(=([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?)?:(NoSchedule|PreferNoSchedule|NoExecute)$/;
const label = z
  .string({ error: "expected a string" })
  .regex(LABEL, 'expected a Kubernetes label "key=value", e.g. "disk=ssd"');
const taint = z
  .string({ error: "expected a string" })
  .regex(TAINT, 'expected a Kubernetes taint "key=value:Effect", e.g. "dedicated=db:NoSchedule"');

/** A Butane fragment merged into the generated config of every node of a pool (as Typhoon's snippets). */
export const SnippetSchema = z.union(
  [
    z.string().min(1).describe("Butane YAML text (with its own `variant: flatcar` and `version`)"),
    z.strictObject({ path: z.string().min(1).describe("a .bu file, relative to the environment file") }),
  ],
  { error: 'expected Butane text or { path: "snippets/x.bu" }' },
);

const PoolFields = {
  labels: z
    .array(label)
    .default([])
    .describe("extra Kubernetes node labels (key=value) for every node of the pool"),
  taints: z
    .array(taint)
    .default([])
    .describe("Kubernetes taints (key=value:Effect) for every node of the pool"),
  snippets: z.array(SnippetSchema).default([]).describe("Butane snippets merged into every node of the pool"),
};

export const ServerPoolSchema = z.strictObject({
  // 0 passes the schema so that planning can refuse it with its own code (env-no-server).
  count: integer(0, MAX_SERVERS, "etcd recommends at most 7 members; use agents for more capacity")
    .default(1)
    .describe(
      "number of k3s servers, 1 to 7; odd numbers keep etcd quorum (3 for HA). etcd advises at most 7 members",
    ),
  vcpu: vcpus().default(2).describe("virtual CPUs per server"),
  memoryMiB: memory()
    .default(4096)
    .describe("memory per server in MiB; k3s needs at least 2048 (docs.k3s.io/installation/requirements)"),
  diskGiB: disk()
    .default(20)
    .describe("root disk per server in GiB (a copy-on-write overlay on the Flatcar image)"),
  ...PoolFields,
  firstHost: firstHost()
    .default(10)
    .describe("host number of the first server's address; the next servers count up"),
});

export const AgentPoolSchema = z.strictObject({
  count: integer(0, MAX_AGENTS, `homelab runs at most ${MAX_AGENTS} agents on one host`)
    .default(0)
    .describe(`number of k3s agents, 0 to ${MAX_AGENTS}`),
  vcpu: vcpus().default(2).describe("virtual CPUs per agent"),
  memoryMiB: memory()
    .default(2048)
    .describe("memory per agent in MiB; k3s needs at least 512 (docs.k3s.io/installation/requirements)"),
  diskGiB: disk()
    .default(20)
    .describe("root disk per agent in GiB (a copy-on-write overlay on the Flatcar image)"),
  ...PoolFields,
  firstHost: firstHost()
    .default(20)
    .describe("host number of the first agent's address; the next agents count up"),
});

export const NodeOverrideSchema = z.strictObject({
  vcpu: vcpus().optional(),
  memoryMiB: memory().optional(),
  diskGiB: disk().optional(),
  address: ipv4.optional().describe("fixed IPv4 address instead of the pool's next one"),
  mac: mac.optional().describe("MAC address instead of the derived one"),
  labels: z.array(label).optional().describe("extra labels, added to the pool's"),
  taints: z.array(taint).optional().describe("extra taints, added to the pool's"),
  snippets: z.array(SnippetSchema).optional().describe("extra Butane snippets, after the pool's"),
  host: dnsLabel("nodes.<name>.host")
    .optional()
    .describe("pin the node to this entry of `hosts` instead of the automatic placement"),
});

/** A Linux network interface name (IFNAMSIZ: at most 15 characters). */
const interfaceName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,15}$/, "expected a Linux interface name such as br0");

/** An inclusive range of IPv4 addresses, e.g. { start: "192.168.140.100", end: "192.168.140.199" }. */
export const AddressRangeSchema = z.strictObject({
  start: ipv4.describe("first address of the range"),
  end: ipv4.describe("last address of the range (inclusive)"),
});

export const NetworkSchema = z.strictObject({
  mode: z
    .enum(["nat", "bridge"], { error: 'expected "nat" or "bridge"' })
    .default("nat")
    .describe(
      "nat: a libvirt NAT network homelab creates; bridge: attach to an existing host bridge with static addresses",
    ),
  cidr: cidr.describe(
    "the nodes' IPv4 network; must not overlap 192.168.122.0/24 (libvirt's default) or other environments",
  ),
  name: dnsLabel("network.name")
    .optional()
    .describe("libvirt network name (nat mode); default `<prefix>-net`"),
  bridge: interfaceName.optional().describe("host bridge device (bridge mode), e.g. br0; required there"),
  gateway: ipv4.optional().describe("default gateway; default the network's first host address"),
  dns: z.array(ipv4).optional().describe("DNS servers for the nodes; default the gateway"),
  domain: z
    .string()
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
      "expected a DNS domain such as dev.home.arpa",
    )
    .optional()
    .describe("DNS domain of the nodes, e.g. dev.home.arpa"),
  registrationAddress: ipv4
    .optional()
    .describe(
      "the cluster's fixed registration address: a virtual IP the servers announce (kube-vip, ARP), used by " +
        "joining nodes, the kubeconfig and homelab's waits, so that no single server is needed; default host .9 " +
        "of the network. Outside the node, DHCP and load-balancer ranges",
    ),
  dhcpRange: AddressRangeSchema.optional().describe(
    "dynamic DHCP range. nat: homelab's libvirt network hands these out (first boot fetches k3s from the " +
      "initramfs, which uses DHCP, before the node's static address applies); default hosts .100-.199. " +
      "bridge: your LAN's DHCP pool, if you want homelab to check that nothing collides with it",
  ),
  loadBalancerRange: AddressRangeSchema.optional().describe(
    "addresses for LoadBalancer services (MetalLB in kubernetes/infrastructure/configs): kept clear of nodes, " +
      "the registration address and DHCP; default hosts .200-.250",
  ),
});

export const PoolSchema = z.strictObject({
  name: dnsLabel("pool.name").optional().describe("libvirt storage pool name; default `<prefix>`"),
  path: z
    .string()
    .regex(/^\/[^\n]*$/, "expected an absolute path")
    .optional()
    .describe(
      "directory of the pool homelab creates; default /var/lib/libvirt/homelab/<prefix>. " +
        'Not /var/lib/libvirt/images: libvirt\'s `default` pool owns it — set `existing: true, name: "default"` instead',
    ),
  existing: z
    .boolean()
    .default(false)
    .describe("true: use an existing pool called `name` (e.g. default) instead of creating one"),
});

/**
 * One libvirt host of a multi-host environment. Without `hosts` an environment lives on the
 * single host of `libvirt.uri`, with `pool` and `network.bridge`, exactly as before.
 */
export const HostSchema = z.strictObject({
  uri: z
    .string({ error: "expected a libvirt connection URI string" })
    .regex(
      /^[a-z][a-z0-9+.-]*:\/\/[^\s]*$/,
      "expected a libvirt URI such as qemu:///system or qemu+ssh://user@host/system",
    )
    .describe("libvirt connection URI of the host, e.g. qemu+ssh://core@hv2.home.arpa/system"),
  pool: PoolSchema.optional().describe("the host's storage pool; default the environment's `pool`"),
  bridge: interfaceName.optional().describe("the host's bridge device (bridge mode); default network.bridge"),
});

export const ArtifactsSchema = z.strictObject({
  airgapImages: z
    .boolean()
    .optional()
    .describe(
      "deliver k3s's air-gap image archive (k3s-airgap-images-amd64.tar.zst) to every node; default `offline`",
    ),
  addonImages: z
    .boolean()
    .optional()
    .describe(
      "deliver the container images of homelab's own add-ons (kube-vip, which announces the registration address) " +
        "to the servers as image archives pinned by digest in the lock; default `offline`",
    ),
});

export const FlatcarSchema = z.strictObject({
  channel: z
    .enum(["stable", "beta", "alpha", "lts"], { error: 'expected "stable", "beta", "alpha" or "lts"' })
    .default("stable")
    .describe("Flatcar release channel (also the update group)"),
  version: z
    .string()
    .regex(/^\d+\.\d+\.\d+$/, "expected a Flatcar version such as 4230.2.3")
    .optional()
    .describe("pinned Flatcar version; default homelab's pin for the channel"),
});

/**
 * Flatcar updates. Every node downloads and stages updates by itself (update-engine); what
 * changes is who reboots into them. Flatcar's own reboot manager is always off (update.conf
 * `REBOOT_STRATEGY=off`, locksmithd masked); with "reboot", kured — installed by k3s on every
 * server — reboots one node at a time cluster-wide, drained first, inside `window` (src/reboots).
 */
export const UpdatesSchema = z.strictObject({
  strategy: z
    .enum(["reboot", "off"], {
      error:
        'expected "reboot" (kured reboots one node at a time, drained, inside the window) or "off" (no reboots)',
    })
    .optional()
    .describe(
      "who reboots nodes into staged Flatcar updates: reboot = kured, one node at a time cluster-wide, drained first, " +
        "inside `window`; off = nobody (updates still download and take effect at the next reboot of any kind). " +
        'Default "reboot", or "off" when the environment is `offline` (no updates to fetch, no kured chart to pull). ' +
        "Flatcar's own reboot manager (locksmithd) is off either way",
    ),
  window: z
    .strictObject({
      start: z
        .string()
        .regex(
          /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([01]\d|2[0-3]):[0-5]\d$/,
          'expected a day and time such as "Sun 04:00"',
        )
        .describe("day and time the window opens, in UTC (nodes run on UTC), e.g. Sun 03:00"),
      length: z
        .string()
        .regex(/^\d+[hm]$/, 'expected a duration such as "1h" or "30m"')
        .describe("how long it stays open, 1m to 24h, e.g. 3h; it may cross midnight"),
    })
    .optional()
    .describe(
      "weekly window, in UTC, inside which kured may start a node's reboot (one node at a time); omit to reboot whenever an update is staged",
    ),
});

const K3sValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())], {
  error: "expected a string, number, boolean or list of strings",
});

export const K3sSchema = z.strictObject({
  version: z
    .string()
    .regex(/^v\d+\.\d+\.\d+\+k3s\d+$/, "expected a k3s version such as v1.34.2+k3s1")
    .optional()
    .describe("pinned k3s version; default homelab's pin"),
  disable: z
    .array(z.string().regex(/^[a-z0-9-]+$/, "expected a k3s component name such as traefik"))
    .default(["traefik", "servicelb"])
    .describe("bundled k3s components to disable (Flux installs Traefik instead)"),
  flannelBackend: z
    .enum(["vxlan", "host-gw", "wireguard-native", "none"])
    .default("host-gw")
    .describe("flannel backend; host-gw needs all nodes on one L2 network, as here"),
  kubeconfigMode: z
    .string()
    .regex(/^0[0-7]{3}$/, 'expected an octal mode such as "0600"')
    .default("0600")
    .describe("mode of /etc/rancher/k3s/k3s.yaml on servers; 0600 keeps admin credentials root-only"),
  clusterCidr: cidr.default("10.42.0.0/16").describe("pod network"),
  serviceCidr: cidr.default("10.43.0.0/16").describe("service network"),
  serverConfig: z
    .record(z.string(), K3sValue)
    .default({})
    .describe("extra config.yaml keys for servers, checked against the flags `k3s server` accepts"),
  agentConfig: z
    .record(z.string(), K3sValue)
    .default({})
    .describe("extra config.yaml keys for agents, checked against the flags `k3s agent` accepts"),
});

export const GitOpsSchema = z.strictObject({
  url: z
    .string()
    .regex(/^(https:\/\/|ssh:\/\/)/, "expected an https:// or ssh:// Git URL")
    .describe("Git repository Flux syncs from; ssh:// URLs use a deploy key homelab generates"),
  branch: z.string().min(1).default("main"),
  path: z.string().optional().describe("path in the repository; default kubernetes/clusters/<name>"),
  interval: z
    .string()
    .regex(/^\d+[smh]$/, 'expected a duration such as "1m"')
    .default("1m")
    .describe("how often Flux checks the repository"),
  knownHosts: z
    .array(z.string().min(1))
    .optional()
    .describe(
      "SSH host keys of the Git server (known_hosts lines, as ssh-keyscan prints them) for ssh:// URLs; github.com and gitlab.com are built in",
    ),
});

export const MachineSchema = z.strictObject({
  type: z
    .enum(["kvm", "qemu"], { error: 'expected "kvm" or "qemu"' })
    .default("kvm")
    .describe("libvirt domain type: kvm (hardware virtualisation) or qemu (software emulation, slow)"),
});

export const EnvironmentSchema = z
  .strictObject({
    $schema: z.string().optional().describe("JSON Schema reference for editors (ignored)"),
    name: dnsLabel("name").describe("environment name, used for state, kubeconfig and context names"),
    prefix: dnsLabel("prefix").describe(
      "prefix of every libvirt object and node name (<prefix>-server-1, …)",
    ),
    description: z.string().optional(),
    libvirt: z
      .strictObject({ uri: z.string().min(1).default("qemu:///system").describe("libvirt connection URI") })
      .prefault({}),
    pool: PoolSchema.prefault({}),
    network: NetworkSchema,
    machine: MachineSchema.prefault({}),
    servers: ServerPoolSchema.prefault({}),
    agents: AgentPoolSchema.prefault({}),
    nodes: z
      .record(z.string(), NodeOverrideSchema)
      .default({})
      .describe("per-node overrides, keyed by node name (e.g. k3s-dev-agent-2)"),
    ssh: z
      .strictObject({
        authorizedKeys: z
          .array(z.string().min(1, "expected a key line or a path"))
          .default([])
          .describe(
            "SSH public keys for user core: key lines, or paths to .pub files (~ and paths relative to the environment file). " +
              "homelab's own key is always added",
          ),
      })
      .prefault({}),
    flatcar: FlatcarSchema.prefault({}),
    updates: UpdatesSchema.prefault({}),
    k3s: K3sSchema.prefault({}),
    gitops: GitOpsSchema.optional().describe("Flux GitOps; without it nothing Flux-related is rendered"),
    hosts: z
      .record(
        z.string().regex(DNS_LABEL, "expected a host name that is a DNS label, such as hv1"),
        HostSchema,
      )
      .optional()
      .describe(
        "the libvirt hosts of a multi-host environment by name, in placement order (add new hosts at the end); " +
          "without it the environment uses libvirt.uri, pool and network.bridge",
      ),
    offline: z
      .boolean()
      .default(false)
      .describe(
        "nodes need no internet at first boot: k3s, Flux's manifest and the air-gap images come from the artifact volume",
      ),
    artifacts: ArtifactsSchema.optional().describe(
      "what homelab delivers to the nodes from its artifact cache",
    ),
  })
  .describe("A homelab environment: a k3s cluster of Flatcar VMs on libvirt");

/** What an environment file may contain (defaults optional). */
export type EnvironmentInput = z.input<typeof EnvironmentSchema>;
/** A validated environment with every default filled in. */
export type Environment = z.output<typeof EnvironmentSchema>;
export type Snippet = z.output<typeof SnippetSchema>;
export type NodeOverride = z.output<typeof NodeOverrideSchema>;
export type Host = z.output<typeof HostSchema>;
