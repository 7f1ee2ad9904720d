export { planLoadedEnvironment } from "./locate.js";
export { deriveMac } from "./mac.js";
export {
  LIBVIRT_DEFAULT_NETWORK,
  MINIMUM_MEMORY_MIB,
  PlanError,
  type PlanOptions,
  type PlanProblem,
  planCluster,
  type SiblingEnvironment,
} from "./plan.js";
export type {
  ClusterPlan,
  NetworkPlan,
  NodePlan,
  NodeRole,
  PlanWarning,
  PoolPlan,
  ResolvedSnippet,
} from "./types.js";
