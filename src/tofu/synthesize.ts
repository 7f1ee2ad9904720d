import { ARTIFACT_DISK_SERIAL } from "../artifacts/node-install.js";
import type { HostPlan } from "../placement/types.js";
import type { ClusterPlan } from "../plan/types.js";
import {
  baseImageAddress,
  LIBVIRT_TYPES,
  type ResourceKind,
  resourceAddress,
  resourceName,
} from "./names.js";
import { LIBVIRT_PROVIDER } from "./provider.js";
import {
  expr,
  type TfJsonDocument,
  type TfMoved,
  type TfResourceBody,
  type TfValue,
  type TfVariable,
} from "./tf-json.js";

/**
 * Synthesizes the OpenTofu configuration (`main.tf.json`) of one rollout step for the
 * dmacvicar/libvirt provider 0.9.7. Pure: same plan and options, same document.
 *
 * Resource graph (node resources are `for_each` over `local.nodes`, keyed by node name; base
 * volumes over `local.base_images`, keyed by Flatcar release; artifact volumes over
 * `local.artifact_volumes`, keyed by content):
 *
 *   libvirt_pool.cluster ─┬─► libvirt_volume.flatcar_base[release] ─► libvirt_volume.disk[n] ─┐
 *                         ├─► libvirt_volume.ignition[n] ────────────────────────────────────┼─► libvirt_domain.node[n]
 *                         └─► libvirt_volume.artifacts[key] (read-only disk) ───────────────┤
 *   libvirt_network.cluster ─────────────────────────────────────────────────────────────────┘
 *
 * On several hosts (`plan.multiHost`) the graph exists once per host that has nodes, every
 * block named `<name>_<host>` with `provider = "libvirt.<host>"` (a block's provider cannot
 * vary per instance), fed from `local.nodes_<host>` and friends. One host keeps the plain names
 * and the one unaliased provider: a single-host environment renders exactly as before.
 *
 * Ignition runs once, at first boot. So a node whose Ignition changes must be rebuilt, never
 * patched: the Ignition volume's name carries a hash of the file, a new hash replaces the
 * volume, and `replace_triggered_by` carries that replacement to the node's disk and domain —
 * and to nothing else. The disk's name carries its size and Flatcar release, so a new size or
 * release replaces the disk (and the domain). Which nodes get their new facts in this step is
 * the rollout's decision (src/rollout): every other node is written exactly as it was applied.
 */
export interface TofuSynthesisOptions {
  /**
   * Absolute path of the environment's OpenTofu state file (`stateLayout(stateDir).tofuState`).
   * Written into the local backend, so even a hand-run `tofu apply` in the render directory
   * keeps state outside it.
   */
  readonly statePath: string;
  /** The nodes of this step, with the facts their resources get (rollout `emitted`). */
  readonly nodes: readonly SynthesizedNode[];
  /**
   * The Flatcar base volumes the step's nodes use, by release key. The environment's own release
   * uploads `var.flatcar_image` (default `imagePath`); older releases still in use keep theirs.
   * Each host gets the releases its nodes use.
   */
  readonly baseImages: readonly BaseImage[];
  /**
   * The artifact volumes the step's nodes attach (none: nodes download k3s themselves). The
   * current one is uploaded from homelab's cache; older ones stay while a node still uses them.
   */
  readonly artifactVolumes?: readonly ArtifactVolume[];
  /** A base volume applied before base volumes were keyed: its state moves to this key. */
  readonly unkeyedBaseImage?: string;
  /**
   * Resource moves between host layouts (one host → several, several → one): state that keeps
   * its machine under a new address. Computed from the applied state (src/render/host-layout.ts).
   */
  readonly moved?: readonly TfMoved[];
  /**
   * Provider configurations that resources recorded in the state still need until OpenTofu has
   * moved or destroyed them: the unaliased `libvirt` (resources of the single-host layout, on
   * the first host) and aliases of hosts whose blocks the layout no longer has.
   */
  readonly stateProviders?: { readonly unaliased: boolean; readonly aliases: readonly string[] };
}

export interface SynthesizedNode {
  readonly name: string;
  readonly role: string;
  readonly ignitionVolume: string;
  readonly diskVolume: string;
  readonly diskBytes: number;
  readonly baseImage: string;
  readonly vcpu: number;
  readonly memoryKiB: number;
  readonly mac: string;
  /** The host whose blocks hold the node's resources; default the plan's first host. */
  readonly host?: string;
  /** Key of the artifact volume attached read-only; undefined: none (k3s is downloaded). */
  readonly artifactVolume?: string;
}

