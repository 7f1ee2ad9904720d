import { basename } from "node:path";
import { realWaitClock } from "../../cluster/index.js";
import { HomelabError } from "../../errors/index.js";
import type { ClusterPlan } from "../../plan/index.js";
import { withRunLock } from "../../runner/index.js";
import {
  resolveSnapshot,
  type SnapshotNode,
  type StoredSnapshot,
  takeSnapshot,
  uploadForRestore,
  verifySnapshot,
} from "../../snapshots/index.js";
import type { StateLayout } from "../../state/layout.js";
import { displayPath } from "../commands/render/summary.js";
import type { CliContext } from "../context.js";
import { formatBytes } from "../reporter/human-reporter.js";
import { sshTarget } from "./cluster-access.js";
import type { SnapshotOperations } from "./roll.js";
import { runLockHolder } from "./tofu.js";

/**
 * Glue shared by `homelab backup` and `homelab restore` (and usable by the rollout): the
 * environment's servers as the snapshot library reaches them, the run lock without a render,
 * and how snapshots are shown. A snapshot's bytes are never printed; names, sizes and SHA-256
 * are not secret.
 */

/** The environment's servers, in the environment's order, reached as core with homelab's key. */
export function snapshotServers(plan: ClusterPlan, layout: StateLayout): SnapshotNode[] {
  return plan.nodes
    .filter((node) => node.role === "server")
    .map((node) => ({ node: node.name, target: sshTarget(layout, node) }));
}

/**
 * Holds the environment's run lock (the same one plan/apply/replace take) around `work`, so a
 * backup or restore never runs beside an apply. Needs no render and no tofu.
 */
export function withEnvironmentLock<T>(
  context: CliContext,
  layout: StateLayout,
  command: string,
  work: () => Promise<T>,
): Promise<T> {
  return withRunLock({ path: layout.runLock, holder: runLockHolder(context, command) }, async (lock) => {
    if (lock.replacedStale) {
      const stale = lock.replacedStale;
      context.reporter.warn(
        `took over a stale run lock left by \`${stale.command}\` (pid ${stale.pid}, started ${stale.startedAt}), which is no longer running`,
      );
    }
    return work();
  });
}

/** A snapshot as `--json` shows it. */
export function snapshotData(snapshot: StoredSnapshot): Record<string, unknown> {
  const { record } = snapshot;
  return {
    name: record.name,
    node: record.node,
    reason: record.reason,
    takenAt: record.takenAt,
    size: record.size,
    sha256: record.sha256,
    file: snapshot.file,
  };
}

function shortTime(iso: string): string {
  return `${iso.slice(0, 16).replace("T", " ")} UTC`;
}

/** One aligned line per snapshot, newest first. */
export function snapshotTable(snapshots: readonly StoredSnapshot[]): string[] {
  const rows = snapshots.map((s) => [
    s.record.name,
    shortTime(s.record.takenAt),
    s.record.reason,
    formatBytes(s.record.size),
    `${s.record.sha256.slice(0, 12)}…`,
  ]);
  const header = ["NAME", "TAKEN", "REASON", "SIZE", "SHA256"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  return [header, ...rows].map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
}

export function shownDirectory(context: CliContext, dir: string): string {
  return displayPath(dir, context.cwd, context.paths.home);
}

/**
 * etcd snapshots for the rollout (src/cli/lifecycle/roll.ts): before a server's step, from the
 * server named (another Ready one when there is one); and, for a rebuilt single server, the
 * upload of that snapshot to its new machine, which restores it before k3s starts.
 */
export const etcdSnapshots: SnapshotOperations = {
  take: async (context, layout, node, reason) => {
    const server = { node: node.name, target: sshTarget(layout, node) };
    const taken = await takeSnapshot({
      server,
      environment: basename(layout.dir),
      snapshotsDir: layout.snapshotsDir,
      reason,
      takenAt: context.date(),
    });
    context.reporter.info(
      `Snapshot ${taken.snapshot.record.name} (${formatBytes(taken.snapshot.record.size)}) kept in ${shownDirectory(context, layout.snapshotsDir)}`,
      { event: "snapshot", snapshot: snapshotData(taken.snapshot) },
    );
    return { name: taken.snapshot.record.name, sha256: taken.snapshot.record.sha256 };
  },
  upload: async (context, layout, node, snapshot) => {
    const file = await resolveSnapshot(layout.snapshotsDir, snapshot.name, context.cwd);
    const verified = await verifySnapshot(file);
    if (verified.record.sha256 !== snapshot.sha256) {
      throw new HomelabError(
        "snapshot-invalid",
        `the snapshot ${snapshot.name} is not the one ${node.name} waits for`,
        {
          where: { file },
          fix: `${node.name}'s Ignition names SHA-256 ${snapshot.sha256}; restore that snapshot, or rebuild the server again (\`homelab replace ${node.name}\`).`,
        },
      );
    }
    await uploadForRestore({
      server: { node: node.name, target: sshTarget(layout, node) },
      snapshot: verified,
      sshTimeoutMs: 15 * 60_000,
      clock: realWaitClock(context.now),
    });
  },
};
