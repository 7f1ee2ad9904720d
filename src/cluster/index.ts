export { type DrainOptions, type DrainResult, drainExemption, drainNode } from "./drain.js";
export {
  type FetchKubeconfigOptions,
  fetchKubeconfig,
  K3S_KUBECONFIG_PATH,
  kubeconfigPathFor,
  mergeIntoKubeconfigFile,
  writeKubeconfigFile,
} from "./fetch-kubeconfig.js";
export {
  type ClusterApi,
  type ConnectOptions,
  connectClusterApi,
  unreachableMeansNotYet,
} from "./kube-api.js";
export type { NodeCondition, NodeObject, ObjectMeta, PodObject } from "./kube-objects.js";
export { contextName, type KubeconfigRewrite, mergeKubeconfig, rewriteKubeconfig } from "./kubeconfig.js";
export { K3S_API_PORT, k3sServerUrl, pingK3s, type WaitForServerOptions, waitForK3sServer } from "./ping.js";
export {
  describeReadiness,
  evaluateReadiness,
  isSameMachine,
  type NodeIdentity,
  type NodeView,
  nodeIdentity,
  nodeView,
  type Readiness,
  type ReadinessReport,
} from "./readiness.js";
export {
  type ReplacementResult,
  type WaitForReplacementOptions,
  waitForReplacement,
} from "./replace-wait.js";
export {
  flatcarVersionOf,
  STATUS_COLUMNS,
  type StatusRow,
  statusColumns,
  statusRows,
  UNKNOWN,
} from "./status-table.js";
export {
  type AttemptOutcome,
  describeProgress,
  realWaitClock,
  type WaitClock,
  type WaitOptions,
  type WaitProgress,
  type WaitResult,
  waitUntil,
} from "./wait.js";
export { type WaitForNodesOptions, waitForNodesReady } from "./wait-nodes.js";
