import { HomelabError, isHomelabError } from "../errors/index.js";
import type { NodeRole } from "../plan/types.js";
import type { AppliedState } from "./applied-state.js";
import { isPending, type Rollout, type RolloutNode } from "./plan.js";

/**
 * Runs a rollout: creations first, then every machine that must go down — rebuilt, restarted
 * or removed — one step at a time (one server, or up to `parallelAgents` agents), each as:
 *
 *   quorum check (servers) → etcd snapshot (servers) → cordon and drain → remove the Node
 *   (for a server, k3s removes its etcd member before the Node goes) → apply this step
 *   (OpenTofu, with only this node released) → wait until it is Ready as the new machine
 *
 * A single server cannot be rebuilt while the cluster serves: its snapshot is taken over SSH,
 * the new machine boots holding k3s back, the snapshot is uploaded and restored, and the
 * agents come back. Any failure stops the roll with the cluster still serving; the error
 * names the node and the step, and running the rollout again resumes it — every step is
 * safe to repeat, and which nodes are still due is read back from OpenTofu's state.
 *
 * The effects (Kubernetes API, SSH, OpenTofu, the state directory) are injected: the CLI
 * passes real ones, tests their own.
 */

export type RollStep = "quorum" | "snapshot" | "drain" | "remove" | "apply" | "restore" | "ready";

export interface SnapshotRef {
  /** Name of the snapshot in the environment's snapshots directory. */
  readonly name: string;
  readonly sha256: string;
}

export interface NodeIdentityRef {
  readonly uid?: string;
  readonly bootId?: string;
}

export interface RollTarget {
  readonly name: string;
  readonly role: NodeRole;
  readonly change: "replace" | "destroy" | "in-place";
  /** The only server the cluster has: its rebuild is a snapshot, a new machine and a restore. */
  readonly onlyServer: boolean;
}

export interface RollEffects {
  /** Runs one visible step (progress output around `work`). */
  readonly step: <T>(
    target: RollTarget | undefined,
    step: RollStep,
    title: string,
    work: () => Promise<T>,
  ) => Promise<T>;
  /** Servers Kubernetes reports Ready, or undefined when the API does not answer. */
  readonly readyServers: () => Promise<readonly string[] | undefined>;
  /** Takes an etcd snapshot on `from` and stores it in the state directory. */
  readonly snapshot: (from: string, reason: string) => Promise<SnapshotRef>;
  /** Records that the node's next machine restores this snapshot (before it is built). */
  readonly prepareRestore: (node: string, snapshot: SnapshotRef) => Promise<void>;
  /** The restore the node's next machine was prepared with, if one is outstanding. */
  readonly outstandingRestore: (node: string) => Promise<SnapshotRef | undefined>;
  readonly finishRestore: (node: string) => Promise<void>;
  /** The node's Node object's identity, undefined when it is not registered. */
  readonly identity: (node: string) => Promise<NodeIdentityRef | undefined>;
  readonly drain: (node: string) => Promise<void>;
  /** Deletes the Node and waits until it is gone (for a server: after its etcd member). */
  readonly remove: (node: string) => Promise<void>;
  /**
   * Renders with exactly `release` released, plans, checks that the plan touches no other node,
   * and applies. Returns false when the plan had no changes.
   */
  readonly apply: (release: readonly string[]) => Promise<boolean>;
  /** Uploads the snapshot to the node's new machine, which restores it before k3s starts. */
  readonly upload: (node: string, snapshot: SnapshotRef) => Promise<void>;
  /** Waits until the node is Ready as a new machine (another boot ID than `previous`). */
  readonly waitReady: (
    nodes: readonly string[],
    previous: ReadonlyMap<string, NodeIdentityRef>,
  ) => Promise<void>;
  /** Keeps what was applied (for `homelab plan`'s differences). */
  readonly recordApplied: (nodes: readonly string[]) => Promise<void>;
  readonly warn: (message: string) => void;
}