export interface BaseImage {
  readonly key: string;
  readonly volumeName: string;
  /** Absolute path of the qcow2 image on the machine that runs OpenTofu. */
  readonly imagePath: string;
  /** The environment's pinned release: its source is `var.flatcar_image`. */
  readonly current: boolean;
}

export interface ArtifactVolume {
  /** The for_each key: the first 12 hex digits of the volume's content key. */
  readonly key: string;
  readonly volumeName: string;
  /** Absolute path of the volume image (homelab's cache) on the machine that runs OpenTofu. */
  readonly sourcePath: string;
  /** The environment's current artifacts: uploaded to every host with nodes. */
  readonly current: boolean;
}

/** QEMU's fw_cfg key Flatcar's Ignition reads its config from. */
export const FLATCAR_FW_CFG_NAME = "opt/org.flatcar-linux/config";

/** A node's rendered Ignition file next to main.tf.json, as an HCL string inside an expression. */
const ignitionFile = `"\${path.module}/ignition/\${each.key}.ign"`;

/** One host's share of the configuration: its blocks, locals and provider. */
interface HostBlock {
  readonly host: HostPlan;
  /** The host suffix of its names (`node_hv1`); undefined on a single host. */
  readonly block: string | undefined;
  readonly nodes: readonly SynthesizedNode[];
  readonly baseImages: readonly BaseImage[];
  readonly artifactVolumes: readonly ArtifactVolume[];
}

const localName = (name: string, block: string | undefined) =>
  block === undefined ? name : `${name}_${block}`;
const ref = (kind: ResourceKind, block: string | undefined) => resourceAddress(kind, block);

/** The reference to the pool's name: through the resource when homelab creates the pool. */
function poolReference(host: HostBlock): string {
  const pool = host.host.pool;
  return pool.existing ? pool.name : expr(`${ref("pool", host.block)}.name`);
}

/** `provider = "libvirt.<host>"` on several hosts; nothing on one. */
function providerOf(host: HostBlock): { provider?: string } {
  return host.block === undefined ? {} : { provider: `libvirt.${host.block}` };
}

/** Whether the nodes of a block are all with, all without, or mixed as to an artifact volume. */
function artifactShape(nodes: readonly SynthesizedNode[]): "none" | "all" | "mixed" {
  const withVolume = nodes.filter((node) => node.artifactVolume !== undefined).length;
  if (withVolume === 0) return "none";
  return withVolume === nodes.length ? "all" : "mixed";
}

function nodeLocal(node: SynthesizedNode, shape: "none" | "all" | "mixed", multiHost: boolean): TfValue {
  return {
    role: node.role,
    ignition_volume: node.ignitionVolume,
    disk_volume: node.diskVolume,
    disk_bytes: node.diskBytes,
    base_image: node.baseImage,
    vcpu: node.vcpu,
    memory_kib: node.memoryKiB,
    mac: node.mac,
    // Every node of a mixed block has the attribute (null without a volume): each.value must
    // have one shape for the expression that adds the disk.
    ...(shape === "none" ? {} : { artifact_volume: node.artifactVolume ?? null }),
    ...(multiHost && node.host !== undefined ? { host: node.host } : {}),
  };
}

function variables(plan: ClusterPlan, options: TofuSynthesisOptions): Record<string, TfVariable> {
  const current = options.baseImages.find((image) => image.current);
  const first = plan.hosts[0];
  return {
    flatcar_image: {
      description:
        "Path of the Flatcar qcow2 image of the environment's pinned release, on the machine that runs OpenTofu, " +
        "uploaded once as that release's base volume. Default: the verified image in homelab's cache. Changing it " +
        "later does not rebuild nodes (a base volume ignores its source once created); a new release does, one node at a time.",
      type: "string",
      default: current?.imagePath ?? "",
      nullable: false,
    },
    domain_type: {
      description:
        "libvirt domain type: kvm (hardware virtualisation) or qemu (software emulation, slow; " +
        "for hosts without /dev/kvm). Default: the environment's machine.type.",
      type: "string",
      default: plan.environment.machine.type,
      nullable: false,
      validation: [
        {
          condition: expr(`contains(["kvm", "qemu"], var.domain_type)`),
          error_message: 'domain_type must be "kvm" or "qemu".',
        },
      ],
    },
    ...(plan.multiHost
      ? {
          libvirt_uris: {
            description:
              "libvirt connection URI of each host, by host name (one provider alias per host). " +
              "Default: the environment's hosts.<name>.uri.",
            type: "map(string)",
            default: Object.fromEntries(plan.hosts.map((host) => [host.name, host.uri])),
            nullable: false,
          },
        }
      : {
          libvirt_uri: {
            description:
              first === undefined || first.implicit
                ? "libvirt connection URI. Default: the environment's libvirt.uri."
                : `libvirt connection URI. Default: the environment's hosts.${first.name}.uri.`,
            type: "string",
            default: first?.uri ?? plan.environment.libvirt.uri,
            nullable: false,
          },
        }),
  };
}

