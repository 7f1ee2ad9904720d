import type { ClusterPlan, PlanWarning } from "../plan/types.js";

/**
 * Flatcar's QEMU image is a disk of about 8.5 GiB (partition table, A/B /usr, root). A node disk
 * is an overlay on it; a smaller overlay cuts the end of that disk off (qemu-img allows it), and
 * such a node does not boot. A warning, not an error: test images may be smaller.
 */
export const FLATCAR_IMAGE_GIB = 8.5;

export function diskSizeWarnings(plan: ClusterPlan, environmentFile: string): PlanWarning[] {
  return plan.nodes
    .filter((node) => node.diskGiB < FLATCAR_IMAGE_GIB)
    .map((node) => {
      const override = plan.environment.nodes[node.name]?.diskGiB !== undefined;
      return {
        message:
          `${node.name}: a ${node.diskGiB} GiB disk is smaller than the Flatcar image (about ${FLATCAR_IMAGE_GIB} GiB); ` +
          "the node will not boot from a Flatcar image. Use at least 10 GiB.",
        where: {
          file: environmentFile,
          path: override ? `nodes.${node.name}.diskGiB` : `${node.role}s.diskGiB`,
        },
      };
    });
}