export interface RollOptions {
  /** Agents rebuilt at the same time (default 1); servers always one at a time. */
  readonly parallelAgents?: number;
  /** Servers before agents (a k3s upgrade: the version skew policy wants servers first). */
  readonly serversFirst?: boolean;
  /** Continue without a complete drain (pods are stopped, not moved). Never skips a quorum check. */
  readonly force?: boolean;
  /** Roll only these nodes (`homelab replace`); others due stay as they are. */
  readonly only?: readonly string[];
}

export interface RollResult {
  readonly created: boolean;
  readonly steps: readonly (readonly string[])[];
}

/** etcd's majority of `members`. */
export function quorumOf(members: number): number {
  return Math.floor(members / 2) + 1;
}

/**
 * A scale-down that no sequence of single-server steps makes safe: to an even number of servers
 * below the current majority (5 → 2 keeps no failure tolerance and loses the majority on the way).
 * Scaling down to an odd number (3 → 1) rolls one server at a time. Returns the refusal, if any.
 */
export function scaleDownRefusal(rollout: Rollout, file: string): HomelabError | undefined {
  const applied = rollout.nodes.filter(
    (node) => node.role === "server" && node.change.kind !== "create" && node.applied,
  );
  const wanted = rollout.nodes.filter((node) => node.role === "server" && node.change.kind !== "destroy");
  if (wanted.length >= applied.length) return undefined;
  const majority = quorumOf(applied.length);
  if (wanted.length % 2 === 0 && wanted.length < majority) {
    return new HomelabError(
      "quorum-at-risk",
      `scaling the servers from ${applied.length} to ${wanted.length} would leave an even number below etcd's majority of ${majority}`,
      {
        where: { file, path: "servers.count" },
        fix: `Scale to an odd number (${wanted.length + 1} or ${Math.max(1, wanted.length - 1)}); homelab then removes one server at a time.`,
      },
    );
  }
  return undefined;
}

/** The node and step a roll stopped at: the cause's code, its message, and how to go on. */
export class RollStopped extends HomelabError {
  constructor(
    readonly node: string,
    readonly step: RollStep,
    cause: unknown,
    rest: readonly string[],
  ) {
    const inner = isHomelabError(cause) ? cause : undefined;
    const message = inner?.message ?? (cause instanceof Error ? cause.message : String(cause));
    const remaining = rest.length > 0 ? ` Still due after it: ${rest.join(", ")}.` : "";
    super(inner?.code ?? "rollout-stopped", `the roll stopped at ${node}, step "${step}": ${message}`, {
      cause,
      ...(inner?.where ? { where: inner.where } : {}),
      fix:
        `${inner?.fix ? `${inner.fix} ` : ""}Nothing after this step was touched and the rest of the cluster still serves.` +
        ` Run \`homelab apply\` again to resume with ${node}.${remaining}`,
      details: inner?.details ?? [],
    });
  }
}

function targetOf(node: RolloutNode, appliedServers: number): RollTarget {
  const change =
    node.change.kind === "destroy" ? "destroy" : node.change.kind === "in-place" ? "in-place" : "replace";
  return {
    name: node.name,
    role: node.role,
    change,
    onlyServer: node.role === "server" && appliedServers === 1,
  };
}

/** The steps of the roll: one server per step, agents in groups of `parallel`. */
export function rollSteps(rollout: Rollout, options: RollOptions = {}): string[][] {
  const byName = new Map(rollout.nodes.map((node) => [node.name, node]));
  // A blocked rebuild (the only server) is released by the roll itself: it prepares the restore.
  const due = options.only ? rollout.order.filter((name) => options.only?.includes(name)) : rollout.order;
  const agents = due.filter((name) => byName.get(name)?.role === "agent");
  const servers = due.filter((name) => byName.get(name)?.role === "server");
  const parallel = Math.max(1, options.parallelAgents ?? 1);
  const agentSteps: string[][] = [];
  for (let i = 0; i < agents.length; i += parallel) agentSteps.push(agents.slice(i, i + parallel));
  const serverSteps = servers.map((name) => [name]);
  return options.serversFirst ? [...serverSteps, ...agentSteps] : [...agentSteps, ...serverSteps];
}