function providers(plan: ClusterPlan, options: TofuSynthesisOptions): Record<string, TfValue> {
  const extra = options.stateProviders ?? { unaliased: false, aliases: [] };
  if (!plan.multiHost) {
    const single = { uri: expr("var.libvirt_uri") };
    // Resources of a host's blocks from when the environment had several hosts, until they
    // move to the plain names: the one remaining host, under its alias.
    if (extra.aliases.length === 0) return { libvirt: single };
    return {
      libvirt: [single, ...extra.aliases.map((alias) => ({ alias, uri: expr("var.libvirt_uri") }))],
    };
  }
  const uriOf = (host: string) => expr(`var.libvirt_uris[${JSON.stringify(host)}]`);
  const first = plan.hosts[0]?.name ?? "";
  return {
    libvirt: [
      // The single-host layout's resources live on the first host until they have moved.
      ...(extra.unaliased ? [{ uri: uriOf(first) }] : []),
      ...plan.hosts.map((host) => ({ alias: host.name, uri: uriOf(host.name) })),
    ],
  };
}

function poolResource(host: HostBlock): TfResourceBody {
  return {
    "//": "The environment's storage pool: a directory libvirt creates (build), starts and autostarts.",
    ...providerOf(host),
    name: host.host.pool.name,
    type: "dir",
    target: { path: host.host.pool.path ?? "" },
    create: { build: true, start: true, autostart: true },
  };
}

function networkResource(plan: ClusterPlan): TfResourceBody {
  const network = plan.network;
  const hosts: TfValue[] = plan.nodes.map((node) => ({ mac: node.mac, ip: node.address, name: node.name }));
  const dhcp: Record<string, TfValue> = { hosts };
  if (network.dhcpRange) dhcp.ranges = [{ start: network.dhcpRange.start, end: network.dhcpRange.end }];
  const body: Record<string, TfValue | TfResourceBody["lifecycle"]> = {
    "//":
      "NAT network with a dynamic DHCP range (a node's first boot fetches k3s from the initramfs, which uses " +
      "DHCP, before its static address applies; any node, added at any time, gets a lease) and one reservation " +
      "per node of day one. ips is ignored after creation: provider 0.9.7 cannot change a running network's DHCP " +
      "(it redefines only the persistent config and the apply fails), and replacing the network would disconnect " +
      "every VM. So the range must be right at creation; `homelab doctor` checks a live network for it.",
    name: network.libvirtNetworkName ?? "",
    autostart: true,
    forward: { mode: "nat" },
  };
  if (network.domain) body.domain = { name: network.domain, local_only: "yes" };
  body.ips = [{ address: network.gateway, prefix: network.prefixLength, dhcp }];
  body.lifecycle = { ignore_changes: ["ips"] };
  return body as TfResourceBody;
}

function baseImageResource(host: HostBlock): TfResourceBody {
  return {
    "//":
      "One Flatcar base volume per release in use, uploaded once; every node disk is a copy-on-write overlay on " +
      "one of them. A new pin adds a volume and the nodes move to it one at a time; the old one goes with its " +
      "last node. The upload source is ignored after creation: moving the image cache must not rebuild the cluster.",
    ...providerOf(host),
    for_each: expr(`local.${localName("base_images", host.block)}`),
    name: expr("each.value.name"),
    pool: poolReference(host),
    target: { format: { type: "qcow2" } },
    create: { content: { url: expr("each.value.source") } },
    lifecycle: { ignore_changes: ["create"] },
  };
}

