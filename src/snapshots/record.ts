import { z } from "zod";

/**
 * What homelab knows about a stored snapshot, kept beside it as `<name>.json` (0600). The
 * snapshot itself is `<name>.db`; `<name>` is the file name k3s gave it on the server
 * (`homelab-<reason>-<node>-<unix seconds>`), so names sort by node and time and never clash.
 */

/** A reason is a short slug: `backup` (homelab backup), or the rollout's own, e.g. `pre-rebuild`. */
export const REASON_PATTERN = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const REASON_MAX_LENGTH = 40;
/** k3s's `<name>-<node>-<unix seconds>` with homelab's name prefix; node names are DNS labels. */
export const SNAPSHOT_NAME_PATTERN = /^homelab-[a-z0-9][a-z0-9.-]*-[0-9]+$/;

const RecordSchema = z.strictObject({
  formatVersion: z.literal(1),
  name: z.string().regex(SNAPSHOT_NAME_PATTERN, "expected homelab-<reason>-<node>-<unix seconds>"),
  environment: z.string().min(1),
  /** The server it was taken on. */
  node: z.string().min(1),
  reason: z.string().regex(REASON_PATTERN).max(REASON_MAX_LENGTH),
  /** ISO 8601, from the caller's clock (the library reads none). */
  takenAt: z.iso.datetime({ offset: true }),
  /** Bytes of `<name>.db`. */
  size: z.number().int().positive(),
  /** SHA-256 of the whole file, trailer included: what a restore-mode node checks before restoring. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "expected a SHA-256 in lowercase hex"),
  /** bbolt page size read from the file's meta page. */
  pageSize: z.number().int().positive(),
  /** Where k3s wrote it on the server (k3s keeps that copy under its own retention). */
  remotePath: z.string().startsWith("/"),
});

export type SnapshotRecord = z.output<typeof RecordSchema>;

/** The record's JSON text: keys in schema order, two spaces, final newline. */
export function serializeSnapshotRecord(record: SnapshotRecord): string {
  return `${JSON.stringify(RecordSchema.parse(record), null, 2)}\n`;
}

export type ParsedRecord =
  | { readonly ok: true; readonly record: SnapshotRecord }
  | { readonly ok: false; readonly problem: string };

export function parseSnapshotRecord(text: string): ParsedRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `it is not JSON (${(error as Error).message})` };
  }
  const parsed = RecordSchema.safeParse(json);
  if (parsed.success) return { ok: true, record: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.join(".") || "(top level)";
  return { ok: false, problem: `${path}: ${issue?.message ?? "invalid"}` };
}
