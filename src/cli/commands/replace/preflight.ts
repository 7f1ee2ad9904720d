import {
  type ClusterApi,
  connectClusterApi,
  type NodeIdentity,
  type NodeObject,
  nodeIdentity,
  nodeView,
  replaceVerdict,
} from "../../../cluster/index.js";
import { HomelabError, isHomelabError } from "../../../errors/index.js";
import type { ClusterPlan, NodePlan } from "../../../plan/index.js";
import type { TofuRunner } from "../../../runner/index.js";
import { nodeAddresses } from "../../../tofu/index.js";
import type { CliContext } from "../../context.js";
import { environmentKubeconfig } from "../../lifecycle/cluster-access.js";

/** What `replace` knows before it plans: what to replace, and whether the cluster can take it. */
export interface ReplacePreflight {
  /** The node's resources in the state (disk, Ignition volume, domain): the `-replace` targets. */
  readonly addresses: readonly string[];
  /** The Kubernetes API, when it answers (undefined with --force when it does not). */
  readonly api: ClusterApi | undefined;
  /** The old machine's Node object, when it is registered. */
  readonly previousObject: NodeObject | undefined;
  readonly previous: NodeIdentity | undefined;
}

async function readCluster(
  context: CliContext,
  environment: string,
): Promise<{ api: ClusterApi; nodes: NodeObject[] } | HomelabError> {
  try {
    const api = await connectClusterApi({ kubeconfigPath: environmentKubeconfig(context, environment) });
    return { api, nodes: await api.listNodes() };
  } catch (error) {
    if (isHomelabError(error)) return error;
    throw error;
  }
}

function readyServers(plan: readonly NodePlan[], nodes: readonly NodeObject[]): string[] {
  const servers = new Set(plan.filter((n) => n.role === "server").map((n) => n.name));
  return nodes
    .map((node) => nodeView(node))
    .filter((view) => servers.has(view.name) && view.readiness === "Ready")
    .map((view) => view.name);
}

/**
 * Checks that the node exists in the state, asks Kubernetes which servers are Ready, and
 * refuses (`replace-refused`, or the API's error when it cannot drain) unless `force`, in
 * which case the reason is printed as a warning instead.
 */
export async function replacePreflight(
  context: CliContext,
  runner: TofuRunner,
  plan: ClusterPlan,
  target: string,
  force: boolean,
): Promise<ReplacePreflight> {
  const name = plan.environment.name;
  const inState = new Set(await runner.stateAddresses());
  const addresses = Object.values(nodeAddresses(target)).filter((address) => inState.has(address));
  if (addresses.length === 0) {
    throw new HomelabError("not-applied", `${target} has not been created yet: there is nothing to replace`, {
      fix: `Create it with \`homelab up ${name}\`.`,
    });
  }
  const cluster = await readCluster(context, name);
  const reachable = !(cluster instanceof HomelabError);
  const verdict = replaceVerdict(
    plan.nodes,
    target,
    reachable ? readyServers(plan.nodes, cluster.nodes) : undefined,
  );
  if (!verdict.safe) {
    if (!force) {
      throw new HomelabError(
        "replace-refused",
        `replacing ${target} would destroy the cluster: ${verdict.why}`,
        {
          fix:
            `To rebuild the whole environment instead: \`homelab destroy ${name} && homelab up ${name}\`. ` +
            "If you accept losing the cluster's state, pass --force.",
        },
      );
    }
    context.reporter.warn(`--force: replacing ${target} although ${verdict.why}`, {
      code: "replace-refused",
    });
  }
  if (!reachable) {
    if (!force) {
      throw new HomelabError(cluster.code, `${target} cannot be drained: ${cluster.message}`, {
        fix: `${cluster.fix ?? ""} To replace it without draining (its pods just stop), pass --force.`.trim(),
      });
    }
    context.reporter.warn(`--force: replacing ${target} without draining it (${cluster.message})`);
    return { addresses, api: undefined, previousObject: undefined, previous: undefined };
  }
  const previousObject = cluster.nodes.find((n) => n.metadata?.name === target);
  return {
    addresses,
    api: cluster.api,
    previousObject,
    previous: previousObject ? nodeIdentity(previousObject) : undefined,
  };
}
