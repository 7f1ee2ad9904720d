import { BOOTSTRAP, type FirstBoot, JOIN } from "../nodes/first-boot.js";
import type { NodeRole } from "../plan/types.js";
import type { AppliedState } from "./applied-state.js";
import {
  type InPlaceChange,
  inPlaceChanges,
  type MachineFacts,
  type ReplaceCause,
  replaceCauses,
} from "./facts.js";

/**
 * The rollout: for every node, what OpenTofu applied (its state) against what the environment
 * wants (the render), and from that which machines are created, restarted with new resources
 * (vCPU, memory: provider 0.9.7 stops and starts the VM), rebuilt or removed — and in which
 * order those that take a machine down roll, one node at a time: agents, then joining servers,
 * then the first server.
 *
 * A render writes one *step* of the rollout into `main.tf.json`: creations always, and only the
 * *released* restarts, rebuilds and removals (by default the next one in order). Every other
 * machine that is due for one is written with the facts it was applied with, so OpenTofu leaves
 * it alone. A new Flatcar pin, an SSH key or a k3s pin shared by every node
 * therefore never replaces every node at once — not through `homelab apply`, which drains and
 * checks each node around its step, and not through a hand-run `tofu apply` either.
 *
 * Pure: the caller renders each node's Ignition (through `factsFor`) and reads the state.
 */

export type Release =
  /** The next pending node in roll order (with `parallelAgents`, up to that many agents). */
  | { readonly kind: "next"; readonly parallelAgents?: number }
  /** No rebuild or removal: creations and in-place changes only. */
  | { readonly kind: "none" }
  /** Exactly these nodes (at most one server). */
  | { readonly kind: "nodes"; readonly names: readonly string[] };

export const RELEASE_NEXT: Release = { kind: "next" };
export const RELEASE_NONE: Release = { kind: "none" };

export interface DesiredNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly index: number;
  /** The environment's first server: the only node that ever bootstraps a cluster. */
  readonly first: boolean;
}

export type NodeChange =
  | { readonly kind: "create" }
  | { readonly kind: "unchanged" }
  | { readonly kind: "in-place"; readonly changes: readonly InPlaceChange[] }
  | { readonly kind: "replace"; readonly causes: readonly ReplaceCause[] }
  | { readonly kind: "destroy" };

export interface RolloutNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly index: number;
  readonly first: boolean;
  readonly change: NodeChange;
  /** What OpenTofu applied for its current machine (undefined: none, or half-built). */
  readonly applied: MachineFacts | undefined;
  /** How its current machine started k3s, when its Ignition matches one of homelab's renders. */
  readonly current: FirstBoot | undefined;
  /**
   * The machine the node has after its step: the one kept (unchanged, in place) or the one
   * built (create, replace). Undefined for a removal, or while the rebuild is blocked.
   */
  readonly next: { readonly firstBoot: FirstBoot; readonly facts: MachineFacts } | undefined;
  /** Why this node's rebuild cannot be released yet (it stays as it is). */
  readonly blocked: string | undefined;
}

/** A node as this step's `main.tf.json` writes it. */
export interface EmittedNode {
  readonly name: string;
  readonly role: NodeRole;
  readonly facts: MachineFacts;
  /** `desired`: the step builds or keeps the environment's version; `applied`: held back as applied. */
  readonly source: "desired" | "applied";
  /** The first-boot mode of the Ignition the step writes for it (desired only). */
  readonly firstBoot: FirstBoot | undefined;
}

export interface Rollout {
  /** Every node of the environment, then every applied node it no longer has. */
  readonly nodes: readonly RolloutNode[];
  /** Nodes due for a rebuild or removal, in roll order. */
  readonly order: readonly string[];
  /** The rebuilds and removals this step applies. */
  readonly released: readonly string[];
  readonly emitted: readonly EmittedNode[];
}

