import type { ClusterPlan, NodePlan } from "../plan/types.js";
import { baseVolumeName, LIBVIRT_TYPES, RESOURCE_NAMES } from "./names.js";
import { LIBVIRT_PROVIDER } from "./provider.js";
import { expr, type TfJsonDocument, type TfResourceBody, type TfValue, type TfVariable } from "./tf-json.js";

/**
 * Synthesizes the OpenTofu configuration (`main.tf.json`) of a cluster plan for the
 * dmacvicar/libvirt provider 0.9.7. Pure: same plan and options, same document.
 *
 * Resource graph (node resources are `for_each` over `local.nodes`, keyed by node name):
 *
 *   libvirt_pool.cluster ─┬─► libvirt_volume.flatcar_base ──► libvirt_volume.disk[n] ─┐
 *                         └─► libvirt_volume.ignition[n] ─────────────────────────────┼─► libvirt_domain.node[n]
 *   libvirt_network.cluster ──────────────────────────────────────────────────────────┘
 *
 * Ignition runs once, at first boot. So a node whose Ignition changes must be rebuilt, never
 * patched: the Ignition volume's name carries a hash of the file, a new hash replaces the
 * volume, and `replace_triggered_by` carries that replacement to the node's disk and domain —
 * and to nothing else.
 */
export interface TofuSynthesisOptions {
  /**
   * Absolute path of the environment's OpenTofu state file (`stateLayout(stateDir).tofuState`).
   * Written into the local backend, so even a hand-run `tofu apply` in the render directory
   * keeps state outside it.
   */
  readonly statePath: string;
  /**
   * Absolute path of the verified Flatcar qcow2 image on the machine that runs OpenTofu: the
   * default of `var.flatcar_image` (override with `-var flatcar_image=…`).
   */
  readonly flatcarImagePath: string;
  /** The Flatcar release of that image; it names the base volume. */
  readonly flatcarVersion: string;
}

/** QEMU's fw_cfg key Flatcar's Ignition reads its config from. */
export const FLATCAR_FW_CFG_NAME = "opt/org.flatcar-linux/config";

const GIB = 1024 * 1024 * 1024;

/** A node's rendered Ignition file next to main.tf.json, as an HCL string inside an expression. */
const ignitionFile = `"\${path.module}/ignition/\${each.key}.ign"`;

/** The reference to the pool's name: through the resource when homelab creates the pool. */
function poolReference(plan: ClusterPlan): string {
  return plan.pool.existing ? plan.pool.name : expr(`${LIBVIRT_TYPES.pool}.${RESOURCE_NAMES.pool}.name`);
}

function nodeLocal(node: NodePlan): TfValue {
  return {
    role: node.role,
    address: node.address,
    mac: node.mac,
    vcpu: node.vcpu,
    memory_kib: node.memoryMiB * 1024,
    disk_gib: node.diskGiB,
    disk_bytes: node.diskGiB * GIB,
  };
}

