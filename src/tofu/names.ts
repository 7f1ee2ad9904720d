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

/** Render-directory paths of a node's files, relative to the directory. */
export function nodeFilePaths(nodeName: string): { readonly ignition: string; readonly butane: string } {
  return { ignition: `ignition/${nodeName}.ign`, butane: `butane/${nodeName}.bu` };
}

/** The base volume's name carries the Flatcar version: a new pin means a new base image. */
export function baseVolumeName(prefix: string, channel: string, version: string): string {
  return `${prefix}-flatcar-${channel}-${version}.qcow2`;
}

/** A node's root disk in the pool; the size is part of the name (a new size is a new disk). */
export function diskVolumeName(nodeName: string, diskGiB: number): string {
  return `${nodeName}-${diskGiB}gib.qcow2`;
}
