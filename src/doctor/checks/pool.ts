import type { LibvirtPool } from "../../libvirt/index.js";
import type { DoctorContext } from "../context.js";
import { everywhere } from "../packages.js";
import { describeMode, reachPath } from "../qemu-user.js";
import type { CheckResult } from "../types.js";

const normalize = (path: string) => (path.length > 1 ? path.replace(/\/+$/, "") : path);

/** Another pool on the same directory, or a pool of our name somewhere else. */
export function findPoolConflict(
  pools: readonly LibvirtPool[],
  name: string,
  path: string,
): { readonly pool: LibvirtPool; readonly kind: "same-path" | "same-name" } | undefined {
  const target = normalize(path);
  const samePath = pools.find(
    (pool) => pool.name !== name && pool.targetPath && normalize(pool.targetPath) === target,
  );
  if (samePath) return { pool: samePath, kind: "same-path" };
  const sameName = pools.find(
    (pool) => pool.name === name && pool.targetPath && normalize(pool.targetPath) !== target,
  );
  return sameName ? { pool: sameName, kind: "same-name" } : undefined;
}

/**
 * The storage pool: no other libvirt pool on its directory, and the QEMU user can reach the
 * directory (every parent traversable). A directory that does not exist yet is fine when
 * homelab creates the pool: libvirt builds it (as root) on the first apply.
 */
export async function checkPool(context: DoctorContext): Promise<CheckResult> {
  const { pool } = context.plan;
  const { pools, local } = context.libvirt;
  const notes: string[] = [];
  let path = pool.path;
  let creates = !pool.existing;

  if (pool.existing) {
    if (!pools) {
      return {
        id: "pool",
        status: "warning",
        summary: `existing pool "${pool.name}" not checked: libvirt did not answer`,
      };
    }
    const found = pools.find((candidate) => candidate.name === pool.name);
    if (!found) {
      return {
        id: "pool",
        status: "failure",
        summary: `libvirt has no storage pool named "${pool.name}" (the environment says pool.existing: true)`,
        code: "pool-path-missing",
        fix: {
          text: `List the pools with \`virsh pool-list --all\` and set pool.name to one of them, or set pool.existing: false so that homelab creates "${pool.name}".`,
        },
      };
    }
    if (!found.targetPath) {
      return {
        id: "pool",
        status: "warning",
        summary: `pool "${pool.name}" is a ${found.type ?? "non-directory"} pool without a target directory; homelab expects a dir pool`,
      };
    }
    path = found.targetPath;
    creates = false;
    if (!found.active)
      notes.push(
        `pool "${pool.name}" is not active: \`virsh pool-start ${pool.name} && virsh pool-autostart ${pool.name}\``,
      );
  } else if (pools && path) {
    const conflict = findPoolConflict(pools, pool.name, path);
    if (conflict?.kind === "same-path") {
      return {
        id: "pool",
        status: "failure",
        summary: `libvirt pool "${conflict.pool.name}" already uses ${path}`,
        code: "pool-conflict",
        fix: {
          text:
            `Two pools on one directory fight over its volumes. Either reuse that pool — pool: { name: "${conflict.pool.name}", existing: true } — ` +
            `or give homelab its own directory, e.g. pool: { path: "/var/lib/libvirt/homelab/${context.plan.environment.prefix}" }.`,
        },
      };
    }
    if (conflict?.kind === "same-name") {
      return {
        id: "pool",
        status: "failure",
        summary: `a libvirt pool named "${pool.name}" already exists at ${conflict.pool.targetPath}, not at ${path}`,
        code: "pool-conflict",
        fix: {
          text: `Set pool.path to ${conflict.pool.targetPath}, or pick another pool.name, or remove the stale pool if nothing uses it:`,
          commands: everywhere(`virsh pool-destroy ${pool.name}; virsh pool-undefine ${pool.name}`),
        },
      };
    }
    if (pools.some((candidate) => candidate.name === pool.name)) creates = false;
  } else if (!pools) {
    notes.push("other libvirt pools not compared (libvirt did not answer)");
  }

  if (!path)
    return { id: "pool", status: "warning", summary: `pool "${pool.name}" has no directory to check`, notes };
  if (!local) {
    return {
      id: "pool",
      status: "warning",
      summary: `pool "${pool.name}" at ${path} is on the remote libvirt host: not checked from here`,
      notes,
    };
  }
  const qemu = context.qemu;
  if (!qemu.account) {
    return {
      id: "pool",
      status: "warning",
      summary: `pool directory ${path} not checked: the QEMU user "${qemu.name}" (${qemu.source}) does not exist here`,
      notes: [...notes, "libvirt's package creates that user; install libvirt first"],
    };
  }
  const reach = await reachPath(context.probes, qemu.account, path);
  if (reach.notADirectory) {
    return {
      id: "pool",
      status: "failure",
      summary: `${reach.notADirectory} is not a directory, so the pool cannot live at ${path}`,
      code: "pool-path-missing",
      fix: { text: "Point pool.path at a directory (or a path that does not exist yet)." },
    };
  }
  if (reach.blockedAt) {
    const blocked = reach.blockedAt.path;
    return {
      id: "pool",
      status: "failure",
      summary: `the QEMU user ${qemu.name} cannot traverse ${blocked} (${describeMode(reach.blockedAt.stat)}), so VMs cannot open disks in ${path}`,
      code: "pool-path-not-traversable",
      fix: {
        text: `Let ${qemu.name} through ${blocked} (search permission only, no read), or move pool.path under /var/lib/libvirt.`,
        commands: everywhere(`sudo setfacl -m u:${qemu.name}:x ${blocked}   # or: sudo chmod o+x ${blocked}`),
      },
      notes: [`QEMU runs as ${qemu.name} (${qemu.source})`],
    };
  }
  if (!reach.exists) {
    if (!creates) {
      return {
        id: "pool",
        status: "failure",
        summary: `the directory ${path} of pool "${pool.name}" does not exist`,
        code: "pool-path-missing",
        fix: {
          text: "Create it, or rebuild the pool:",
          commands: everywhere(`sudo mkdir -p ${path} && virsh pool-start ${pool.name}`),
        },
      };
    }
    return {
      id: "pool",
      status: "ok",
      summary: `pool "${pool.name}" will be created at ${path} (${reach.deepestExisting} exists and ${qemu.name} can traverse it)`,
      notes,
    };
  }
  return {
    id: "pool",
    status: notes.some((note) => note.includes("not active")) ? "warning" : "ok",
    summary: `pool "${pool.name}" at ${path}: ${qemu.name} can reach it`,
    notes,
  };
}