function artifactVolumeResource(host: HostBlock): TfResourceBody {
  return {
    "//":
      "The artifact volume: k3s (and Flux's manifest, the air-gap images) as a read-only raw disk, a ustar " +
      "archive built by homelab from its verified cache; a first-boot unit installs from it after checking every " +
      "hash against the node's Ignition. Named by its content: a new content is a new volume, uploaded once per " +
      "host, and an old one stays while a node still attaches it. The upload source is ignored after creation.",
    ...providerOf(host),
    for_each: expr(`local.${localName("artifact_volumes", host.block)}`),
    name: expr("each.value.name"),
    pool: poolReference(host),
    target: { format: { type: "raw" } },
    create: { content: { url: expr("each.value.source") } },
    lifecycle: { ignore_changes: ["create"] },
  };
}

function ignitionResource(host: HostBlock): TfResourceBody {
  return {
    "//":
      "Each node's Ignition, uploaded from ignition/<node>.ign into the pool, read by the VM through " +
      "fw_cfg. The name carries a hash of the file: new Ignition, new volume, and (replace_triggered_by) " +
      "a new disk and domain for that node only. Ignition runs once; a stale node is never left running. " +
      "The upload path is ignored after creation (the render directory may move).",
    ...providerOf(host),
    for_each: expr(`local.${localName("nodes", host.block)}`),
    name: expr("each.value.ignition_volume"),
    pool: poolReference(host),
    target: { format: { type: "raw" } },
    create: { content: { url: expr(`abspath(${ignitionFile})`) } },
    // The hash in the name is the content's identity; the upload path is not: moving or
    // re-cloning the render directory must not rebuild the cluster.
    lifecycle: { ignore_changes: ["create"] },
  };
}

function diskResource(host: HostBlock): TfResourceBody {
  return {
    "//":
      "Each node's root disk: a qcow2 overlay on its Flatcar release's base volume. Flatcar grows its root " +
      "filesystem to the disk at first boot. Its name carries size and release (a volume cannot change in place), " +
      "and a new Ignition replaces it too.",
    ...providerOf(host),
    for_each: expr(`local.${localName("nodes", host.block)}`),
    name: expr("each.value.disk_volume"),
    pool: poolReference(host),
    capacity: expr("each.value.disk_bytes"),
    target: { format: { type: "qcow2" } },
    backing_store: {
      path: expr(`${ref("baseImage", host.block)}[each.value.base_image].path`),
      format: { type: "qcow2" },
    },
    lifecycle: { replace_triggered_by: [`${ref("ignition", host.block)}[each.key]`] },
  };
}

function interfaceSource(plan: ClusterPlan, host: HostBlock): TfValue {
  if (plan.network.mode === "bridge")
    return { bridge: { bridge: host.host.bridge ?? plan.network.bridge ?? "" } };
  return {
    network: { network: expr(`${LIBVIRT_TYPES.network}.${resourceName("network", undefined)}.name`) },
  };
}

function rootDisk(host: HostBlock): Record<string, TfValue> {
  const disk = ref("disk", host.block);
  return {
    source: {
      volume: { pool: expr(`${disk}[each.key].pool`), volume: expr(`${disk}[each.key].name`) },
    },
    target: { dev: "vda", bus: "virtio" },
    driver: { name: "qemu", type: "qcow2" },
  };
}

function artifactDisk(host: HostBlock): Record<string, TfValue> {
  const volume = `${ref("artifacts", host.block)}[each.value.artifact_volume]`;
  return {
    source: { volume: { pool: expr(`${volume}.pool`), volume: expr(`${volume}.name`) } },
    target: { dev: "vdb", bus: "virtio" },
    driver: { name: "qemu", type: "raw" },
    read_only: true,
    serial: ARTIFACT_DISK_SERIAL,
  };
}

/**
 * The domain's disks. A block whose nodes all attach an artifact volume (or none does) lists
 * them literally. While the rollout holds back machines built before the volume existed, a
 * block mixes both; then one expression adds the artifact disk to the nodes that have one.
 * Both objects name the same attributes (null where unset), so they unify into one list type.
 */