export interface RolloutInputs {
  readonly desired: readonly DesiredNode[];
  readonly applied: AppliedState;
  /** The facts of a node's machine built in a first-boot mode (the caller renders and memoizes). */
  readonly factsFor: (node: string, firstBoot: FirstBoot) => MachineFacts;
  /** The restores the first server's machines did (first-boot-record.ts), newest first. */
  readonly recordedRestores?: readonly FirstBoot[];
  /** The restore prepared for the first server's next machine, if the rollout prepared one. */
  readonly preparedRestore?: FirstBoot;
  readonly release: Release;
  /** Nodes to rebuild even if nothing changed (`homelab replace`). */
  readonly requested?: readonly string[];
}

/** Thrown for a release the rollout must not make: a bug in the caller, or bad CLI input. */
export class ReleaseRefused extends Error {}

const BLOCKED_SINGLE_SERVER =
  "it is the only server: rebuilding it needs an etcd snapshot first, taken and restored by `homelab apply` / `homelab replace`";

export function planRollout(inputs: RolloutInputs): Rollout {
  const { applied } = inputs;
  const requested = new Set(inputs.requested ?? []);
  const appliedServers = [...applied.nodes.values()].filter((node) => node.role === "server");

  const buildMode = (node: DesiredNode): FirstBoot | "blocked" => {
    if (node.role === "agent") return JOIN;
    if (appliedServers.length === 0) return node.first ? BOOTSTRAP : JOIN;
    if (appliedServers.some((server) => server.name !== node.name)) return JOIN;
    // The only server of the cluster is being rebuilt: only a restore keeps the cluster.
    return inputs.preparedRestore ?? "blocked";
  };

  const nodes: RolloutNode[] = [];
  for (const node of inputs.desired) {
    const base = { name: node.name, role: node.role, index: node.index, first: node.first };
    const machine = applied.nodes.get(node.name);
    const build = buildMode(node);
    const built = () =>
      build === "blocked" ? undefined : { firstBoot: build, facts: inputs.factsFor(node.name, build) };
    if (!machine) {
      nodes.push({
        ...base,
        change: { kind: "create" },
        applied: undefined,
        current: undefined,
        next: built(),
        blocked: build === "blocked" ? BLOCKED_SINGLE_SERVER : undefined,
      });
      continue;
    }
    if (!machine.facts) {
      const missing = machine.missing.length > 0 ? [...machine.missing] : ["attributes"];
      nodes.push({
        ...base,
        change: { kind: "replace", causes: [{ kind: "incomplete", missing }] },
        applied: undefined,
        current: undefined,
        next: built(),
        blocked: build === "blocked" ? BLOCKED_SINGLE_SERVER : undefined,
      });
      continue;
    }
    const facts = machine.facts;
    const candidates: FirstBoot[] =
      node.role === "agent" || !node.first ? [JOIN] : [...(inputs.recordedRestores ?? []), BOOTSTRAP, JOIN];
    const current = candidates.find(
      (mode) => inputs.factsFor(node.name, mode).ignitionVolume === facts.ignitionVolume,
    );
    const stayMode = current ?? (build === "blocked" ? candidates[candidates.length - 1]! : build);
    const stay = inputs.factsFor(node.name, stayMode);
    const causes = replaceCauses(facts, stay);
    if (requested.has(node.name) && causes.length === 0) causes.push({ kind: "requested" });
    if (causes.length > 0) {
      nodes.push({
        ...base,
        change: { kind: "replace", causes },
        applied: facts,
        current,
        next: built(),
        blocked: build === "blocked" ? BLOCKED_SINGLE_SERVER : undefined,
      });
      continue;
    }
    const changes = inPlaceChanges(facts, stay);
    nodes.push({
      ...base,
      change: changes.length > 0 ? { kind: "in-place", changes } : { kind: "unchanged" },
      applied: facts,
      current,
      next: { firstBoot: stayMode, facts: stay },
      blocked: undefined,
    });
  }
  const wanted = new Set(inputs.desired.map((node) => node.name));
  const removed = [...applied.nodes.values()]
    .filter((node) => !wanted.has(node.name))
    .sort((a, b) => (a.role === b.role ? a.index - b.index : a.role === "server" ? 1 : -1));
  for (const node of removed) {
    nodes.push({
      name: node.name,
      role: node.role,
      index: node.index,
      first: false,
      change: { kind: "destroy" },
      applied: node.facts,
      current: undefined,
      next: undefined,
      blocked: undefined,
    });
  }

  const order = rollOrder(nodes);
  const released = releaseOf(inputs.release, order, nodes);
  const releasedSet = new Set(released);
  const emitted: EmittedNode[] = [];
  for (const node of nodes) {
    const isReleased = releasedSet.has(node.name);
    const keep = (facts: MachineFacts | undefined) => {
      if (facts)
        emitted.push({ name: node.name, role: node.role, facts, source: "applied", firstBoot: undefined });
    };
    const build = () => {
      if (node.next)
        emitted.push({
          name: node.name,
          role: node.role,
          facts: node.next.facts,
          source: "desired",
          firstBoot: node.next.firstBoot,
        });
    };
    switch (node.change.kind) {
      case "create":
      case "unchanged":
        build();
        break;
      case "in-place":
        // provider 0.9.7 applies vCPU and memory by shutting the VM down and starting it again:
        // a restart, which rolls like a rebuild (drained, one node at a time).
        if (isReleased) build();
        else keep(node.applied);
        break;
      case "replace":
        // A half-built machine has no applied facts to hold it back with: it is finished now.
        if (isReleased || !node.applied) build();
        else keep(node.applied);
        break;
      case "destroy":
        if (!isReleased) keep(node.applied);
        break;
    }
  }
  return { nodes, order, released, emitted };
}

