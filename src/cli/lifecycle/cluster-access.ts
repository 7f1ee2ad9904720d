import { type ClusterApi, connectClusterApi, contextName, kubeconfigPathFor } from "../../cluster/index.js";
import type { NodePlan } from "../../plan/index.js";
import type { SshTarget } from "../../ssh/index.js";
import type { StateLayout } from "../../state/layout.js";
import type { CliContext } from "../context.js";

/** How homelab reaches a node over SSH: as core, with the environment's key and known_hosts. */
export function sshTarget(layout: StateLayout, node: Pick<NodePlan, "address">): SshTarget {
  return { host: node.address, identityFile: layout.sshPrivateKey, knownHostsFile: layout.knownHosts };
}

/** `~/.kube/homelab-<env>.yaml`. */
export function environmentKubeconfig(context: CliContext, environment: string): string {
  return kubeconfigPathFor(context.paths.kubeDir, environment);
}

/** The user's own kubeconfig for `--merge-kubeconfig`: the first of $KUBECONFIG, else ~/.kube/config. */
export function userKubeconfig(context: CliContext): string {
  const first = context.env.KUBECONFIG?.split(":").find((entry) => entry !== "");
  return first ?? `${context.paths.kubeDir}/config`;
}

export function connectEnvironmentApi(context: CliContext, environment: string): Promise<ClusterApi> {
  return connectClusterApi({ kubeconfigPath: environmentKubeconfig(context, environment) });
}

export { contextName };
