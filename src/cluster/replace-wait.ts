import { HomelabError } from "../errors/index.js";
import { type ClusterApi, unreachableMeansNotYet } from "./kube-api.js";
import { isSameMachine, type NodeIdentity, nodeView } from "./readiness.js";
import { type WaitClock, type WaitProgress, waitUntil } from "./wait.js";

export interface WaitForReplacementOptions {
  readonly api: ClusterApi;
  readonly node: string;
  /** The replaced machine's Node identity (uid, boot ID), when it was registered. */
  readonly previous: NodeIdentity | undefined;
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string, progress: WaitProgress) => void;
}

export interface ReplacementResult {
  readonly bootId: string | undefined;
  /** Times a Node object of the old machine was found and deleted while waiting. */
  readonly staleObjectsRemoved: number;
}

/**
 * Waits until the node is Ready *as a new machine* (another boot ID than before). A Node
 * object that still describes the old machine (its kubelet re-registered before the VM was
 * destroyed) is deleted, uid-guarded, so that k3s also drops its node password and lets the
 * new machine register under the same name.
 */
export async function waitForReplacement(options: WaitForReplacementOptions): Promise<ReplacementResult> {
  let staleObjectsRemoved = 0;
  const result = await waitUntil<ReplacementResult>({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 3000,
    clock: options.clock,
    onProgress: options.onProgress,
    attempt: () =>
      unreachableMeansNotYet(async () => {
        const object = await options.api.readNode(options.node);
        if (object === undefined) return { done: false, problem: "the new machine has not registered yet" };
        if (options.previous !== undefined && isSameMachine(object, options.previous)) {
          await options.api.deleteNode(options.node, object.metadata?.uid);
          staleObjectsRemoved++;
          return {
            done: false,
            problem: "removed a Node object of the old machine; waiting for the new one",
          };
        }
        const view = nodeView(object);
        if (view.readiness !== "Ready") {
          return { done: false, problem: `registered, not Ready yet (${view.reason ?? "not ready"})` };
        }
        return { done: true, value: { bootId: view.bootId, staleObjectsRemoved } };
      }),
  });
  if (result.ok) return result.value;
  throw new HomelabError(
    "k3s-join-timeout",
    `${options.node} was not Ready as a new machine within ${Math.round(options.timeoutMs / 1000)}s: ${result.lastProblem}`,
    {
      fix:
        `Look at its first boot with \`virsh console ${options.node}\`, or \`homelab ssh ${options.node} -- journalctl -u k3s-agent --no-pager\` ` +
        "(servers: `-u k3s`). `homelab replace` can be run again; it rebuilds the node from scratch each time.",
    },
  );
}