function disks(host: HostBlock): TfValue {
  const shape = artifactShape(host.nodes);
  if (shape === "none") return [rootDisk(host)];
  if (shape === "all") return [rootDisk(host), artifactDisk(host)];
  const disk = ref("disk", host.block);
  const volume = `${ref("artifacts", host.block)}[each.value.artifact_volume]`;
  const object = (source: string, dev: string, type: string, readOnly: string, serial: string) =>
    `{ source = { volume = { pool = ${source}.pool, volume = ${source}.name } }, ` +
    `target = { dev = "${dev}", bus = "virtio" }, driver = { name = "qemu", type = "${type}" }, ` +
    `read_only = ${readOnly}, serial = ${serial} }`;
  return expr(
    `concat([${object(`${disk}[each.key]`, "vda", "qcow2", "null", "null")}], ` +
      `each.value.artifact_volume == null ? [] : [${object(volume, "vdb", "raw", "true", `"${ARTIFACT_DISK_SERIAL}"`)}])`,
  );
}

function domainResource(plan: ClusterPlan, host: HostBlock): TfResourceBody {
  const ignition = ref("ignition", host.block);
  const disk = ref("disk", host.block);
  return {
    "//":
      "One VM per node. Ignition reaches it through QEMU fw_cfg (needs ACPI); the serial console " +
      "makes `virsh console <node>` work. host-passthrough only with KVM: a qemu (TCG) domain with " +
      "it cannot start.",
    ...providerOf(host),
    for_each: expr(`local.${localName("nodes", host.block)}`),
    name: expr("each.key"),
    description: `homelab ${plan.environment.name}: k3s \${each.value.role}. Ignition runs once: replace, do not edit.`,
    type: expr("var.domain_type"),
    vcpu: expr("each.value.vcpu"),
    memory: expr("each.value.memory_kib"),
    memory_unit: "KiB",
    running: true,
    autostart: true,
    os: { type: "hvm", boot_devices: [{ dev: "hd" }] },
    features: { acpi: true },
    cpu: expr(`var.domain_type == "kvm" ? { mode = "host-passthrough" } : null`),
    sys_info: [
      {
        fw_cfg: {
          entry: [
            {
              name: FLATCAR_FW_CFG_NAME,
              file: expr(`${ignition}[each.key].path`),
              value: "",
            },
          ],
        },
      },
    ],
    devices: {
      disks: disks(host),
      interfaces: [
        {
          mac: { address: expr("each.value.mac") },
          model: { type: "virtio" },
          source: interfaceSource(plan, host),
        },
      ],
      consoles: [{ target: { type: "serial", port: 0 } }],
    },
    lifecycle: {
      replace_triggered_by: [`${ignition}[each.key]`, `${disk}[each.key]`],
    },
  };
}

function baseImagesLocal(host: HostBlock): TfValue {
  return Object.fromEntries(
    host.baseImages.map((image) => [
      image.key,
      { name: image.volumeName, source: image.current ? expr("var.flatcar_image") : image.imagePath },
    ]),
  );
}

function artifactVolumesLocal(host: HostBlock): TfValue {
  return Object.fromEntries(
    host.artifactVolumes.map((volume) => [
      volume.key,
      { name: volume.volumeName, source: volume.sourcePath },
    ]),
  );
}

/**
 * Which host blocks the document has, with what. One host: one block with every node, the
 * current base image (and artifact volume) always, as before. Several: a block per host that
 * has nodes in this step, with the releases and artifact volumes its nodes use (and the
 * current ones); a host without nodes gets no resources, so removing it from `hosts` later
 * leaves nothing behind that would need its provider.
 */
function hostBlocks(plan: ClusterPlan, options: TofuSynthesisOptions): HostBlock[] {
  const artifactVolumes = options.artifactVolumes ?? [];
  const first = plan.hosts[0];
  if (!plan.multiHost || first === undefined) {
    const host: HostPlan = first ?? {
      name: "default",
      uri: plan.environment.libvirt.uri,
      pool: plan.pool,
      ...(plan.network.bridge === undefined ? {} : { bridge: plan.network.bridge }),
      position: 0,
      implicit: true,
    };
    return [
      {
        host,
        block: undefined,
        nodes: options.nodes,
        baseImages: usedOrCurrent(options.baseImages, options.nodes, (n) => n.baseImage, true),
        artifactVolumes: usedOrCurrent(
          artifactVolumes,
          options.nodes,
          (n) => n.artifactVolume,
          options.nodes.some((n) => n.artifactVolume !== undefined) ||
            artifactVolumes.some((volume) => volume.current),
        ),
      },
    ];
  }
  return plan.hosts.flatMap((host) => {
    const nodes = options.nodes.filter((node) => (node.host ?? first.name) === host.name);
    if (nodes.length === 0) return [];
    const wantsArtifacts = nodes.some((node) => node.artifactVolume !== undefined);
    return [
      {
        host,
        block: host.name,
        nodes,
        baseImages: usedOrCurrent(options.baseImages, nodes, (n) => n.baseImage, true),
        artifactVolumes: usedOrCurrent(artifactVolumes, nodes, (n) => n.artifactVolume, wantsArtifacts),
      },
    ];
  });
}

