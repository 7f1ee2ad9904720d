import type { NodeRole } from "../plan/types.js";

/**
 * What the OpenTofu configuration says about one node's machine: the inputs of its Ignition
 * volume, disk and domain. Two sets of facts are compared for every node — what the
 * environment wants now (desired, from the render) and what OpenTofu last applied (from its
 * state) — and the difference says whether the machine must be rebuilt, changed in place, or
 * left alone.
 */
export interface MachineFacts {
  readonly role: NodeRole;
  /** Name of the Ignition volume; it carries a hash of the Ignition file. */
  readonly ignitionVolume: string;
  /** Name of the root disk; it carries the size and the Flatcar release. */
  readonly diskVolume: string;
  readonly diskBytes: number;
  /** Key of the base volume the disk is an overlay on (`stable-4757.2.1`). */
  readonly baseImage: string;
  readonly vcpu: number;
  readonly memoryKiB: number;
  readonly mac: string;
  /** The libvirt host the machine runs on (a VM cannot move: another host is another machine). */
  readonly host: string;
  /**
   * Key of the artifact volume attached read-only (undefined: none, k3s was downloaded). Read
   * only at first boot: a machine keeps the one it was built with until it is rebuilt.
   */
  readonly artifactVolume?: string;
}

/** Why a machine is rebuilt. */
export type ReplaceCause =
  | { readonly kind: "ignition" }
  | { readonly kind: "base-image"; readonly from: string; readonly to: string }
  | { readonly kind: "disk-size"; readonly fromGiB: number; readonly toGiB: number }
  | { readonly kind: "disk-volume"; readonly from: string; readonly to: string }
  | { readonly kind: "host"; readonly from: string; readonly to: string }
  | { readonly kind: "incomplete"; readonly missing: readonly string[] }
  | { readonly kind: "requested" };

/** What changes on a machine without rebuilding it (the domain is redefined). */
export type InPlaceChange =
  | { readonly kind: "vcpu"; readonly from: number; readonly to: number }
  | { readonly kind: "memory"; readonly fromKiB: number; readonly toKiB: number };

const GIB = 1024 * 1024 * 1024;

export const bytesToGiB = (bytes: number): number => Math.round((bytes / GIB) * 100) / 100;
export const gibToBytes = (gib: number): number => gib * GIB;

/** Why `applied` cannot stay as it is to become `desired` (empty: no rebuild needed). */
export function replaceCauses(applied: MachineFacts, desired: MachineFacts): ReplaceCause[] {
  const causes: ReplaceCause[] = [];
  if (applied.host !== desired.host) causes.push({ kind: "host", from: applied.host, to: desired.host });
  if (applied.ignitionVolume !== desired.ignitionVolume) causes.push({ kind: "ignition" });
  if (applied.baseImage !== desired.baseImage)
    causes.push({ kind: "base-image", from: applied.baseImage, to: desired.baseImage });
  if (applied.diskBytes !== desired.diskBytes)
    causes.push({
      kind: "disk-size",
      fromGiB: bytesToGiB(applied.diskBytes),
      toGiB: bytesToGiB(desired.diskBytes),
    });
  if (causes.length === 0 && applied.diskVolume !== desired.diskVolume)
    causes.push({ kind: "disk-volume", from: applied.diskVolume, to: desired.diskVolume });
  return causes;
}

/** Domain changes OpenTofu makes in place. */
export function inPlaceChanges(applied: MachineFacts, desired: MachineFacts): InPlaceChange[] {
  const changes: InPlaceChange[] = [];
  if (applied.vcpu !== desired.vcpu) changes.push({ kind: "vcpu", from: applied.vcpu, to: desired.vcpu });
  if (applied.memoryKiB !== desired.memoryKiB)
    changes.push({ kind: "memory", fromKiB: applied.memoryKiB, toKiB: desired.memoryKiB });
  return changes;
}

export function describeCause(cause: ReplaceCause): string {
  switch (cause.kind) {
    case "ignition":
      return "Ignition changed (it runs only at first boot, so the machine is rebuilt)";
    case "base-image":
      return `base image: Flatcar ${cause.from} → ${cause.to}`;
    case "disk-size":
      return `disk size: ${cause.fromGiB} GiB → ${cause.toGiB} GiB`;
    case "host":
      return `host: ${cause.from} → ${cause.to} (a VM cannot move between libvirt hosts: it is rebuilt on the new one)`;
    case "disk-volume":
      return `disk volume renamed: ${cause.from} → ${cause.to} (disks are now named by size and Flatcar release)`;
    case "incomplete":
      return `an earlier apply left it half-built (missing: ${cause.missing.join(", ")})`;
    case "requested":
      return "rebuild requested (homelab replace)";
  }
}

export function describeInPlace(change: InPlaceChange): string {
  switch (change.kind) {
    case "vcpu":
      return `vCPUs: ${change.from} → ${change.to}`;
    case "memory":
      return `memory: ${change.fromKiB / 1024} MiB → ${change.toKiB / 1024} MiB`;
  }
}
