import type { DoctorContext } from "../context.js";
import type { HostProbes } from "../probes.js";
import { pathChain } from "../qemu-user.js";
import type { CheckResult } from "../types.js";

const GiB = 1024 ** 3;
/** Room for one Flatcar QEMU image (about 0.5 GiB on disk) with headroom. */
export const IMAGE_BYTES = 1 * GiB;
/** What a fresh node's overlay disk takes before k3s pulls images: a conservative floor. */
export const NODE_FLOOR_BYTES = 1 * GiB;

const gib = (bytes: number) => `${(bytes / GiB).toFixed(1)} GiB`;

async function nearestExisting(
  probes: HostProbes,
  path: string,
): Promise<{ path: string; dev: number } | undefined> {
  for (const candidate of pathChain(path).reverse()) {
    const stat = await probes.stat(candidate);
    if (stat) return { path: candidate, dev: stat.dev };
  }
  return undefined;
}

/**
 * Free space where the image is cached and where the pool keeps the base volume and the
 * node disks. Below the floor (image + 1 GiB per node) is a failure; below the size the disks
 * may grow to (sum of diskGiB) a warning, since overlays are thin.
 */
export async function checkDiskSpace(context: DoctorContext): Promise<CheckResult> {
  const { probes } = context;
  const needs = new Map<number, { path: string; floor: number; full: number; what: string[] }>();
  const add = async (path: string, floor: number, full: number, what: string) => {
    const location = await nearestExisting(probes, path);
    if (!location) return;
    const entry = needs.get(location.dev) ?? { path: location.path, floor: 0, full: 0, what: [] };
    entry.floor += floor;
    entry.full += full;
    entry.what.push(what);
    needs.set(location.dev, entry);
  };
  if (!context.image.cached) await add(context.image.cacheDir, IMAGE_BYTES, IMAGE_BYTES, "image cache");
  const poolPath = context.plan.pool.path;
  if (poolPath && context.libvirt.local) {
    const disks = context.plan.nodes.reduce((sum, node) => sum + node.diskGiB * GiB, 0);
    await add(
      poolPath,
      IMAGE_BYTES + context.plan.nodes.length * NODE_FLOOR_BYTES,
      IMAGE_BYTES + disks,
      "pool",
    );
  }
  if (needs.size === 0)
    return {
      id: "disk-space",
      status: "ok",
      summary: "no local disk space needed (image cached, remote pool)",
    };

  const lines: string[] = [];
  let status: CheckResult["status"] = "ok";
  for (const need of needs.values()) {
    const free = await probes.freeBytes(need.path);
    if (free === undefined) continue;
    const label = `${gib(free)} free on ${need.path} (${need.what.join(" + ")})`;
    if (free < need.floor) {
      status = "failure";
      lines.push(`${label}, needs at least ${gib(need.floor)}`);
    } else if (free < need.full) {
      if (status === "ok") status = "warning";
      lines.push(`${label}; node disks may grow to ${gib(need.full)}`);
    } else {
      lines.push(label);
    }
  }
  if (status === "ok") return { id: "disk-space", status, summary: lines.join("; ") };
  return {
    id: "disk-space",
    status,
    summary: lines.join("; "),
    code: "disk-space-low",
    fix: {
      text:
        status === "failure"
          ? "Free space there, or move the pool (pool.path) or the image cache (HOMELAB_CACHE_DIR) to a larger filesystem."
          : "Enough to start; the nodes' thin disks may fill the filesystem as they grow. Free space or lower diskGiB.",
    },
  };
}
