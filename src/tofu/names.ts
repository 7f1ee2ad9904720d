import { createHash } from "node:crypto";

/**
 * Names of everything the synthesized configuration creates, in one place: resource addresses
 * (what `tofu plan` prints and `homelab replace` targets) and libvirt object names (what
 * `virsh` shows). Node resources are `for_each` instances keyed by node name, so an address
 * never depends on a node's position in a list.
 */

/** Resource types of dmacvicar/libvirt that homelab uses. */
export const LIBVIRT_TYPES = {
  pool: "libvirt_pool",
  network: "libvirt_network",
  volume: "libvirt_volume",
  domain: "libvirt_domain",
} as const;

/** Resource names (the second part of an address). */
export const RESOURCE_NAMES = {
  pool: "cluster",
  network: "cluster",
  baseImage: "flatcar_base",
  disk: "disk",
  ignition: "ignition",
  domain: "node",
} as const;

/** `libvirt_domain.node["k3s-dev-server-1"]` and friends. */
export function nodeAddresses(nodeName: string): {
  readonly disk: string;
  readonly ignition: string;
  readonly domain: string;
} {
  const key = `[${JSON.stringify(nodeName)}]`;
  return {
    disk: `${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.disk}${key}`,
    ignition: `${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.ignition}${key}`,
    domain: `${LIBVIRT_TYPES.domain}.${RESOURCE_NAMES.domain}${key}`,
  };
}

/** `libvirt_volume.flatcar_base["stable-4757.2.1"]`: one base volume per Flatcar release in use. */
export function baseImageAddress(key: string): string {
  return `${LIBVIRT_TYPES.volume}.${RESOURCE_NAMES.baseImage}[${JSON.stringify(key)}]`;
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
export function baseVolumeName(prefix: string, key: string): string {
  return `${prefix}-flatcar-${key}.qcow2`;
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
