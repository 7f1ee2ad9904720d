import { HomelabError } from "../errors/index.js";
import type { ClusterPlan } from "../plan/types.js";
import type { AppliedState } from "../rollout/index.js";
import {
  artifactVolumeAddress,
  baseImageAddress,
  nodeAddresses,
  type ResourceKind,
  resourceAddress,
  type TfJsonDocument,
  type TfMoved,
} from "../tofu/index.js";

/**
 * Between the two layouts of the configuration — plain names on one host (`node`), a block per
 * host on several (`node_hv1`) — the state of a machine that stays where it is must follow it
 * to its new address, or OpenTofu would destroy and rebuild it. One host becoming several: the
 * single host is the first of `hosts`, so its resources move to the first host's blocks.
 * Several becoming one: the remaining host's blocks move to the plain names.
 *
 * Only instances the new layout still has at the target are moved; everything else in the old
 * layout (a node released to another host, a base volume nobody uses) stays at its old address
 * and is destroyed, which needs the provider configuration it was created with: `stateProviders`.
 */
export interface HostLayout {
  readonly moved: readonly TfMoved[];
  readonly stateProviders: { readonly unaliased: boolean; readonly aliases: readonly string[] };
}

export const NO_LAYOUT_CHANGE: HostLayout = { moved: [], stateProviders: { unaliased: false, aliases: [] } };

const localName = (name: string, block: string | undefined) =>
  block === undefined ? name : `${name}_${block}`;

function localKeys(document: TfJsonDocument, name: string): ReadonlySet<string> {
  const value = document.locals?.[name];
  return new Set(typeof value === "object" && value !== null ? Object.keys(value) : []);
}

function hasResource(document: TfJsonDocument, kind: ResourceKind, block: string | undefined): boolean {
  const [type = "", name = ""] = resourceAddress(kind, block).split(".");
  return document.resource[type]?.[name] !== undefined;
}

/**
 * Refuses a state that holds resources on a host the environment no longer names: OpenTofu could
 * neither keep nor destroy them without that host's URI.
 */
export function assertKnownHosts(plan: ClusterPlan, applied: AppliedState, environmentFile: string): void {
  const known = new Set(plan.hosts.map((host) => host.name));
  const gone = [...new Set(applied.blocks.flatMap((b) => (b.block === undefined ? [] : [b.block])))].filter(
    (host) => !known.has(host),
  );
  if (gone.length === 0) return;
  const nodes = [...applied.nodes.values()].filter((node) => gone.includes(node.host)).map((n) => n.name);
  throw new HomelabError(
    "host-still-used",
    `the OpenTofu state still has resources on ${gone.join(", ")}, which ${gone.length === 1 ? "is" : "are"} no longer in hosts${nodes.length > 0 ? ` (nodes ${nodes.join(", ")})` : ""}`,
    {
      where: { file: environmentFile, path: "hosts" },
      fix:
        `Put ${gone.join(", ")} back into hosts and move ${nodes.length > 0 ? "its nodes" : "everything"} off first: ` +
        "pin them to the other hosts (nodes.<name>.host), `homelab apply` (each moves as a replacement), then remove the host.",
    },
  );
}

/** The moves and leftover providers of this render, from the applied state and the synthesized document. */
export function hostLayout(plan: ClusterPlan, applied: AppliedState, document: TfJsonDocument): HostLayout {
  const first = plan.hosts[0]?.name;
  if (first === undefined) return NO_LAYOUT_CHANGE;
  // Where the old layout's resources are, and where they go.
  const from: string | undefined = plan.multiHost ? undefined : first;
  const to: string | undefined = plan.multiHost ? first : undefined;
  const old = applied.blocks.filter((b) => b.kind !== "network" && b.block === from);
  if (old.length === 0 || (from === undefined && to === undefined)) return NO_LAYOUT_CHANGE;

  const moved: TfMoved[] = [];
  if (old.some((b) => b.kind === "pool") && hasResource(document, "pool", to))
    moved.push({ from: resourceAddress("pool", from), to: resourceAddress("pool", to) });
  const bases = localKeys(document, localName("base_images", to));
  for (const base of applied.baseImages)
    if (base.block === from && base.keyed && bases.has(base.key))
      moved.push({ from: baseImageAddress(base.key, from), to: baseImageAddress(base.key, to) });
  const volumes = localKeys(document, localName("artifact_volumes", to));
  for (const volume of applied.artifactVolumes)
    if (volume.block === from && volumes.has(volume.key))
      moved.push({
        from: artifactVolumeAddress(volume.key, from),
        to: artifactVolumeAddress(volume.key, to),
      });
  const nodes = localKeys(document, localName("nodes", to));
  for (const node of applied.nodes.values()) {
    if (node.block !== from || !nodes.has(node.name)) continue;
    const [a, b] = [nodeAddresses(node.name, from), nodeAddresses(node.name, to)];
    for (const part of ["ignition", "disk", "domain"] as const) {
      if (node.missing.includes(part)) continue;
      moved.push({ from: a[part], to: b[part] });
    }
  }
  return {
    moved,
    // Whatever is not moved is destroyed through the provider it was created with.
    stateProviders: plan.multiHost
      ? { unaliased: true, aliases: [] }
      : { unaliased: false, aliases: [first] },
  };
}
