import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { HomelabError } from "../errors/index.js";
import { assertSecretPermissions } from "../secrets/files.js";
import { type SnapshotCheck, SnapshotChecker } from "./format.js";
import { parseSnapshotRecord, type SnapshotRecord } from "./record.js";

/**
 * The snapshots directory of an environment (`stateLayout(dir).snapshotsDir`, 0700): for each
 * snapshot `<name>.db` (0600) and its record `<name>.json` (0600). A snapshot holds every Secret
 * of the cluster, so nothing here is ever printed, and the directory lives in the state
 * directory, outside the repository. While a snapshot is being written it is `.<name>.db.part`
 * (hidden, never listed) and it becomes `<name>.db` only once it is complete and verified.
 */

export interface StoredSnapshot {
  readonly record: SnapshotRecord;
  /** `<dir>/<name>.db`. */
  readonly file: string;
  /** `<dir>/<name>.json`. */
  readonly recordFile: string;
}

export interface SnapshotListing {
  /** Newest first (by `takenAt`, then name). */
  readonly snapshots: readonly StoredSnapshot[];
  /** Files that are not a complete pair of snapshot and record. */
  readonly problems: readonly { readonly file: string; readonly message: string }[];
}

export const DEFAULT_KEEP_PER_REASON = 10;

export function snapshotPaths(dir: string, name: string) {
  return {
    file: join(dir, `${name}.db`),
    recordFile: join(dir, `${name}.json`),
    partFile: join(dir, `.${name}.db.part`),
    recordPartFile: join(dir, `.${name}.json.part`),
  };
}

/** Creates the directory 0700 (and its parents), and refuses one that others can read. */
export async function ensureSnapshotsDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new HomelabError("state-dir-unwritable", `cannot create ${dir}`, {
      cause: error,
      where: { file: dir },
      fix: `Make sure you own ${dirname(dir)} (or set HOMELAB_STATE_DIR to a directory you own).`,
    });
  }
  await assertSecretPermissions(dir);
}

function byNewest(a: StoredSnapshot, b: StoredSnapshot): number {
  const time = Date.parse(b.record.takenAt) - Date.parse(a.record.takenAt);
  return time !== 0 ? time : b.record.name.localeCompare(a.record.name);
}

async function readRecord(
  recordFile: string,
): Promise<{ record: SnapshotRecord } | { problem: string; missing: boolean }> {
  let text: string;
  try {
    text = await readFile(recordFile, "utf8");
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { problem: missing ? "its record is missing" : (error as Error).message, missing };
  }
  const parsed = parseSnapshotRecord(text);
  return parsed.ok
    ? { record: parsed.record }
    : { problem: `its record is invalid: ${parsed.problem}`, missing: false };
}

/**
 * The stored snapshots, checked cheaply: each `.db` has a valid record naming it, of the
 * recorded size. (`verifySnapshot` reads the whole file.) A directory that does not exist yet
 * holds no snapshots.
 */
export async function listSnapshots(dir: string): Promise<SnapshotListing> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { snapshots: [], problems: [] };
    throw error;
  }
  const snapshots: StoredSnapshot[] = [];
  const problems: { file: string; message: string }[] = [];
  const names = new Set(entries);
  for (const entry of entries.sort()) {
    if (entry.startsWith(".")) continue;
    if (entry.endsWith(".json") && !names.has(`${entry.slice(0, -5)}.db`)) {
      problems.push({ file: join(dir, entry), message: "a record without its snapshot (.db)" });
      continue;
    }
    if (!entry.endsWith(".db")) continue;
    const name = entry.slice(0, -3);
    const { file, recordFile } = snapshotPaths(dir, name);
    const read = await readRecord(recordFile);
    if ("problem" in read) {
      problems.push({ file, message: read.problem });
      continue;
    }
    if (read.record.name !== name) {
      problems.push({ file, message: `its record names another snapshot (${read.record.name})` });
      continue;
    }
    const size = await stat(file).then(
      (info) => (info.isFile() ? info.size : -1),
      () => -1,
    );
    if (size < 0) {
      problems.push({ file, message: "it is not a readable file" });
      continue;
    }
    if (size !== read.record.size) {
      problems.push({ file, message: `it has ${size} bytes, its record says ${read.record.size}` });
      continue;
    }
    snapshots.push({ record: read.record, file, recordFile });
  }
  return { snapshots: snapshots.sort(byNewest), problems };
}

/**
 * The `.db` file a user means: a name from `homelab backup --list` (with or without `.db`),
 * looked up in the environment's directory, or a path to a `.db` file (relative to `cwd`).
 */
