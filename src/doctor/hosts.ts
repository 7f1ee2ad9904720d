import type { HostPlan } from "../placement/types.js";
import type { DoctorPlan } from "./context.js";
import type { CheckResult } from "./types.js";

/**
 * The plan as one host's checks see it: that host's URI, pool and bridge, and the nodes placed
 * on it (the disk-space check sums their disks). Every check reads the single-host fields, so
 * a check needs no change to be run once per host.
 */
export function planOnHost(plan: DoctorPlan, host: HostPlan): DoctorPlan {
  const bridge = host.bridge ?? plan.network.bridge;
  return {
    environment: { ...plan.environment, libvirt: { ...plan.environment.libvirt, uri: host.uri } },
    pool: host.pool,
    network: { ...plan.network, ...(bridge === undefined ? {} : { bridge }) },
    nodes: plan.nodes.filter((node) => node.host === host.name),
  };
}

/** A host's check result: named by the host, in its field and at the start of its line. */
export function onHostResult(check: CheckResult, host: string): CheckResult {
  return { ...check, host, summary: `${host}: ${check.summary}` };
}
