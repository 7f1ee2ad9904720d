import { describeFirstBoot } from "../nodes/first-boot.js";
import { describeCause, describeInPlace } from "./facts.js";
import { isPending, type Rollout, type RolloutNode } from "./plan.js";

/**
 * The rollout in words, for `plan`, `apply` and `up` before they ask: what is created, what
 * rolls and in which order, why each machine is rebuilt, and how each new machine starts k3s
 * (which one bootstraps, which join). Pure text; `--json` uses `rolloutData`.
 */

function changeLine(node: RolloutNode): string {
  switch (node.change.kind) {
    case "create":
      return "created";
    case "unchanged":
      return "unchanged";
    case "in-place":
      return `restarted with ${node.change.changes.map(describeInPlace).join(", ")}`;
    case "replace":
      return "rebuilt (new disk, new VM)";
    case "destroy":
      return "removed";
  }
}

export interface RolloutFormatOptions {
  readonly steps?: readonly (readonly string[])[];
  /** Per rebuilt node, lines explaining its Ignition change (already indented), e.g. a diff. */
  readonly ignition?: ReadonlyMap<string, readonly string[]>;
}

export function formatRollout(rollout: Rollout, options: RolloutFormatOptions = {}): string {
  const byName = new Map(rollout.nodes.map((node) => [node.name, node]));
  const lines: string[] = [];
  const created = rollout.nodes.filter((node) => node.change.kind === "create");
  if (created.length > 0) {
    lines.push("Created first (nothing else goes down for them):");
    for (const node of created)
      lines.push(`  ${node.name}${node.next ? ` — ${describeFirstBoot(node.next.firstBoot)}` : ""}`);
  }
  const steps = options.steps ?? rollout.order.map((name) => [name]);
  if (steps.length > 0) {
    lines.push("Then one step at a time (drained first, Ready again before the next):");
    steps.forEach((group, index) => {
      for (const name of group) {
        const node = byName.get(name);
        if (!node) continue;
        lines.push(`  ${index + 1}. ${name}: ${changeLine(node)}`);
        if (node.change.kind === "replace") {
          for (const cause of node.change.causes) {
            lines.push(`       - ${describeCause(cause)}`);
            if (cause.kind === "ignition") lines.push(...(options.ignition?.get(name) ?? []));
          }
          if (node.next) lines.push(`       - the new machine ${describeFirstBoot(node.next.firstBoot)}`);
        }
        if (node.blocked) lines.push(`       - ${node.blocked}`);
      }
    });
  }
  if (lines.length === 0) lines.push("Every node matches the environment.");
  return lines.join("\n");
}

/** The rollout for `--json`. */
export function rolloutData(rollout: Rollout): Record<string, unknown> {
  return {
    order: rollout.order,
    released: rollout.released,
    nodes: rollout.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      change: node.change.kind,
      due: isPending(node.change),
      causes: node.change.kind === "replace" ? node.change.causes.map(describeCause) : [],
      inPlace: node.change.kind === "in-place" ? node.change.changes.map(describeInPlace) : [],
      current: node.current?.kind ?? null,
      next: node.next ? node.next.firstBoot.kind : null,
      blocked: node.blocked ?? null,
    })),
  };
}
