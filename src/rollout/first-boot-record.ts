import { z } from "zod";
import { HomelabError } from "../errors/index.js";
import type { FirstBoot } from "../nodes/first-boot.js";

/**
 * The one first-boot fact that cannot be derived: the etcd snapshot a rebuilt single server
 * restored. Whether the first server's current machine bootstrapped or joined is read back from
 * OpenTofu's state (its Ignition volume's hash matches one of the two renders, see
 * rollout/plan.ts); a restored machine's Ignition also carries the snapshot's SHA-256, which
 * only this record knows. The rollout writes it before it rebuilds the only server, and every
 * later render reads it to reproduce that machine's Ignition.
 *
 * Lives at `<state>/<env>/first-boot.json` (0600):
 * `{ "formatVersion": 1, "machines": { "<node>": { "kind": "restore", "snapshotSha256": "…" } } }`.
 */

const SHA256 = z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 in lowercase hex");

const RecordSchema = z.strictObject({
  formatVersion: z.literal(1),
  /** Per node, the snapshots its machines restored, newest first. */
  restores: z.record(z.string(), z.array(SHA256)),
  /**
   * Per node, the snapshot its *next* machine restores: set by the rollout right before it
   * rebuilds the only server, removed once that step is done. Without it such a rebuild is never
   * released (a hand-run `tofu apply` cannot take the snapshot the new machine needs).
   */
  prepared: z.record(z.string(), SHA256).default({}),
});

export type FirstBootRecord = z.output<typeof RecordSchema>;

export const EMPTY_FIRST_BOOT_RECORD: FirstBootRecord = { formatVersion: 1, restores: {}, prepared: {} };

/** How many restores per node are kept: the current machine's and a few before it. */
const KEPT_RESTORES = 5;

export function parseFirstBootRecord(text: string | undefined, file: string): FirstBootRecord {
  if (text === undefined) return EMPTY_FIRST_BOOT_RECORD;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = RecordSchema.safeParse(json);
  if (!parsed.success) {
    throw new HomelabError("secret-invalid", `${file} is not a homelab first-boot record`, {
      where: { file },
      fix:
        "Restore it from a backup of the state directory. Without it, a server rebuilt from a snapshot looks " +
        "changed to homelab and would be rebuilt once more (joining its cluster again, losing nothing).",
    });
  }
  return parsed.data;
}

const sorted = <T>(entries: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1)));

export function serializeFirstBootRecord(record: FirstBootRecord): string {
  const document = { formatVersion: 1, restores: sorted(record.restores), prepared: sorted(record.prepared) };
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** The record with a restore prepared for a node's next machine (before the rollout rebuilds it). */
export function withPreparedRestore(
  record: FirstBootRecord,
  node: string,
  snapshotSha256: string,
): FirstBootRecord {
  const previous = (record.restores[node] ?? []).filter((sha) => sha !== snapshotSha256);
  return {
    formatVersion: 1,
    restores: { ...record.restores, [node]: [snapshotSha256, ...previous].slice(0, KEPT_RESTORES) },
    prepared: { ...record.prepared, [node]: snapshotSha256 },
  };
}

/** The record once the node's rebuild is done: its restore stays known, nothing is prepared. */
export function withoutPreparedRestore(record: FirstBootRecord, node: string): FirstBootRecord {
  const { [node]: _done, ...prepared } = record.prepared;
  return { formatVersion: 1, restores: record.restores, prepared };
}

/** The restore prepared for a node's next machine, if any. */
export function preparedRestore(record: FirstBootRecord, node: string): FirstBoot | undefined {
  const snapshotSha256 = record.prepared[node];
  return snapshotSha256 === undefined ? undefined : { kind: "restore", snapshotSha256 };
}

/** The restores recorded for a node, newest first, as first-boot modes. */
export function recordedRestores(record: FirstBootRecord, node: string): FirstBoot[] {
  return (record.restores[node] ?? []).map((snapshotSha256) => ({ kind: "restore", snapshotSha256 }));
}
