import { HomelabError } from "../errors/index.js";
import { type ClusterApi, unreachableMeansNotYet } from "./kube-api.js";
import {
  describeReadiness,
  evaluateReadiness,
  type NodeIdentity,
  type ReadinessReport,
} from "./readiness.js";
import { type WaitClock, type WaitProgress, waitUntil } from "./wait.js";

export interface WaitForNodesOptions {
  readonly api: ClusterApi;
  /** Every node name the environment defines. */
  readonly expected: readonly string[];
  /** Nodes being replaced: their old Node object does not count as Ready. */
  readonly replaced?: ReadonlyMap<string, NodeIdentity>;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
}

/**
 * Polls the Node objects until every expected node is Ready (and new, when replaced). An
 * unreachable API while waiting is not fatal (servers restart while joining); a timeout is
 * `k3s-join-timeout`, naming each node still waited for and why.
 */
export async function waitForNodesReady(options: WaitForNodesOptions): Promise<ReadinessReport> {
  let last: ReadinessReport | undefined;
  const result = await waitUntil<ReadinessReport>({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 3000,
    clock: options.clock,
    onProgress: options.onProgress,
    attempt: () =>
      unreachableMeansNotYet(async () => {
        const report = evaluateReadiness(options.expected, await options.api.listNodes(), options.replaced);
        last = report;
        return report.done
          ? { done: true, value: report }
          : { done: false, problem: describeReadiness(report) };
      }),
  });
  if (result.ok) return result.value;
  const seconds = Math.round(options.timeoutMs / 1000);
  throw new HomelabError(
    "k3s-join-timeout",
    `not every node was Ready within ${seconds}s: ${result.lastProblem}`,
    {
      details: (last?.waiting ?? []).map((w) => ({ message: `${w.name}: ${w.why}` })),
      fix:
        "A node that never registers usually failed its first boot: look with `virsh console <node>` or " +
        "`homelab ssh <node> -- journalctl -u k3s-agent --no-pager` (servers: `-u k3s`). Then wait longer with " +
        "`homelab up --timeout 20m`, or rebuild the node with `homelab replace <node>`.",
    },
  );
}