/** The items the nodes use, and the current one when `withCurrent`, in the given order. */
function usedOrCurrent<T extends { readonly key: string; readonly current: boolean }>(
  items: readonly T[],
  nodes: readonly SynthesizedNode[],
  keyOf: (node: SynthesizedNode) => string | undefined,
  withCurrent: boolean,
): T[] {
  const used = new Set(nodes.map(keyOf));
  return items.filter((item) => used.has(item.key) || (withCurrent && item.current));
}

export function synthesizeTofu(plan: ClusterPlan, options: TofuSynthesisOptions): TfJsonDocument {
  const environment = plan.environment;
  const blocks = hostBlocks(plan, options);
  const resource: Record<string, Record<string, TfResourceBody>> = {};
  const add = (kind: ResourceKind, block: string | undefined, body: TfResourceBody) => {
    const type = resourceAddress(kind, block).split(".")[0] ?? "";
    resource[type] = { ...(resource[type] ?? {}), [resourceName(kind, block)]: body };
  };
  for (const host of blocks) if (!host.host.pool.existing) add("pool", host.block, poolResource(host));
  if (plan.network.mode === "nat")
    resource[LIBVIRT_TYPES.network] = { [resourceName("network", undefined)]: networkResource(plan) };
  for (const host of blocks) {
    add("baseImage", host.block, baseImageResource(host));
    if (host.artifactVolumes.length > 0) add("artifacts", host.block, artifactVolumeResource(host));
    add("ignition", host.block, ignitionResource(host));
    add("disk", host.block, diskResource(host));
  }
  for (const host of blocks) add("domain", host.block, domainResource(plan, host));

  const locals: Record<string, TfValue> = {};
  for (const host of blocks) {
    locals[localName("base_images", host.block)] = baseImagesLocal(host);
    if (host.artifactVolumes.length > 0)
      locals[localName("artifact_volumes", host.block)] = artifactVolumesLocal(host);
  }
  for (const host of blocks) {
    const shape = artifactShape(host.nodes);
    locals[localName("nodes", host.block)] = Object.fromEntries(
      host.nodes.map((node) => [node.name, nodeLocal(node, shape, plan.multiHost)]),
    );
  }
  // A step without nodes still names the node map, so that outputs and checks find it.
  if (blocks.length === 0) locals.nodes = {};

  const moved: TfMoved[] = [
    ...(options.unkeyedBaseImage === undefined
      ? []
      : [
          {
            from: `${LIBVIRT_TYPES.volume}.${resourceName("baseImage", undefined)}`,
            to: baseImageAddress(options.unkeyedBaseImage, plan.multiHost ? plan.hosts[0]?.name : undefined),
          },
        ]),
    ...(options.moved ?? []),
  ];

  return {
    "//":
      `Generated by \`homelab render\` for environment "${environment.name}". Do not edit: change ` +
      `environments/${environment.name}.ts and render again. Ignition runs once, so a node whose ` +
      "Ignition changes is replaced (disk and domain), never patched — one node per step: nodes not " +
      "released by this step keep the facts they were applied with (see `homelab plan`).",
    terraform: {
      required_version: ">= 1.5.0",
      required_providers: { libvirt: { source: LIBVIRT_PROVIDER.source, version: LIBVIRT_PROVIDER.version } },
      backend: { local: { path: options.statePath } },
    },
    variable: variables(plan, options),
    provider: providers(plan, options),
    locals,
    resource,
    ...(moved.length > 0 ? { moved } : {}),
    output: {
      nodes: {
        description: plan.multiHost
          ? "Every node of the environment: role, address, MAC and host."
          : "Every node of the environment: role, address and MAC.",
        value: Object.fromEntries(
          plan.nodes.map((node) => [
            node.name,
            {
              role: node.role,
              address: node.address,
              mac: node.mac,
              ...(plan.multiHost ? { host: node.host } : {}),
            },
          ]),
        ),
      },
    },
  };
}
