/**
 * Placement: which libvirt host each node runs on. Pure, table-tested; `planCluster`'s callers
 * merge its problems and warnings with the plan's (same array paths, same codes style).
 */
export { normalizeLibvirtUri, resolveHosts, SINGLE_HOST_NAME } from "./hosts.js";
export { placeNodes, placeNodesOrThrow } from "./place.js";
export { type SpreadStart, spreadPositions } from "./spread.js";
export { etcdQuorum, hostLossWarnings } from "./survival.js";
export type { HostPlan, Placement, PlacementNode, PlacementWarning } from "./types.js";
