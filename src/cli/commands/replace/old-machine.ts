import { type ClusterApi, drainNode, type NodeObject, type WaitClock } from "../../../cluster/index.js";
import { isHomelabError } from "../../../errors/index.js";
import type { CliContext } from "../../context.js";

/**
 * Retires the old machine from Kubernetes before it is destroyed: drain (a failure ends the
 * command, or only warns with --force), then delete its Node object so that k3s also forgets
 * the node's password entry (and a server's etcd member) and the new machine can join under
 * the same name.
 */
export async function retireOldMachine(
  context: CliContext,
  options: {
    readonly api: ClusterApi;
    readonly node: string;
    readonly previousObject: NodeObject | undefined;
    readonly force: boolean;
    readonly timeoutMs: number;
    readonly clock: WaitClock;
  },
): Promise<void> {
  const { api, node } = options;
  try {
    const drained = await context.reporter.step(`Draining ${node}`, (step) =>
      drainNode({
        api,
        node,
        timeoutMs: options.timeoutMs,
        clock: options.clock,
        onProgress: (text) => step.update(text),
      }),
    );
    if (drained.unmanaged.length > 0) {
      context.reporter.warn(
        `pods without a controller were evicted and will not come back: ${drained.unmanaged.join(", ")}`,
      );
    }
  } catch (error) {
    if (!options.force || !isHomelabError(error)) throw error;
    context.reporter.warn(`--force: continuing without a complete drain (${error.message})`);
  }
  if (options.previousObject) {
    const uid = options.previousObject.metadata?.uid;
    await context.reporter.step(`Removing the Node object of the old ${node}`, () =>
      api.deleteNode(node, uid),
    );
  }
}
