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
 * The registration address's `/ping` (kube-vip answers there from whichever server holds its
 * lease), then the kubeconfig over SSH from a server — the first one that answers, so that no
 * single server is needed — rewritten to the registration address and written 0600 to
 * ~/.kube/homelab-<env>.yaml (and merged into the user's kubeconfig on request). Each wait is a
 * visible step with attempts and elapsed time, bounded by `timeoutMs`.
 */
export async function fetchClusterKubeconfig(
  context: CliContext,
  plan: ClusterPlan,
  layout: StateLayout,
  options: { readonly timeoutMs: number; readonly merge: boolean },
): Promise<KubeconfigOutcome> {
  const clock = realWaitClock(context.now);
  const address = plan.network.registrationAddress;
  const server = k3sServerUrl(address);
  await context.reporter.step(`Waiting for k3s at the registration address (${server}/ping)`, (step) =>
    waitForK3sServer({
      serverUrl: server,
      nodeName: `the registration address ${address}`,
      timeoutMs: options.timeoutMs,
      clock,
      onProgress: (text) => step.update(text),
    }),
  );
  const name = contextName(plan.environment.name);
  const servers = plan.nodes.filter((node) => node.role === "server");
  const text = await context.reporter.step(`Fetching the kubeconfig from a server over SSH`, async (step) => {
    let lastError: unknown;
    for (const [index, candidate] of servers.entries()) {
      try {
        return await fetchKubeconfig({
          target: sshTarget(layout, candidate),
          nodeName: candidate.name,
          server,
          contextName: name,
          // The first server gets the whole budget on a first boot; others are fallbacks.
          timeoutMs: index === 0 ? options.timeoutMs : Math.min(options.timeoutMs, 60_000),
          clock,
          onProgress: (update) => step.update(`${candidate.name}: ${update}`),
        });
      } catch (error) {
        lastError = error;
      }
    }
    throw lastError;
  });
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