export async function executeRollout(
  rollout: Rollout,
  effects: RollEffects,
  options: RollOptions = {},
): Promise<RollResult> {
  const byName = new Map(rollout.nodes.map((node) => [node.name, node]));
  const appliedServers = rollout.nodes.filter((node) => node.role === "server" && node.applied !== undefined);

  // A single server rebuilt earlier whose restore never finished: finish it before anything else.
  for (const server of appliedServers) {
    const outstanding = await effects.outstandingRestore(server.name);
    if (!outstanding || isPending(server.change)) continue;
    const target = targetOf(server, appliedServers.length);
    await runStep(target, "restore", [], () =>
      effects.step(target, "restore", `Restoring snapshot ${outstanding.name} on ${server.name}`, () =>
        effects.upload(server.name, outstanding),
      ),
    );
    await runStep(target, "ready", [], () =>
      effects.step(target, "ready", "Waiting for every node to be Ready", () =>
        effects.waitReady(
          rollout.nodes.filter((n) => n.change.kind !== "destroy").map((n) => n.name),
          new Map(),
        ),
      ),
    );
    await effects.finishRestore(server.name);
    await effects.recordApplied([server.name]);
  }

  const created = await effects.step(
    undefined,
    "apply",
    "Applying creations and changes that keep every machine up",
    () => effects.apply([]),
  );
  const creations = rollout.nodes.filter((node) => node.change.kind === "create").map((node) => node.name);
  if (creations.length > 0) await effects.recordApplied(creations);
  const steps = rollSteps(rollout, options);
  for (const [index, group] of steps.entries()) {
    const rest = steps.slice(index + 1).flat();
    const targets = group.map((name) => targetOf(byName.get(name)!, appliedServers.length));
    await rollGroup(targets, rest);
  }
  return { created, steps };

  async function runStep<T>(
    target: RollTarget,
    step: RollStep,
    rest: readonly string[],
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof RollStopped) throw error;
      throw new RollStopped(target.name, step, error, rest);
    }
  }

  async function rollGroup(targets: readonly RollTarget[], rest: readonly string[]): Promise<void> {
    const previous = new Map<string, NodeIdentityRef>();
    let restore: SnapshotRef | undefined;
    for (const target of targets) {
      if (target.role === "server") await checkQuorum(target, rest);
      if (target.role === "server") {
        const snapshot = await runStep(target, "snapshot", rest, async () => {
          const ready = (await effects.readyServers()) ?? [];
          // From another Ready server when there is one (the target may be the broken one), and
          // from the next one when a server cannot take it; the target itself last.
          const candidates = [...ready.filter((name) => name !== target.name), target.name];
          let failure: unknown;
          for (const from of candidates) {
            try {
              return await effects.step(target, "snapshot", `Taking an etcd snapshot on ${from}`, () =>
                effects.snapshot(from, `pre-${target.change}`),
              );
            } catch (error) {
              if (!isHomelabError(error) || !error.code.startsWith("snapshot")) throw error;
              failure = error;
              if (from !== target.name)
                effects.warn(`no snapshot from ${from} (${error.message}); trying the next server`);
            }
          }
          throw failure;
        });
        if (target.onlyServer && target.change === "replace") {
          restore = snapshot;
          await runStep(target, "snapshot", rest, () => effects.prepareRestore(target.name, snapshot));
        }
      }
      const identity = await runStep(target, "drain", rest, () => effects.identity(target.name));
      if (identity) previous.set(target.name, identity);
      if (!target.onlyServer) {
        await runStep(target, "drain", rest, () =>
          effects.step(target, "drain", `Draining ${target.name}`, async () => {
            try {
              await effects.drain(target.name);
            } catch (error) {
              if (!options.force || !isHomelabError(error)) throw error;
              effects.warn(
                `--force: continuing without a complete drain of ${target.name} (${error.message})`,
              );
            }
          }),
        );
      }
      if (target.change !== "in-place" && !target.onlyServer) {
        await runStep(target, "remove", rest, () =>
          effects.step(
            target,
            "remove",
            target.role === "server"
              ? `Removing ${target.name} from the cluster (Node and etcd member)`
              : `Removing the Node ${target.name}`,
            () => effects.remove(target.name),
          ),
        );
      }
    }
    const names = targets.map((target) => target.name);
    const first = targets[0]!;
    const verb =
      first.change === "destroy" ? "Removing" : first.change === "in-place" ? "Restarting" : "Rebuilding";
    await runStep(first, "apply", rest, () =>
      effects.step(first, "apply", `${verb} ${names.join(", ")}`, () => effects.apply(names)),
    );
    if (restore) {
      const snapshot = restore;
      await runStep(first, "restore", rest, () =>
        effects.step(first, "restore", `Restoring snapshot ${snapshot.name} on the new ${first.name}`, () =>
          effects.upload(first.name, snapshot),
        ),
      );
    }
    const waiting = targets.filter((target) => target.change !== "destroy").map((target) => target.name);
    if (waiting.length > 0) {
      const everyone = restore
        ? rollout.nodes.filter((node) => node.change.kind !== "destroy").map((node) => node.name)
        : waiting;
      await runStep(first, "ready", rest, () =>
        effects.step(first, "ready", `Waiting for ${everyone.join(", ")} to be Ready`, () =>
          effects.waitReady(everyone, previous),
        ),
      );
    }
    if (restore) await effects.finishRestore(first.name);
    await effects.recordApplied(waiting);
  }

  async function checkQuorum(target: RollTarget, rest: readonly string[]): Promise<void> {
    if (target.onlyServer) return;
    await runStep(target, "quorum", rest, async () => {
      const members = appliedServers.length;
      const need = target.change === "in-place" ? quorumOf(members) : quorumOf(members - 1);
      const ready = await effects.readyServers();
      if (ready === undefined) {
        throw new HomelabError(
          "kubernetes-unreachable",
          `cannot check etcd's quorum before taking ${target.name} down: the Kubernetes API does not answer`,
          {
            fix: "Bring the cluster's API back (`homelab status`) first: homelab never takes a server down without seeing the others healthy.",
          },
        );
      }
      const others = ready.filter(
        (name) => name !== target.name && appliedServers.some((s) => s.name === name),
      );
      if (others.length < need) {
        throw new HomelabError(
          "quorum-at-risk",
          `taking ${target.name} down would leave ${others.length} of ${members} servers Ready${others.length > 0 ? ` (${others.join(", ")})` : ""}; etcd needs ${need}`,
          {
            fix:
              "Bring the servers that are not Ready back first (`homelab status`, `homelab ssh <server> -- journalctl -u k3s`). " +
              "If they are lost for good, restore the cluster from a snapshot (`homelab restore`).",
          },
        );
      }
    });
  }
}

/**
 * An environment applied before base volumes were keyed by release was also built before the
 * registration address: its servers' certificates do not cover the address and no kube-vip
 * announces it, so no node can join through it while those servers run. Rolling it in place would
 * stop at the first node; it is moved instead (backup, destroy, up, restore).
 */
export function migrationRefusal(
  applied: AppliedState,
  environment: string,
  file: string,
): HomelabError | undefined {
  if (!applied.baseImages.some((image) => !image.keyed)) return undefined;
  return new HomelabError(
    "migration-required",
    `${environment} was created by an earlier homelab, before the registration address: its nodes cannot be rolled in place`,
    {
      where: { file },
      fix:
        `Move the cluster into a new one that keeps its data: \`homelab backup ${environment}\`, \`homelab destroy ${environment}\`, ` +
        `\`homelab up ${environment}\`, then \`homelab restore ${environment} <snapshot>\` (docs/05-day-two.md).`,
    },
  );
}
