import type { ClusterPlan } from "../plan/types.js";
import { baseImageAddress, LIBVIRT_TYPES, RESOURCE_NAMES } from "./names.js";
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
 * volumes over `local.base_images`, keyed by Flatcar release):
 *
 *   libvirt_pool.cluster ─┬─► libvirt_volume.flatcar_base[release] ─► libvirt_volume.disk[n] ─┐
 *                         └─► libvirt_volume.ignition[n] ────────────────────────────────────┼─► libvirt_domain.node[n]
 *   libvirt_network.cluster ─────────────────────────────────────────────────────────────────┘
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
   */
  readonly baseImages: readonly BaseImage[];
  /** A base volume applied before base volumes were keyed: its state moves to this key. */
  readonly unkeyedBaseImage?: string;
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
}

export interface BaseImage {
  readonly key: string;
  readonly volumeName: string;
  /** Absolute path of the qcow2 image on the machine that runs OpenTofu. */
  readonly imagePath: string;
  /** The environment's pinned release: its source is `var.flatcar_image`. */
  readonly current: boolean;
}

/** QEMU's fw_cfg key Flatcar's Ignition reads its config from. */
export const FLATCAR_FW_CFG_NAME = "opt/org.flatcar-linux/config";

/** A node's rendered Ignition file next to main.tf.json, as an HCL string inside an expression. */
const ignitionFile = `"\${path.module}/ignition/\${each.key}.ign"`;

/** The reference to the pool's name: through the resource when homelab creates the pool. */
function poolReference(plan: ClusterPlan): string {
  return plan.pool.existing ? plan.pool.name : expr(`${LIBVIRT_TYPES.pool}.${RESOURCE_NAMES.pool}.name`);
}

function nodeLocal(node: SynthesizedNode): TfValue {
  return {
    role: node.role,
    ignition_volume: node.ignitionVolume,
    disk_volume: node.diskVolume,
    disk_bytes: node.diskBytes,
    base_image: node.baseImage,
    vcpu: node.vcpu,
    memory_kib: node.memoryKiB,
    mac: node.mac,
  };
}

function variables(plan: ClusterPlan, options: TofuSynthesisOptions): Record<string, TfVariable> {
  const current = options.baseImages.find((image) => image.current);
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
    libvirt_uri: {
      description: "libvirt connection URI. Default: the environment's libvirt.uri.",
      type: "string",
      default: plan.environment.libvirt.uri,
      nullable: false,
    },
  };
}