export async function resolveSnapshot(dir: string, nameOrPath: string, cwd: string): Promise<string> {
  const isPath = nameOrPath.includes("/") || isAbsolute(nameOrPath);
  const file = isPath
    ? resolve(cwd, nameOrPath)
    : join(dir, nameOrPath.endsWith(".db") ? nameOrPath : `${nameOrPath}.db`);
  try {
    if ((await stat(file)).isFile()) return file;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const { snapshots } = await listSnapshots(dir);
  const known = snapshots.slice(0, 5).map((s) => s.record.name);
  throw new HomelabError("snapshot-not-found", `there is no snapshot ${nameOrPath}`, {
    where: { file },
    fix:
      known.length > 0
        ? `Name one of the stored snapshots (newest first: ${known.join(", ")}), as \`homelab backup <env> --list\` shows them, or give the path of a .db file.`
        : `No snapshot is stored in ${dir} yet: take one with \`homelab backup <env>\`, or give the path of a .db file.`,
  });
}

/** Streams a file through the format check (one pass, constant memory). */
export async function checkSnapshotFile(file: string): Promise<SnapshotCheck> {
  const checker = new SnapshotChecker();
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    checker.update(chunk as Buffer);
  }
  return checker.finish();
}

export interface VerifiedSnapshot extends StoredSnapshot {
  readonly pageSize: number;
}

/**
 * Everything a restore relies on, checked before anything is touched: the file is private
 * (0600), it has a valid record that names it, it is a complete etcd snapshot (trailer hash,
 * bbolt meta pages), and its size and SHA-256 are the recorded ones.
 */
export async function verifySnapshot(file: string): Promise<VerifiedSnapshot> {
  const name = basename(file).replace(/\.db$/, "");
  const recordFile = join(dirname(file), `${name}.json`);
  const invalid = (message: string, fix: string, where = file) =>
    new HomelabError("snapshot-invalid", message, { where: { file: where }, fix });
  const info = await stat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    throw new HomelabError("snapshot-not-found", `there is no snapshot at ${file}`, {
      where: { file },
      fix: "List the stored snapshots with `homelab backup <env> --list`.",
    });
  });
  if (!info.isFile()) throw invalid(`${file} is not a file`, "Name a snapshot's .db file.");
  if (!file.endsWith(".db"))
    throw invalid(
      `${basename(file)} is not named <name>.db`,
      "Snapshots are stored as <name>.db with <name>.json beside them.",
    );
  await assertSecretPermissions(file);
  const read = await readRecord(recordFile);
  if ("problem" in read) {
    throw invalid(
      `the snapshot ${name} cannot be trusted: ${read.problem}`,
      read.missing
        ? `homelab keeps ${name}.json next to every snapshot it takes (node, size, SHA-256). Without it the file's origin is unknown: restore another snapshot, or take a new one with \`homelab backup <env>\`.`
        : `The record was changed or damaged. Restore another snapshot, or take a new one with \`homelab backup <env>\`.`,
      recordFile,
    );
  }
  const { record } = read;
  if (record.name !== name) {
    throw invalid(
      `the record ${basename(recordFile)} describes ${record.name}, not ${name}`,
      "Keep each snapshot under the name homelab gave it, next to its own record.",
      recordFile,
    );
  }
  const check = await checkSnapshotFile(file);
  if (!check.ok) {
    throw invalid(
      `the snapshot ${name} is damaged: ${check.problem}`,
      "It cannot be restored. Restore an older snapshot (`homelab backup <env> --list`), or take a new one.",
    );
  }
  if (check.size !== record.size || check.sha256 !== record.sha256) {
    throw invalid(
      `the snapshot ${name} is not the one its record describes (${check.size} bytes, SHA-256 ${check.sha256.slice(0, 12)}…; recorded ${record.size} bytes, ${record.sha256.slice(0, 12)}…)`,
      "The file was replaced or changed after homelab stored it. Restore another snapshot, or take a new one.",
    );
  }
  return { record, file, recordFile, pageSize: check.pageSize };
}

/**
 * Keeps the newest `keep` snapshots of one reason (and environment) and deletes the rest, the
 * snapshot before its record. Files that are not complete pairs are left for the user to see
 * (`homelab backup --list` lists them as problems).
 */
export async function pruneSnapshots(
  dir: string,
  options: { readonly environment: string; readonly reason: string; readonly keep: number },
): Promise<SnapshotRecord[]> {
  if (!Number.isInteger(options.keep) || options.keep < 1)
    throw new HomelabError("usage", `cannot keep ${options.keep} snapshots`, {
      fix: "Keep at least one snapshot per reason.",
    });
  const { snapshots } = await listSnapshots(dir);
  const same = snapshots.filter(
    (s) => s.record.reason === options.reason && s.record.environment === options.environment,
  );
  const removed: SnapshotRecord[] = [];
  for (const old of same.slice(options.keep)) {
    await rm(old.file, { force: true });
    await rm(old.recordFile, { force: true });
    removed.push(old.record);
  }
  return removed;
}
