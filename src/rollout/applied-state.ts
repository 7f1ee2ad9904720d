import { z } from "zod";
import { HomelabError } from "../errors/index.js";
import type { NodeRole } from "../plan/types.js";
import { baseKeyOfVolume, LIBVIRT_TYPES, RESOURCE_NAMES } from "../tofu/names.js";
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
 */

export interface AppliedNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly index: number;
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
}

export interface AppliedState {
  /** Whether a state file exists and records resources. */
  readonly exists: boolean;
  readonly nodes: ReadonlyMap<string, AppliedNode>;
  readonly baseImages: readonly AppliedBaseImage[];
}

export const NO_APPLIED_STATE: AppliedState = { exists: false, nodes: new Map(), baseImages: [] };

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
  readonly type: string;
  readonly name: string;
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
      const match = /^(libvirt_[a-z]+)__([a-z_]+)$/.exec(name);
      if (!match) continue;
      type = match[1]!;
      name = match[2]!;
      standIn = true;
    }
    if (!type.startsWith("libvirt_")) continue;
    for (const instance of resource.instances) {
      const attributes = instance.attributes;
      // terraform_data stores a dynamic value as { value, type }.
      const values = standIn ? at(attributes, "input", "value") : attributes;
      if (typeof values !== "object" || values === null) continue;
      resources.push({
        type,
        name,
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

/**
 * Parses the state file's text. `undefined` (no file) and a state without resources give
 * `NO_APPLIED_STATE`-like results; a file that is not a state is an error naming it.
 */
export function parseAppliedState(stateText: string | undefined, prefix: string, file: string): AppliedState {
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
  const volumes = (name: string) =>
    resources.filter((r) => r.type === LIBVIRT_TYPES.volume && r.name === name);

  const baseImages: AppliedBaseImage[] = [];
  for (const base of volumes(RESOURCE_NAMES.baseImage)) {
    const name = text(base.values.name);
    const key = base.key ?? (name ? baseKeyOfVolume(prefix, name) : undefined);
    if (name === undefined || key === undefined) continue;
    baseImages.push({ key, name, path: text(base.values.path), keyed: base.key !== undefined });
  }
  const baseByPath = new Map(baseImages.flatMap((b) => (b.path ? [[b.path, b.key] as const] : [])));

  const byNode = new Map<string, { ignition?: Values; disk?: Values; domain?: Values }>();
  const entry = (key: string) => {
    let found = byNode.get(key);
    if (!found) {
      found = {};
      byNode.set(key, found);
    }
    return found;
  };
  for (const resource of resources) {
    if (resource.key === undefined) continue;
    if (resource.type === LIBVIRT_TYPES.volume && resource.name === RESOURCE_NAMES.ignition)
      entry(resource.key).ignition = resource.values;
    else if (resource.type === LIBVIRT_TYPES.volume && resource.name === RESOURCE_NAMES.disk)
      entry(resource.key).disk = resource.values;
    else if (resource.type === LIBVIRT_TYPES.domain && resource.name === RESOURCE_NAMES.domain)
      entry(resource.key).domain = resource.values;
  }

  const nodes = new Map<string, AppliedNode>();
  for (const [name, parts] of byNode) {
    const identity = roleOfNodeName(prefix, name);
    if (!identity) continue;
    const missing = (["ignition", "disk", "domain"] as const).filter((part) => parts[part] === undefined);
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
      // The backing store names the base; failing that, the disk's own name carries the release
      // (`<node>-<size>gib-<release>.qcow2`), and a single legacy base volume is every disk's base.
      const namedBase = diskVolume
        ? new RegExp(`^${escapeRegExp(name)}-\\d+gib-(.+)\\.qcow2$`).exec(diskVolume)?.[1]
        : undefined;
      const baseImage =
        (backing ? baseByPath.get(backing) : undefined) ??
        (namedBase && baseImages.some((b) => b.key === namedBase) ? namedBase : undefined) ??
        (baseImages.length === 1 ? baseImages[0]?.key : undefined);
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
        };
      }
    }
    nodes.set(name, { name, role: identity.role, index: identity.index, facts, missing });
  }
  return { exists: resources.length > 0, nodes, baseImages };
}