function variables(plan: ClusterPlan, options: TofuSynthesisOptions): Record<string, TfVariable> {
  return {
    flatcar_image: {
      description:
        "Path of the Flatcar qcow2 image, on the machine that runs OpenTofu, uploaded once as the base volume. " +
        "Default: the verified image in homelab's cache. Changing it later does not rebuild nodes " +
        "(the base volume ignores its source); a new Flatcar version does.",
      type: "string",
      default: options.flatcarImagePath,
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
  const body: Record<string, TfValue | TfResourceBody["lifecycle"]> = {
    "//":
      "NAT network with one DHCP reservation per node (deterministic MAC -> fixed address). " +
      "ips is ignored after creation: provider 0.9.7 cannot change a running network's DHCP hosts " +
      "(it redefines only the persistent config and the apply fails), and replacing the network " +
      "would disconnect every VM. Nodes also configure their address statically from Ignition, " +
      "so a node added later works without a reservation.",
    name: network.libvirtNetworkName ?? "",
    autostart: true,
    forward: { mode: "nat" },
  };
  if (network.domain) body.domain = { name: network.domain, local_only: "yes" };
  body.ips = [{ address: network.gateway, prefix: network.prefixLength, dhcp: { hosts } }];
  body.lifecycle = { ignore_changes: ["ips"] };
  return body as TfResourceBody;
}

function baseImageResource(plan: ClusterPlan, options: TofuSynthesisOptions): TfResourceBody {
  const environment = plan.environment;
  return {
    "//":
      "The Flatcar image, uploaded once; every node disk is a copy-on-write overlay on it. Its name " +
      "carries the Flatcar version, so a new pin replaces it (and with it every node). The upload " +
      "source is ignored after creation: moving the image cache must not rebuild the cluster.",
    name: baseVolumeName(environment.prefix, environment.flatcar.channel, options.flatcarVersion),
    pool: poolReference(plan),
    target: { format: { type: "qcow2" } },
    create: { content: { url: expr("var.flatcar_image") } },
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
    name: `\${each.key}-\${substr(filesha256(${ignitionFile}), 0, 12)}.ign`,
    pool: poolReference(plan),
    target: { format: { type: "raw" } },
    create: { content: { url: expr(`abspath(${ignitionFile})`) } },
    // The hash in the name is the content's identity; the upload path is not: moving or
    // re-cloning the render directory must not rebuild the cluster.
    lifecycle: { ignore_changes: ["create"] },
  };
}

function diskResource(plan: ClusterPlan): TfResourceBody {
  const base = `${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.baseImage}`;
  return {
    "//":
      "Each node's root disk: a qcow2 overlay on the Flatcar base, sized per pool. Flatcar grows its " +
      "root filesystem to the disk at first boot. Replaced whenever the node's Ignition or the base image changes.",
    for_each: expr("local.nodes"),
    // The size is part of the name: provider 0.9.7 cannot resize or update a volume in place
    // (its Update always fails), so a new size must be a new volume, whatever its plan modifiers.
    name: `${expr("each.key")}-${expr("each.value.disk_gib")}gib.qcow2`,
    pool: poolReference(plan),
    capacity: expr("each.value.disk_bytes"),
    target: { format: { type: "qcow2" } },
    backing_store: { path: expr(`${base}.path`), format: { type: "qcow2" } },
    // A new base image (Flatcar version) also means new disks: an overlay cannot change its backing file.
    lifecycle: {
      replace_triggered_by: [`${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.ignition}[each.key]`, base],
    },
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

export function synthesizeTofu(plan: ClusterPlan, options: TofuSynthesisOptions): TfJsonDocument {
  const environment = plan.environment;
  const volumes: Record<string, TfResourceBody> = {
    [RESOURCE_NAMES.baseImage]: baseImageResource(plan, options),
    [RESOURCE_NAMES.ignition]: ignitionResource(plan),
    [RESOURCE_NAMES.disk]: diskResource(plan),
  };
  const resource: Record<string, Record<string, TfResourceBody>> = {};
  if (!plan.pool.existing) resource[LIBVIRT_TYPES.pool] = { [RESOURCE_NAMES.pool]: poolResource(plan) };
  if (plan.network.mode === "nat")
    resource[LIBVIRT_TYPES.network] = { [RESOURCE_NAMES.network]: networkResource(plan) };
  resource[LIBVIRT_TYPES.volume] = volumes;
  resource[LIBVIRT_TYPES.domain] = { [RESOURCE_NAMES.domain]: domainResource(plan) };

  return {
    "//":
      `Generated by \`homelab render\` for environment "${environment.name}". Do not edit: change ` +
      `environments/${environment.name}.ts and render again. Ignition runs once, so a node whose ` +
      "Ignition changes is replaced (disk and domain), never patched.",
    terraform: {
      required_version: ">= 1.5.0",
      required_providers: { libvirt: { source: LIBVIRT_PROVIDER.source, version: LIBVIRT_PROVIDER.version } },
      backend: { local: { path: options.statePath } },
    },
    variable: variables(plan, options),
    provider: { libvirt: { uri: expr("var.libvirt_uri") } },
    locals: { nodes: Object.fromEntries(plan.nodes.map((node) => [node.name, nodeLocal(node)])) },
    resource,
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
