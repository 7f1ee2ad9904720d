import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import {
  type ClusterApi,
  connectClusterApi,
  drainNode,
  type NodeIdentity,
  nodeIdentity,
  nodeView,
  type WaitClock,
  waitForNodesReady,
  waitForReplacement,
  waitUntil,
} from "../../cluster/index.js";
import { HomelabError, isHomelabError } from "../../errors/index.js";
import type { RenderResult } from "../../render/index.js";
import {
  executeRollout,
  type NodeIdentityRef,
  parseFirstBootRecord,
  preparedRestore,
  RELEASE_NEXT,
  RELEASE_NONE,
  type Release,
  type RollEffects,
  type Rollout,
  type RollResult,
  rollSteps,
  type SnapshotRef,
  serializeFirstBootRecord,
  withoutPreparedRestore,
  withPreparedRestore,
} from "../../rollout/index.js";
import { processInterrupts, type SavedPlan, type TofuRunner } from "../../runner/index.js";
import { writeSecretFileAtomic } from "../../secrets/index.js";
import { forgetHostKeys } from "../../ssh/index.js";
import { type StateLayout, stateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { environmentKubeconfig } from "./cluster-access.js";
import { fetchClusterKubeconfig } from "./cluster-waits.js";
import { recordAppliedIgnition } from "./ignition-changes.js";
import type { Session } from "./session.js";

/**
 * The rollout, wired to the real world: the Kubernetes API (through the environment's
 * kubeconfig), etcd snapshots over SSH, OpenTofu through the session's runner, and the state
 * directory. The order of the steps and what each one guarantees live in
 * src/rollout/execute.ts; this file only says how each effect is done.
 */

/** etcd snapshots over SSH (src/snapshots): taken before server steps, restored on a rebuilt single server. */
export interface SnapshotOperations {
  take(
    context: CliContext,
    layout: StateLayout,
    node: { name: string; address: string },
    reason: string,
  ): Promise<SnapshotRef>;
  upload(
    context: CliContext,
    layout: StateLayout,
    node: { name: string; address: string },
    snapshot: SnapshotRef,
  ): Promise<void>;
}

export interface RollCommandOptions {
  readonly timeoutMs: number;
  readonly parallelAgents: number;
  readonly serversFirst: boolean;
  readonly force: boolean;
  readonly snapshots: SnapshotOperations;
  /** Roll only these nodes (`homelab replace`). */
  readonly only?: readonly string[];
}

/** A clock whose waits end at Ctrl-C with `interrupted`, so that a roll stops between polls. */
function interruptibleClock(context: CliContext): {
  clock: WaitClock;
  stop: () => void;
  interrupted: () => boolean;
} {
  let interrupted = false;
  const wakers = new Set<() => void>();
  const unsubscribe = processInterrupts().subscribe(() => {
    interrupted = true;
    for (const wake of [...wakers]) wake();
  });
  const clock: WaitClock = {
    now: context.now,
    sleep: (ms) =>
      new Promise<void>((resolve, reject) => {
        if (interrupted) {
          reject(interruptedError());
          return;
        }
        const timer = setTimeout(() => {
          wakers.delete(wake);
          resolve();
        }, ms);
        const wake = () => {
          clearTimeout(timer);
          wakers.delete(wake);
          reject(interruptedError());
        };
        wakers.add(wake);
      }),
  };
  return { clock, stop: unsubscribe, interrupted: () => interrupted };
}

function interruptedError(): HomelabError {
  return new HomelabError("interrupted", "interrupted (Ctrl-C)", {
    fix: "The step in progress was left as it was; nothing after it was started.",
  });
}

/** The names of nodes a saved plan rebuilds, removes or changes, outside `allowed` and creations. */
function unexpectedNodes(plan: SavedPlan, allowed: ReadonlySet<string>): string[] {
  return plan.summary.nodes
    .filter((node) => !allowed.has(node.node) && node.action !== "create")
    .map((n) => n.node);
}

/**
 * Rolls the session's environment: applies creations and changes that keep every machine
 * up, then every rebuild, restart and removal one step at a time. Confirmation is the caller's
 * (it shows `formatRollout` first).
 */
export async function rollEnvironment(
  context: CliContext,
  session: Session,
  rollout: Rollout,
  options: RollCommandOptions,
): Promise<{ result: RollResult; render: RenderResult }> {
  let render = session.render;
  const runner: TofuRunner = session.runner;
  const layout = stateLayout(render.stateDir);
  const plan = render.plan;
  const name = plan.environment.name;
  const gate = interruptibleClock(context);
  const nodeNames = [...new Set([...plan.nodes.map((n) => n.name), ...rollout.nodes.map((n) => n.name)])];
  const addressOf = (node: string) => plan.nodes.find((n) => n.name === node)?.address;
  const created = new Set(rollout.nodes.filter((n) => n.change.kind === "create").map((n) => n.name));

  let api: ClusterApi | undefined;
  const cluster = async (): Promise<ClusterApi> => {
    if (api) return api;
    const kubeconfig = environmentKubeconfig(context, name);
    if (!existsSync(kubeconfig)) {
      await fetchClusterKubeconfig(context, plan, layout, {
        timeoutMs: Math.min(options.timeoutMs, 120_000),
        merge: false,
      });
    }
    api = await connectClusterApi({ kubeconfigPath: kubeconfig });
    return api;
  };

  const readRecord = async () =>
    parseFirstBootRecord(
      await readFile(layout.firstBootRecord, "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return undefined;
        throw error;
      }),
      layout.firstBootRecord,
    );
  const writeRecord = async (text: string) => {
    await mkdir(dirname(layout.firstBootRecord), { recursive: true, mode: 0o700 });
    await writeSecretFileAtomic(layout.firstBootRecord, text);
  };

  const effects: RollEffects = {
    step: (_target, _step, title, work) => context.reporter.step(title, () => work()),
    warn: (message) => context.reporter.warn(message),
    readyServers: async () => {
      try {
        const nodes = await (await cluster()).listNodes();
        const servers = new Set(plan.nodes.filter((n) => n.role === "server").map((n) => n.name));
        for (const node of rollout.nodes) if (node.role === "server") servers.add(node.name);
        return nodes
          .map((node) => nodeView(node))
          .filter((view) => servers.has(view.name) && view.readiness === "Ready")
          .map((view) => view.name);
      } catch (error) {
        if (
          isHomelabError(error) &&
          (error.code === "kubernetes-unreachable" || error.code === "k3s-server-timeout")
        )
          return undefined;
        throw error;
      }
    },
    snapshot: async (from, reason) => {
      const address = addressOf(from);
      if (!address) throw new HomelabError("internal", `no address for ${from}`);
      return options.snapshots.take(context, layout, { name: from, address }, reason);
    },
    prepareRestore: async (node, snapshot) => {
      await writeRecord(
        serializeFirstBootRecord(withPreparedRestore(await readRecord(), node, snapshot.sha256)),
      );
      preparedSnapshots.set(node, snapshot);
    },
    outstandingRestore: async (node) => {
      const prepared = preparedRestore(await readRecord(), node);
      if (prepared?.kind !== "restore") return undefined;
      return (
        preparedSnapshots.get(node) ?? {
          name: `(sha256 ${prepared.snapshotSha256})`,
          sha256: prepared.snapshotSha256,
        }
      );
    },
    finishRestore: async (node) => {
      await writeRecord(serializeFirstBootRecord(withoutPreparedRestore(await readRecord(), node)));
      preparedSnapshots.delete(node);
    },
    identity: async (node) => {
      try {
        const object = await (await cluster()).readNode(node);
        return object ? nodeIdentity(object) : undefined;
      } catch (error) {
        if (options.force && isHomelabError(error) && error.code === "kubernetes-unreachable") {
          context.reporter.warn(
            `--force: ${node} is rebuilt without asking Kubernetes first (${error.message})`,
          );
          return undefined;
        }
        throw error;
      }
    },
    drain: async (node) => {
      const client = await cluster();
      // Resuming after a removal: a Node that is gone has nothing left to drain.
      if ((await client.readNode(node)) === undefined) return;
      await drainNode({ api: client, node, timeoutMs: options.timeoutMs, clock: gate.clock });
    },
    remove: async (node) => {
      const client = await cluster();
      const object = await client.readNode(node);
      if (!object) return;
      await client.deleteNode(node, object.metadata?.uid);
      // A server's Node carries k3s's etcd finalizer: it is gone only once its member is.
      const gone = await waitUntil<void>({
        timeoutMs: options.timeoutMs,
        intervalMs: 2000,
        clock: gate.clock,
        attempt: async () =>
          (await client.readNode(node)) === undefined
            ? { done: true, value: undefined }
            : { done: false, problem: "the Node is still there (k3s removes a server's etcd member first)" },
      });
      if (!gone.ok) {
        throw new HomelabError(
          "rollout-stopped",
          `${node}'s Node object was not removed within ${Math.round(options.timeoutMs / 1000)}s`,
          {
            fix:
              `See why with \`kubectl --kubeconfig ${environmentKubeconfig(context, name)} get node ${node} -o yaml\` ` +
              "(a server's etcd member removal needs the other servers healthy).",
          },
        );
      }
    },
    apply: async (release) => {
      const step: Release = release.length === 0 ? RELEASE_NONE : { kind: "nodes", names: release };
      render = await session.rerender(step);
      const saved = await runner.plan({ nodeNames });
      if (saved.summary.noChanges) {
        await runner.discard(saved);
        return false;
      }
      const unexpected = unexpectedNodes(saved, new Set([...release, ...created]));
      if (unexpected.length > 0) {
        await runner.discard(saved);
        throw new HomelabError(
          "rollout-stopped",
          `the plan for this step would also change ${unexpected.join(", ")}, which are not part of it`,
          { fix: "Run `homelab plan` to see why; this is unexpected (a change outside homelab?)." },
        );
      }
      const backup = await runner.apply(saved, context.date());
      if (backup) context.reporter.info(`State backed up to ${backup}`, { backup });
      const rebuilt = new Set(saved.summary.nodes.filter((n) => n.action !== "update").map((n) => n.node));
      const addresses = [...rebuilt].flatMap((node) => {
        const address = addressOf(node);
        return address ? [address] : [];
      });
      // New machines at old addresses have new host keys: forget the old ones (trust on first use).
      if (addresses.length > 0) await forgetHostKeys(layout.knownHosts, addresses);
      return true;
    },
    upload: async (node, snapshot) => {
      const address = addressOf(node);
      if (!address) throw new HomelabError("internal", `no address for ${node}`);
      await options.snapshots.upload(context, layout, { name: node, address }, snapshot);
    },
    waitReady: async (nodes, previous) => {
      const client = await cluster().catch(async () => {
        api = undefined;
        return cluster();
      });
      for (const node of nodes) {
        const old = previous.get(node);
        if (old === undefined) continue;
        await waitForReplacement({
          api: client,
          node,
          previous: old as NodeIdentity,
          timeoutMs: options.timeoutMs,
          clock: gate.clock,
        });
      }
      await waitForNodesReady({
        api: client,
        expected: nodes,
        timeoutMs: options.timeoutMs,
        clock: gate.clock,
      });
    },
    recordApplied: (nodes) => recordAppliedIgnition(render, layout, nodes),
  };
  const preparedSnapshots = new Map<string, SnapshotRef>();

  try {
    const result = await executeRollout(rollout, effects, {
      parallelAgents: options.parallelAgents,
      serversFirst: options.serversFirst,
      force: options.force,
      ...(options.only ? { only: options.only } : {}),
    });
    // Leave the render directory as the environment is now: the next step of nothing.
    render = await session.rerender(RELEASE_NEXT);
    return { result, render };
  } finally {
    gate.stop();
  }
}

/** The steps a rollout would take, for the confirmation text. */
export function plannedSteps(
  rollout: Rollout,
  options: Pick<RollCommandOptions, "parallelAgents" | "serversFirst">,
) {
  return rollSteps(rollout, options);
}

export type { NodeIdentityRef };
