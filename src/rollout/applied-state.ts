import { z } from "zod";
import { ARTIFACT_DISK_SERIAL } from "../artifacts/node-install.js";
import { HomelabError } from "../errors/index.js";
import { SINGLE_HOST_NAME } from "../placement/hosts.js";
import type { NodeRole } from "../plan/types.js";
import { baseKeyOfVolume, parseResourceName, type ResourceKind } from "../tofu/names.js";
import type { MachineFacts } from "./facts.js";

/**
 * What OpenTofu last applied, read from its state file (the local backend homelab points at
 * `<state>/<env>/tofu/terraform.tfstate`). The state is the one truth about which machines
 * exist and what they were built from: a machine applied by `homelab apply` and one applied by
 * a hand-run `tofu apply` read the same. Reading the file needs no tofu run, so `render` and
 * `plan` stay fast (see bench/rollout.bench.ts).
 *
 * Only the attributes homelab itself sets are read (format: state version 4, resource
 * attributes as dmacvicar/libvirt 0.9.7 stores them — the same names the configuration uses).
 * The test suite's provider stand-ins (`terraform_data` resources named `<libvirt type>__<name>`
 * holding the configuration's attributes in `input`, see test/tofu/stand-in.ts) are read the
 * same way: that is how the rollout is tested with a real Terraform on this machine.
 *
 * Several hosts: a resource's host is the suffix of its block (`node_hv1` → hv1, see
 * tofu/names.ts). Resources of the single-host layout (`node`) are on `unsuffixedHost`: the
 * implicit host, or the first of `hosts` for an environment that grew from one host.
 */

export interface AppliedNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly index: number;
  /** The host its resources are on. */
  readonly host: string;
  /** The host suffix of their addresses (`node_hv1`); undefined for the single-host layout. */
  readonly block: string | undefined;
  /** Complete facts when the Ignition volume, disk and domain all exist. */
  readonly facts: MachineFacts | undefined;
  /** Which of the three per-node resources are missing (a half-applied rebuild). */
  readonly missing: readonly ("ignition" | "disk" | "domain")[];
}

export interface AppliedBaseImage {
  readonly key: string;
  readonly name: string;
  /** Where the provider put it; node disks name it as their backing store. */
  readonly path: string | undefined;
  /**
   * The state address it has: `libvirt_volume.flatcar_base` for environments applied before
   * base volumes were keyed by release (render then writes a `moved` block), else keyed.
   */
  readonly keyed: boolean;
  readonly host: string;
  readonly block: string | undefined;
}

/** An artifact volume in a host's pool (one per content in use, see tofu/synthesize.ts). */
export interface AppliedArtifactVolume {
  /** Its for_each key: 12 hex digits of its content key. */
  readonly key: string;
  readonly name: string;
  /** Where it was uploaded from (`create.content.url`), kept so the configuration can name it. */
  readonly source: string;
  readonly host: string;
  readonly block: string | undefined;
}

/** Where a resource of homelab's lives: its host, and the suffix of its block. */
export interface AppliedPlacement {
  readonly kind: ResourceKind;
  readonly host: string;
  readonly block: string | undefined;
}

export interface AppliedState {
  /** Whether a state file exists and records resources. */
  readonly exists: boolean;
  readonly nodes: ReadonlyMap<string, AppliedNode>;
  readonly baseImages: readonly AppliedBaseImage[];
  readonly artifactVolumes: readonly AppliedArtifactVolume[];
  /** Every block of homelab's resources the state holds (each kind once per block). */
  readonly blocks: readonly AppliedPlacement[];
}

export const NO_APPLIED_STATE: AppliedState = {
  exists: false,
  nodes: new Map(),
  baseImages: [],
  artifactVolumes: [],
  blocks: [],
};

const InstanceSchema = z.looseObject({
  index_key: z.union([z.string(), z.number()]).optional(),
  attributes: z.record(z.string(), z.unknown()).default({}),
});

const StateSchema = z.looseObject({
  version: z.number(),
  resources: z
    .array(
      z.looseObject({
        mode: z.string(),
        type: z.string(),
        name: z.string(),
        instances: z.array(InstanceSchema).default([]),
      }),
    )
    .default([]),
});

type Values = Readonly<Record<string, unknown>>;

interface Resource {
  readonly kind: ResourceKind;
  readonly block: string | undefined;
  readonly key: string | undefined;
  readonly values: Values;
}