function poolResource(plan: ClusterPlan): TfResourceBody {
  return {
    "//": "The environment's storage pool: a directory libvirt creates (build), starts and autostarts.",
    name: plan.pool.name,
    type: "dir",
    target: { path: plan.pool.path ?? "" },
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

function baseImageResource(plan: ClusterPlan): TfResourceBody {
  return {
    "//":
      "One Flatcar base volume per release in use, uploaded once; every node disk is a copy-on-write overlay on " +
      "one of them. A new pin adds a volume and the nodes move to it one at a time; the old one goes with its " +
      "last node. The upload source is ignored after creation: moving the image cache must not rebuild the cluster.",
    for_each: expr("local.base_images"),
    name: expr("each.value.name"),
    pool: poolReference(plan),
    target: { format: { type: "qcow2" } },
    create: { content: { url: expr("each.value.source") } },
    lifecycle: { ignore_changes: ["create"] },
  };
}

function ignitionResource(plan: ClusterPlan): TfResourceBody {
  return {
    "//":
      "Each node's Ignition, uploaded from ignition/<node>.ign into the pool, read by the VM through " +
      "fw_cfg. The name carries a hash of the file: new Ignition, new volume, and (replace_triggered_by) " +
      "a new disk and domain for that node only. Ignition runs once; a stale node is never left running. " +
      "The upload path is ignored after creation (the render directory may move).",
    for_each: expr("local.nodes"),
    name: expr("each.value.ignition_volume"),
    pool: poolReference(plan),
    target: { format: { type: "raw" } },
    create: { content: { url: expr(`abspath(${ignitionFile})`) } },
    // The hash in the name is the content's identity; the upload path is not: moving or
    // re-cloning the render directory must not rebuild the cluster.
    lifecycle: { ignore_changes: ["create"] },
  };
}

function diskResource(plan: ClusterPlan): TfResourceBody {
  const volumes = LIBVIRT_TYPES.volume;
  return {
    "//":
      "Each node's root disk: a qcow2 overlay on its Flatcar release's base volume. Flatcar grows its root " +
      "filesystem to the disk at first boot. Its name carries size and release (a volume cannot change in place), " +
      "and a new Ignition replaces it too.",
    for_each: expr("local.nodes"),
    name: expr("each.value.disk_volume"),
    pool: poolReference(plan),
    capacity: expr("each.value.disk_bytes"),
    target: { format: { type: "qcow2" } },
    backing_store: {
      path: expr(`${volumes}.${RESOURCE_NAMES.baseImage}[each.value.base_image].path`),
      format: { type: "qcow2" },
    },
    lifecycle: { replace_triggered_by: [`${volumes}.${RESOURCE_NAMES.ignition}[each.key]`] },
  };
}

function interfaceSource(plan: ClusterPlan): TfValue {
  if (plan.network.mode === "bridge") return { bridge: { bridge: plan.network.bridge ?? "" } };
  return { network: { network: expr(`${LIBVIRT_TYPES.network}.${RESOURCE_NAMES.network}.name`) } };
}

function domainResource(plan: ClusterPlan): TfResourceBody {
  const volumes = LIBVIRT_TYPES.volume;
  return {
    "//":
      "One VM per node. Ignition reaches it through QEMU fw_cfg (needs ACPI); the serial console " +
      "makes `virsh console <node>` work. host-passthrough only with KVM: a qemu (TCG) domain with " +
      "it cannot start.",
    for_each: expr("local.nodes"),
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
              file: expr(`${volumes}.${RESOURCE_NAMES.ignition}[each.key].path`),
              value: "",
            },
          ],
        },
      },
    ],
    devices: {
      disks: [
        {
          source: {
            volume: {
              pool: expr(`${volumes}.${RESOURCE_NAMES.disk}[each.key].pool`),
              volume: expr(`${volumes}.${RESOURCE_NAMES.disk}[each.key].name`),
            },
          },
          target: { dev: "vda", bus: "virtio" },
          driver: { name: "qemu", type: "qcow2" },
        },
      ],
      interfaces: [
        {
          mac: { address: expr("each.value.mac") },
          model: { type: "virtio" },
          source: interfaceSource(plan),
        },
      ],
      consoles: [{ target: { type: "serial", port: 0 } }],
    },
    lifecycle: {
      replace_triggered_by: [
        `${volumes}.${RESOURCE_NAMES.ignition}[each.key]`,
        `${volumes}.${RESOURCE_NAMES.disk}[each.key]`,
      ],
    },
  };
}

function baseImagesLocal(options: TofuSynthesisOptions): TfValue {
  const used = new Set(options.nodes.map((node) => node.baseImage));
  return Object.fromEntries(
    options.baseImages
      .filter((image) => used.has(image.key) || image.current)
      .map((image) => [
        image.key,
        { name: image.volumeName, source: image.current ? expr("var.flatcar_image") : image.imagePath },
      ]),
  );
}

export function synthesizeTofu(plan: ClusterPlan, options: TofuSynthesisOptions): TfJsonDocument {
  const environment = plan.environment;
  const volumes: Record<string, TfResourceBody> = {
    [RESOURCE_NAMES.baseImage]: baseImageResource(plan),
    [RESOURCE_NAMES.ignition]: ignitionResource(plan),
    [RESOURCE_NAMES.disk]: diskResource(plan),
  };
  const resource: Record<string, Record<string, TfResourceBody>> = {};
  if (!plan.pool.existing) resource[LIBVIRT_TYPES.pool] = { [RESOURCE_NAMES.pool]: poolResource(plan) };
  if (plan.network.mode === "nat")
    resource[LIBVIRT_TYPES.network] = { [RESOURCE_NAMES.network]: networkResource(plan) };
  resource[LIBVIRT_TYPES.volume] = volumes;
  resource[LIBVIRT_TYPES.domain] = { [RESOURCE_NAMES.domain]: domainResource(plan) };
  const moved: TfMoved[] =
    options.unkeyedBaseImage === undefined
      ? []
      : [
          {
            from: `${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.baseImage}`,
            to: baseImageAddress(options.unkeyedBaseImage),
          },
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
    provider: { libvirt: { uri: expr("var.libvirt_uri") } },
    locals: {
      base_images: baseImagesLocal(options),
      nodes: Object.fromEntries(options.nodes.map((node) => [node.name, nodeLocal(node)])),
    },
    resource,
    ...(moved.length > 0 ? { moved } : {}),
    output: {
      nodes: {
        description: "Every node of the environment: role, address and MAC.",
        value: Object.fromEntries(
          plan.nodes.map((node) => [node.name, { role: node.role, address: node.address, mac: node.mac }]),
        ),
      },
    },
  };
}
