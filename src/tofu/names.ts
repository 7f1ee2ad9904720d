import { createHash } from "node:crypto";

/**
 * Names of everything the synthesized configuration creates, in one place: resource addresses
 * (what `tofu plan` prints and `homelab replace` targets) and libvirt object names (what
 * `virsh` shows). Node resources are `for_each` instances keyed by node name, so an address
 * never depends on a node's position in a list.
 *
 * On several hosts every resource block exists once per host (a block's `provider` cannot vary
 * per `for_each` instance), named `<name>_<host>`: `libvirt_domain.node_hv1["lab-agent-2"]`.
 * The instance key stays the node name, so moving a node to another host moves exactly its
 * resources from one host's blocks to the other's. One host keeps the plain names.
 */

/** Resource types of dmacvicar/libvirt that homelab uses. */
export const LIBVIRT_TYPES = {
  pool: "libvirt_pool",
  network: "libvirt_network",
  volume: "libvirt_volume",
  domain: "libvirt_domain",
} as const;

/** Resource names (the second part of an address) on a single host. */
export const RESOURCE_NAMES = {
  pool: "cluster",
  network: "cluster",
  baseImage: "flatcar_base",
  disk: "disk",
  ignition: "ignition",
  artifacts: "artifacts",
  domain: "node",
} as const;

export type ResourceKind = keyof typeof RESOURCE_NAMES;

/** The type of each kind's resource. */
export const RESOURCE_TYPES: Readonly<Record<ResourceKind, string>> = {
  pool: LIBVIRT_TYPES.pool,
  network: LIBVIRT_TYPES.network,
  baseImage: LIBVIRT_TYPES.volume,
  disk: LIBVIRT_TYPES.volume,
  ignition: LIBVIRT_TYPES.volume,
  artifacts: LIBVIRT_TYPES.volume,
  domain: LIBVIRT_TYPES.domain,
};

/**
 * The resource name of a kind in a host's blocks: `node` on a single host (`block` undefined),
 * `node_hv1` for host hv1 of several. Host names are DNS labels that start with a letter, so
 * the result is a valid OpenTofu identifier.
 */
export function resourceName(kind: ResourceKind, block: string | undefined): string {
  return block === undefined ? RESOURCE_NAMES[kind] : `${RESOURCE_NAMES[kind]}_${block}`;
}

/** `libvirt_volume.disk_hv1`: type and name of a kind's block. */
export function resourceAddress(kind: ResourceKind, block: string | undefined): string {
  return `${RESOURCE_TYPES[kind]}.${resourceName(kind, block)}`;
}

/**
 * The kind and host block of a resource as it appears in a state or plan (`libvirt_domain`,
 * `node_hv1` → domain on hv1), or undefined for a resource homelab does not write.
 */
export function parseResourceName(
  type: string,
  name: string,
): { readonly kind: ResourceKind; readonly block: string | undefined } | undefined {
  for (const kind of Object.keys(RESOURCE_NAMES) as ResourceKind[]) {
    if (RESOURCE_TYPES[kind] !== type) continue;
    const base = RESOURCE_NAMES[kind];
    if (name === base) return { kind, block: undefined };
    const rest = name.startsWith(`${base}_`) ? name.slice(base.length + 1) : undefined;
    if (rest !== undefined && /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(rest)) return { kind, block: rest };
  }
  return undefined;
}

const key = (value: string) => `[${JSON.stringify(value)}]`;

/** `libvirt_domain.node["k3s-dev-server-1"]` and friends (`node_hv1[…]` on host hv1 of several). */
export function nodeAddresses(
  nodeName: string,
  block?: string,
): {
  readonly disk: string;
  readonly ignition: string;
  readonly domain: string;
} {
  return {
    disk: `${resourceAddress("disk", block)}${key(nodeName)}`,
    ignition: `${resourceAddress("ignition", block)}${key(nodeName)}`,
    domain: `${resourceAddress("domain", block)}${key(nodeName)}`,
  };
}

/** `libvirt_volume.flatcar_base["stable-4757.2.1"]`: one base volume per Flatcar release in use (per host). */
export function baseImageAddress(baseKey: string, block?: string): string {
  return `${resourceAddress("baseImage", block)}${key(baseKey)}`;
}

/** `libvirt_volume.artifacts["3f2a9c01d4e5"]`: one artifact volume per content in use (per host). */
export function artifactVolumeAddress(volumeKey: string, block?: string): string {
  return `${resourceAddress("artifacts", block)}${key(volumeKey)}`;
}

/** Render-directory paths of a node's files, relative to the directory. */
export function nodeFilePaths(nodeName: string): { readonly ignition: string; readonly butane: string } {
  return { ignition: `ignition/${nodeName}.ign`, butane: `butane/${nodeName}.bu` };
}

/** The key of a Flatcar release among the base volumes: `stable-4757.2.1`. */
export function baseImageKey(channel: string, version: string): string {
  return `${channel}-${version}`;
}

/** The base volume's name carries the Flatcar release: a new pin means a new base volume. */
export function baseVolumeName(prefix: string, baseKey: string): string {
  return `${prefix}-flatcar-${baseKey}.qcow2`;
}

/** The base key named by a base volume's name, if it is one of this prefix's. */
export function baseKeyOfVolume(prefix: string, volumeName: string): string | undefined {
  const head = `${prefix}-flatcar-`;
  if (!volumeName.startsWith(head) || !volumeName.endsWith(".qcow2")) return undefined;
  return volumeName.slice(head.length, -".qcow2".length);
}

/**
 * A node's root disk in the pool. Size and Flatcar release are part of the name: provider 0.9.7
 * cannot update a volume in place (its Update always fails) but replaces one whose name changes,
 * so a new size or a new base image must be a new name.
 */
export function diskVolumeName(nodeName: string, diskGiB: number, baseKey: string): string {
  return `${nodeName}-${diskGiB}gib-${baseKey}.qcow2`;
}

/**
 * A node's Ignition volume: the node name and the first 12 hex digits of the SHA-256 of the
 * Ignition file (what earlier releases computed with `substr(filesha256(...), 0, 12)`, so the
 * names of running nodes do not change). New Ignition, new name, new volume — and through
 * `replace_triggered_by` a new disk and domain.
 */
export function ignitionVolumeName(nodeName: string, ignition: string): string {
  const digest = createHash("sha256").update(ignition).digest("hex");
  return `${nodeName}-${digest.slice(0, 12)}.ign`;
}