/** Real libvirt resources as they are; stand-ins mapped back to the type and name they stand for. */
function resourcesOf(state: z.output<typeof StateSchema>): Resource[] {
  const resources: Resource[] = [];
  for (const resource of state.resources) {
    if (resource.mode !== "managed") continue;
    let type = resource.type;
    let name = resource.name;
    let standIn = false;
    if (type === "terraform_data") {
      const match = /^(libvirt_[a-z]+)__([a-z][a-z0-9_-]*)$/.exec(name);
      if (!match) continue;
      type = match[1]!;
      name = match[2]!;
      standIn = true;
    }
    const parsed = parseResourceName(type, name);
    if (!parsed) continue;
    for (const instance of resource.instances) {
      const attributes = instance.attributes;
      // terraform_data stores a dynamic value as { value, type }.
      const values = standIn ? at(attributes, "input", "value") : attributes;
      if (typeof values !== "object" || values === null) continue;
      resources.push({
        kind: parsed.kind,
        block: parsed.block,
        key: typeof instance.index_key === "string" ? instance.index_key : undefined,
        values: values as Values,
      });
    }
  }
  return resources;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const text = (value: unknown): string | undefined => (typeof value === "string" ? value : undefined);
const number = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? value : undefined;

function at(values: unknown, ...path: (string | number)[]): unknown {
  let current = values;
  for (const step of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

/** Memory in KiB from a domain's `memory` and `memory_unit` (homelab always writes KiB). */
function memoryKiB(values: Values): number | undefined {
  const memory = number(values.memory);
  if (memory === undefined) return undefined;
  const unit = (text(values.memory_unit) ?? "KiB").toLowerCase();
  const factor: Record<string, number> = {
    b: 1 / 1024,
    bytes: 1 / 1024,
    kib: 1,
    k: 1,
    mib: 1024,
    m: 1024,
    gib: 1024 * 1024,
    g: 1024 * 1024,
  };
  const multiplier = factor[unit];
  return multiplier === undefined ? undefined : memory * multiplier;
}

/** `<prefix>-server-3` → server 3. */
export function roleOfNodeName(prefix: string, name: string): { role: NodeRole; index: number } | undefined {
  const match = /^(.*)-(server|agent)-(\d+)$/.exec(name);
  if (!match || match[1] !== prefix) return undefined;
  return { role: match[2] as NodeRole, index: Number(match[3]) };
}

/** The artifact volume key named by an artifact volume's name (`<prefix>-artifacts-<key>.tar`). */
export function artifactKeyOfVolume(prefix: string, volumeName: string): string | undefined {
  const match = /^(.*)-artifacts-([0-9a-f]{12})\.tar$/.exec(volumeName);
  return match && match[1] === prefix ? match[2] : undefined;
}

/** The name of the artifact volume a domain attaches (the disk with homelab's serial). */
function attachedArtifactVolume(domain: Values): string | undefined {
  const disks = at(domain, "devices", "disks");
  if (!Array.isArray(disks)) return undefined;
  const disk = disks.find((candidate) => at(candidate, "serial") === ARTIFACT_DISK_SERIAL);
  return disk === undefined ? undefined : text(at(disk, "source", "volume", "volume"));
}

export interface AppliedStateOptions {
  /**
   * The host that resources of the single-host layout (plain names) are on: default the
   * implicit host; for an environment with `hosts`, its first host.
   */
  readonly unsuffixedHost?: string;
}

type NodeParts = { ignition?: Values; disk?: Values; domain?: Values };

/**
 * Parses the state file's text. `undefined` (no file) and a state without resources give
 * `NO_APPLIED_STATE`-like results; a file that is not a state is an error naming it.
 */
export function parseAppliedState(
  stateText: string | undefined,
  prefix: string,
  file: string,
  options: AppliedStateOptions = {},
): AppliedState {
  if (stateText === undefined || stateText.trim() === "") return NO_APPLIED_STATE;
  let json: unknown;
  try {
    json = JSON.parse(stateText);
  } catch (error) {
    throw new HomelabError("tofu-state-unreadable", `${file} is not a readable OpenTofu state`, {
      cause: error,
      where: { file },
      fix:
        "If a tofu run is in progress, wait for it. Otherwise restore the newest backup from the backups/ " +
        "folder next to it (homelab keeps one per apply), or check it with `tofu show`.",
    });
  }
  const parsed = StateSchema.safeParse(json);
  if (!parsed.success) {
    throw new HomelabError(
      "tofu-state-unreadable",
      `${file} does not look like an OpenTofu state (version 4)`,
      {
        where: { file },
        fix: "Restore the newest backup from the backups/ folder next to it, or check it with `tofu show`.",
      },
    );
  }
  const resources = resourcesOf(parsed.data);
  const unsuffixed = options.unsuffixedHost ?? SINGLE_HOST_NAME;
  const hostOf = (block: string | undefined) => block ?? unsuffixed;
  const blockKey = (block: string | undefined) => block ?? "";

  const blocks: AppliedPlacement[] = [];
  for (const resource of resources) {
    if (!blocks.some((b) => b.kind === resource.kind && b.block === resource.block))
      blocks.push({ kind: resource.kind, host: hostOf(resource.block), block: resource.block });
  }

  const baseImages: AppliedBaseImage[] = [];
  for (const base of resources.filter((r) => r.kind === "baseImage")) {
    const name = text(base.values.name);
    const key = base.key ?? (name ? baseKeyOfVolume(prefix, name) : undefined);
    if (name === undefined || key === undefined) continue;
    baseImages.push({
      key,
      name,
      path: text(base.values.path),
      keyed: base.key !== undefined,
      host: hostOf(base.block),
      block: base.block,
    });
  }
  // Paths are per host (each host's pool), so the lookup is too.
  const baseByPath = new Map(
    baseImages.flatMap((b) => (b.path ? [[`${blockKey(b.block)}\0${b.path}`, b.key] as const] : [])),
  );

  const artifactVolumes: AppliedArtifactVolume[] = [];
  for (const volume of resources.filter((r) => r.kind === "artifacts")) {
    const name = text(volume.values.name);
    const key = volume.key ?? (name ? artifactKeyOfVolume(prefix, name) : undefined);
    if (name === undefined || key === undefined) continue;
    artifactVolumes.push({
      key,
      name,
      source: text(at(volume.values, "create", "content", "url")) ?? "",
      host: hostOf(volume.block),
      block: volume.block,
    });
  }

  // Per node, its parts per block: a move between hosts that stopped halfway leaves parts in two.
  const byNode = new Map<string, Map<string, NodeParts & { block: string | undefined }>>();
  const entry = (key: string, block: string | undefined) => {
    let perBlock = byNode.get(key);
    if (!perBlock) {
      perBlock = new Map();
      byNode.set(key, perBlock);
    }
    let found = perBlock.get(blockKey(block));
    if (!found) {
      found = { block };
      perBlock.set(blockKey(block), found);
    }
    return found;
  };
  for (const resource of resources) {
    if (resource.key === undefined) continue;
    if (resource.kind === "ignition") entry(resource.key, resource.block).ignition = resource.values;
    else if (resource.kind === "disk") entry(resource.key, resource.block).disk = resource.values;
    else if (resource.kind === "domain") entry(resource.key, resource.block).domain = resource.values;
  }

  const nodes = new Map<string, AppliedNode>();
  for (const [name, perBlock] of byNode) {
    const identity = roleOfNodeName(prefix, name);
    if (!identity) continue;
    const count = (parts: NodeParts) =>
      (["ignition", "disk", "domain"] as const).filter((part) => parts[part] !== undefined).length;
    // The most complete block is the machine; parts left elsewhere are destroyed by the next apply.
    const parts = [...perBlock.values()].reduce((best, next) => (count(next) > count(best) ? next : best));
    const missing = (["ignition", "disk", "domain"] as const).filter((part) => parts[part] === undefined);
    const host = hostOf(parts.block);
    let facts: MachineFacts | undefined;
    if (missing.length === 0) {
      const disk = parts.disk!;
      const domain = parts.domain!;
      const backing = text(at(disk, "backing_store", "path"));
      const ignitionVolume = text(parts.ignition!.name);
      const diskVolume = text(disk.name);
      const diskBytes = number(disk.capacity);
      const vcpu = number(domain.vcpu);
      const memory = memoryKiB(domain);
      const mac = text(at(domain, "devices", "interfaces", 0, "mac", "address"));
      const onHost = baseImages.filter((b) => b.block === parts.block);
      // The backing store names the base; failing that, the disk's own name carries the release
      // (`<node>-<size>gib-<release>.qcow2`), and a single legacy base volume is every disk's base.
      const namedBase = diskVolume
        ? new RegExp(`^${escapeRegExp(name)}-\\d+gib-(.+)\\.qcow2$`).exec(diskVolume)?.[1]
        : undefined;
      const baseImage =
        (backing ? baseByPath.get(`${blockKey(parts.block)}\0${backing}`) : undefined) ??
        (namedBase && onHost.some((b) => b.key === namedBase) ? namedBase : undefined) ??
        (onHost.length === 1 ? onHost[0]?.key : undefined);
      const attached = attachedArtifactVolume(domain);
      const artifactVolume =
        attached === undefined
          ? undefined
          : (artifactVolumes.find((v) => v.block === parts.block && v.name === attached)?.key ??
            artifactKeyOfVolume(prefix, attached));
      if (
        ignitionVolume !== undefined &&
        diskVolume !== undefined &&
        diskBytes !== undefined &&
        vcpu !== undefined &&
        memory !== undefined &&
        mac !== undefined &&
        baseImage !== undefined
      ) {
        facts = {
          role: identity.role,
          ignitionVolume,
          diskVolume,
          diskBytes,
          baseImage,
          vcpu,
          memoryKiB: memory,
          mac: mac.toLowerCase(),
          host,
          ...(artifactVolume === undefined ? {} : { artifactVolume }),
        };
      }
    }
    nodes.set(name, {
      name,
      role: identity.role,
      index: identity.index,
      host,
      block: parts.block,
      facts,
      missing,
    });
  }
  return { exists: resources.length > 0, nodes, baseImages, artifactVolumes, blocks };
}