/** Whether a change takes the node's machine down: it waits for its step of the roll. */
export function isPending(change: NodeChange): boolean {
  return change.kind === "replace" || change.kind === "destroy" || change.kind === "in-place";
}

/** Agents, then joining servers, then the first server; removals before rebuilds in each. */
function rollOrder(nodes: readonly RolloutNode[]): string[] {
  const pending = nodes.filter((node) => isPending(node.change));
  const rank = (node: RolloutNode): number[] => {
    const group = node.role === "agent" ? 0 : node.first ? 2 : 1;
    const removal = node.change.kind === "destroy";
    // Servers leave from the highest index down, so the lowest-numbered ones stay.
    const position = removal && node.role === "server" ? -node.index : node.index;
    return [group, removal ? 0 : 1, position];
  };
  return pending
    .slice()
    .sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
      return 0;
    })
    .map((node) => node.name);
}

function releaseOf(release: Release, order: readonly string[], nodes: readonly RolloutNode[]): string[] {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const releasable = order.filter((name) => byName.get(name)?.blocked === undefined);
  switch (release.kind) {
    case "none":
      return [];
    case "next": {
      const [first] = releasable;
      if (first === undefined) return [];
      const node = byName.get(first)!;
      if (node.role === "server") return [first];
      const limit = Math.max(1, release.parallelAgents ?? 1);
      const agents: string[] = [];
      for (const name of releasable) {
        if (byName.get(name)?.role !== "agent" || agents.length >= limit) break;
        agents.push(name);
      }
      return agents;
    }
    case "nodes": {
      const servers = release.names.filter((name) => byName.get(name)?.role === "server");
      if (servers.length > 1)
        throw new ReleaseRefused(`at most one server per step, not ${servers.join(" and ")}`);
      for (const name of release.names) {
        const node = byName.get(name);
        if (!node) throw new ReleaseRefused(`${name} is not a node of the environment or its state`);
        if (node.blocked) throw new ReleaseRefused(`${name} cannot be rebuilt yet: ${node.blocked}`);
      }
      return [...release.names].filter((name) => order.includes(name));
    }
  }
}
