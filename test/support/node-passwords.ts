import { createHash } from "node:crypto";
import type { ClusterPlan } from "../../src/plan/types.js";

/** Deterministic node passwords for tests (render keeps real ones in the state directory). */
export function testNodePasswords(plan: Pick<ClusterPlan, "nodes">): Map<string, string> {
  return new Map(
    plan.nodes.map((node) => [node.name, createHash("sha256").update(node.name).digest("hex").slice(0, 32)]),
  );
}
