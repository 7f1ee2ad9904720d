import { HomelabError } from "../errors/index.js";
import type { ClusterApi } from "./kube-api.js";
import type { PodObject } from "./kube-objects.js";
import { type WaitClock, type WaitProgress, waitUntil } from "./wait.js";

/** Why a pod on a draining node is left alone, or undefined when it must be evicted. */
export function drainExemption(pod: PodObject): string | undefined {
  if (pod.metadata?.annotations?.["kubernetes.io/config.mirror"] !== undefined) return "static (mirror) pod";
  if (pod.metadata?.ownerReferences?.some((owner) => owner.kind === "DaemonSet")) return "DaemonSet pod";
  const phase = pod.status?.phase;
  if (phase === "Succeeded" || phase === "Failed") return `finished (${phase})`;
  return undefined;
}

const podName = (pod: PodObject) => `${pod.metadata?.namespace ?? "default"}/${pod.metadata?.name ?? "?"}`;

export interface DrainOptions {
  readonly api: ClusterApi;
  readonly node: string;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
}

export interface DrainResult {
  readonly evicted: readonly string[];
  /** Pods left on the node on purpose, with why. */
  readonly exempt: readonly { readonly pod: string; readonly why: string }[];
  /** Pods evicted that no controller will recreate (they are gone with the node). */
  readonly unmanaged: readonly string[];
}

/**
 * `kubectl drain`, as far as homelab needs it: cordon, then evict every pod through the
 * Eviction API (so PodDisruptionBudgets are respected) except DaemonSet, mirror and finished
 * pods, retrying blocked evictions, until the node is empty or the time is up
 * (`drain-timeout`).
 */
export async function drainNode(options: DrainOptions): Promise<DrainResult> {
  const { api, node } = options;
  await api.cordonNode(node);
  const evicted = new Set<string>();
  const unmanaged = new Set<string>();
  let exempt: { pod: string; why: string }[] = [];
  const result = await waitUntil<void>({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 2000,
    clock: options.clock,
    onProgress: options.onProgress,
    attempt: async () => {
      const pods = await api.listPodsOnNode(node);
      exempt = [];
      const remaining: PodObject[] = [];
      for (const pod of pods) {
        const why = drainExemption(pod);
        if (why === undefined) remaining.push(pod);
        else exempt.push({ pod: podName(pod), why });
      }
      if (remaining.length === 0) return { done: true, value: undefined };
      const blocked: string[] = [];
      let terminating = 0;
      for (const pod of remaining) {
        const name = podName(pod);
        if (pod.metadata?.deletionTimestamp !== undefined) {
          terminating++;
          continue;
        }
        const outcome = await api.evictPod(pod.metadata?.namespace ?? "default", pod.metadata?.name ?? "");
        if (outcome === "blocked") blocked.push(name);
        else {
          evicted.add(name);
          if (!pod.metadata?.ownerReferences?.some((owner) => owner.controller)) unmanaged.add(name);
        }
      }
      const parts = [`${remaining.length} pod(s) left`];
      if (terminating > 0) parts.push(`${terminating} terminating`);
      if (blocked.length > 0) parts.push(`blocked by a PodDisruptionBudget: ${blocked.join(", ")}`);
      return { done: false, problem: parts.join("; ") };
    },
  });
  if (!result.ok) {
    throw new HomelabError(
      "drain-timeout",
      `${node} was not drained within ${Math.round(options.timeoutMs / 1000)}s: ${result.lastProblem}`,
      {
        fix:
          "See which budgets block with `kubectl get pdb -A` and free them (scale the workload up, or relax the budget), " +
          `then run the command again. \`homelab replace ${node} --force\` replaces the node without a complete drain. ` +
          `Until then ${node} stays cordoned (\`kubectl uncordon ${node}\` makes it schedulable again).`,
      },
    );
  }
  return { evicted: [...evicted].sort(), exempt, unmanaged: [...unmanaged].sort() };
}
