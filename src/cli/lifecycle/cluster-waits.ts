import {
  type ClusterApi,
  connectClusterApi,
  contextName,
  fetchKubeconfig,
  k3sServerUrl,
  mergeIntoKubeconfigFile,
  type NodeIdentity,
  realWaitClock,
  waitForK3sServer,
  waitForNodesReady,
  writeKubeconfigFile,
} from "../../cluster/index.js";
import type { ClusterPlan } from "../../plan/index.js";
import type { StateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";
import { environmentKubeconfig, sshTarget, userKubeconfig } from "./cluster-access.js";

export interface KubeconfigOutcome {
  readonly path: string;
  /** The user's kubeconfig it was merged into (--merge-kubeconfig), if any. */
  readonly mergedInto: string | undefined;
  readonly context: string;
}

/**
 * The first server's `/ping`, then its kubeconfig over SSH, rewritten to the server's address
 * and written 0600 to ~/.kube/homelab-<env>.yaml (and merged into the user's kubeconfig on
 * request). Each wait is a visible step with attempts and elapsed time, bounded by `timeoutMs`.
 */
export async function fetchClusterKubeconfig(
  context: CliContext,
  plan: ClusterPlan,
  layout: StateLayout,
  options: { readonly timeoutMs: number; readonly merge: boolean },
): Promise<KubeconfigOutcome> {
  const clock = realWaitClock(context.now);
  const first = plan.firstServer;
  const server = k3sServerUrl(first.address);
  await context.reporter.step(`Waiting for k3s on ${first.name} (${server}/ping)`, (step) =>
    waitForK3sServer({
      serverUrl: server,
      nodeName: first.name,
      timeoutMs: options.timeoutMs,
      clock,
      onProgress: (text) => step.update(text),
    }),
  );
  const name = contextName(plan.environment.name);
  const text = await context.reporter.step(`Fetching the kubeconfig from ${first.name} over SSH`, (step) =>
    fetchKubeconfig({
      target: sshTarget(layout, first),
      nodeName: first.name,
      server,
      contextName: name,
      timeoutMs: options.timeoutMs,
      clock,
      onProgress: (update) => step.update(update),
    }),
  );
  const path = environmentKubeconfig(context, plan.environment.name);
  await writeKubeconfigFile(path, text);
  let mergedInto: string | undefined;
  if (options.merge) {
    mergedInto = userKubeconfig(context);
    await mergeIntoKubeconfigFile(mergedInto, text, name);
  }
  return { path, mergedInto, context: name };
}

/** Waits (a visible step) until every node of the plan is Ready through the Kubernetes API. */
export async function waitForEveryNode(
  context: CliContext,
  plan: ClusterPlan,
  options: {
    readonly timeoutMs: number;
    readonly api?: ClusterApi;
    readonly replaced?: ReadonlyMap<string, NodeIdentity>;
  },
): Promise<void> {
  const api =
    options.api ??
    (await connectClusterApi({ kubeconfigPath: environmentKubeconfig(context, plan.environment.name) }));
  const names = plan.nodes.map((n) => n.name);
  await context.reporter.step(
    `Waiting for ${names.length} node${names.length === 1 ? "" : "s"} to be Ready`,
    (step) =>
      waitForNodesReady({
        api,
        expected: names,
        timeoutMs: options.timeoutMs,
        clock: realWaitClock(context.now),
        onProgress: (text) => step.update(text),
        ...(options.replaced ? { replaced: options.replaced } : {}),
      }),
  );
}
