import { open, rename, rm } from "node:fs/promises";
import { posix } from "node:path";
import { Writable } from "node:stream";
import { HomelabError, isHomelabError } from "../errors/index.js";
import { SnapshotChecker } from "./format.js";
import { K3S_BINARY, K3S_SNAPSHOT_DIR } from "./node-paths.js";
import { REASON_MAX_LENGTH, REASON_PATTERN, type SnapshotRecord, serializeSnapshotRecord } from "./record.js";
import { byHand, describeRemoteFailure, type RemoteOptions, runOnNode, type SnapshotNode } from "./remote.js";
import {
  DEFAULT_KEEP_PER_REASON,
  ensureSnapshotsDir,
  pruneSnapshots,
  type StoredSnapshot,
  snapshotPaths,
} from "./store.js";

export interface TakeSnapshotOptions extends RemoteOptions {
  /** The server to snapshot (any server of the cluster holds the whole etcd). */
  readonly server: SnapshotNode;
  readonly environment: string;
  /** `stateLayout(dir).snapshotsDir`. */
  readonly snapshotsDir: string;
  /** A slug: `backup` for `homelab backup`, or the caller's (e.g. `pre-rebuild`). Retention is per reason. */
  readonly reason: string;
  /** When it was taken, from the caller's clock (the library reads none). */
  readonly takenAt: Date;
  /** Snapshots of this reason to keep, the new one included (default 10). */
  readonly keep?: number;
  /** Bound for `k3s etcd-snapshot save` (default 10 min). */
  readonly saveTimeoutMs?: number;
  /** Bound for the download (default 60 min; a dead connection is noticed within a minute). */
  readonly transferTimeoutMs?: number;
  /** Bytes received so far, while downloading. */
  readonly onBytes?: (received: number) => void;
  /** What is happening, for a step's text. */
  readonly onProgress?: (text: string) => void;
}

export interface TakenSnapshot {
  readonly snapshot: StoredSnapshot;
  /** Older snapshots of the same reason that retention deleted. */
  readonly pruned: readonly SnapshotRecord[];
}

/**
 * Where the snapshot `etcd-snapshot save` just wrote is, from what it printed. k3s logs
 * "Saving etcd snapshot to <path>" and "Snapshot <name> saved." (k3s `pkg/etcd/snapshot.go`;
 * the docs' example: `INFO[0155] Snapshot on-demand-server-0-1753178523 saved.`,
 * https://docs.k3s.io/cli/etcd-snapshot). Without a terminal logrus writes
 * `msg="Saving etcd snapshot to /path"`, so a closing quote ends a path as a space does.
 */
export function savedSnapshotPath(output: string, prefix: string): string | undefined {
  const paths = [...output.matchAll(/Saving etcd snapshot to ([^\s"]+)/g)].map((m) => m[1] ?? "");
  const names = [...output.matchAll(/Snapshot ([^\s"]+) saved/g)].map((m) => m[1] ?? "");
  const fromPath = paths.reverse().find((path) => posix.basename(path).startsWith(`${prefix}-`));
  if (fromPath) return fromPath;
  const name = names.reverse().find((n) => n.startsWith(`${prefix}-`));
  return name ? `${K3S_SNAPSHOT_DIR}/${name}` : undefined;
}

/**
 * The newest `<prefix>-<node>-<unix seconds>` in a directory listing: k3s's naming
 * (`fmt.Sprintf("%s-%s-%d", name, nodeName, now.Unix())`, k3s `pkg/etcd/snapshot.go`), for when
 * the output named no file.
 */
export function newestSnapshotIn(listing: string, prefix: string): string | undefined {
  let best: { name: string; seconds: number } | undefined;
  for (const line of listing.split("\n")) {
    const name = line.trim();
    if (!name.startsWith(`${prefix}-`)) continue;
    const match = /-([0-9]+)(\.zip)?$/.exec(name);
    if (!match) continue;
    const seconds = Number(match[1]);
    if (!best || seconds > best.seconds) best = { name, seconds };
  }
  return best?.name;
}

function failed(message: string, fix: string, file?: string): HomelabError {
  return new HomelabError("snapshot-failed", message, { fix, ...(file ? { where: { file } } : {}) });
}

async function saveOnServer(options: TakeSnapshotOptions, prefix: string): Promise<string> {
  const { server } = options;
  const saved = await runOnNode(server, ["sudo", K3S_BINARY, "etcd-snapshot", "save", "--name", prefix], {
    ssh: options.ssh,
    timeoutMs: options.saveTimeoutMs ?? 10 * 60_000,
  });
  if (saved.exitCode !== 0) {
    throw failed(
      `k3s could not take an etcd snapshot on ${server.node}: ${describeRemoteFailure(saved)}`,
      `A snapshot needs k3s running on the server with its embedded etcd healthy. Look at ${byHand(server.node, "sudo journalctl -u k3s --no-pager -n 50")}, or take it from another server.`,
    );
  }
  const path = savedSnapshotPath(`${saved.stdout}\n${saved.stderr}`, prefix);
  if (path) return path;
  // Nothing printed named the file: look for it where k3s writes snapshots.
  const listed = await runOnNode(server, ["sudo", "ls", "-1", K3S_SNAPSHOT_DIR], { ssh: options.ssh });
  const newest = listed.exitCode === 0 ? newestSnapshotIn(listed.stdout, prefix) : undefined;
  if (!newest) {
    throw failed(
      `k3s reported success on ${server.node}, but homelab cannot find the snapshot ${prefix}-… it wrote`,
      `Look for it with ${byHand(server.node, "sudo k3s etcd-snapshot ls")}. homelab expects k3s's default snapshot directory ${K3S_SNAPSHOT_DIR}: remove \`etcd-snapshot-dir\` from \`k3s.serverConfig\` if you set it.`,
    );
  }
  return `${K3S_SNAPSHOT_DIR}/${newest}`;
}

/** A file write may be short (a disk filling up): write until every byte is written or it fails. */
async function writeAll(handle: Awaited<ReturnType<typeof open>>, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    if (bytesWritten === 0) throw new Error("the disk accepts no more bytes");
    offset += bytesWritten;
  }
}

/** A writable that checks the bytes as they arrive and writes them to an open file. */
function checkedFileSink(
  handle: Awaited<ReturnType<typeof open>>,
  checker: SnapshotChecker,
  onBytes: ((received: number) => void) | undefined,
): Writable {
  return new Writable({
    highWaterMark: 1024 * 1024,
    write(chunk: Buffer, _encoding, done) {
      checker.update(chunk);
      writeAll(handle, chunk).then(() => {
        onBytes?.(checker.size);
        done();
      }, done);
    },
  });
}

/**
 * Takes an etcd snapshot on one server and stores it: `sudo k3s etcd-snapshot save --name
 * homelab-<reason>` there, the file streamed back with `sudo cat`, checked while it arrives
 * (SHA-256 trailer, bbolt meta pages), fsynced as a hidden `.part` file, then renamed into
 * place with its record. Any failure (SSH, k3s, a dropped connection, a damaged file, a full
 * disk) is a located error and leaves nothing in the snapshots directory. Then prunes older
 * snapshots of the same reason beyond `keep`.
 */
export async function takeSnapshot(options: TakeSnapshotOptions): Promise<TakenSnapshot> {
  const { server, snapshotsDir, reason } = options;
  if (!REASON_PATTERN.test(reason) || reason.length > REASON_MAX_LENGTH)
    throw new HomelabError("internal", `snapshot reason ${JSON.stringify(reason)} is not a short slug`, {
      fix: "The caller of takeSnapshot passed an invalid reason; this is a bug.",
    });
  await ensureSnapshotsDir(snapshotsDir);
  const prefix = `homelab-${reason}`;
  options.onProgress?.(`k3s etcd-snapshot save on ${server.node}`);
  const remotePath = await saveOnServer(options, prefix);
  const name = posix.basename(remotePath);
  if (name.endsWith(".zip")) {
    throw failed(
      `k3s wrote a compressed snapshot on ${server.node} (${name}), which homelab cannot check or restore`,
      "Remove `etcd-snapshot-compress` from the environment's `k3s.serverConfig`, apply, and take the snapshot again.",
    );
  }
  const paths = snapshotPaths(snapshotsDir, name);
  options.onProgress?.(`downloading ${name} from ${server.node}`);
  await rm(paths.partFile, { force: true });
  await rm(paths.recordPartFile, { force: true });
  let placed = false;
  let stored: StoredSnapshot;
  try {
    const checker = new SnapshotChecker();
    const handle = await open(paths.partFile, "wx", 0o600).catch((error: Error) => {
      throw failed(
        `cannot create ${paths.partFile}: ${error.message}`,
        `Make sure you own ${snapshotsDir}.`,
        paths.partFile,
      );
    });
    let downloaded: Awaited<ReturnType<typeof runOnNode>>;
    try {
      downloaded = await runOnNode(server, ["sudo", "cat", remotePath], {
        ssh: options.ssh,
        timeoutMs: options.transferTimeoutMs ?? 60 * 60_000,
        output: checkedFileSink(handle, checker, options.onBytes),
      }).catch((error: unknown) => {
        if (isHomelabError(error)) throw error;
        throw failed(
          `cannot write the snapshot to ${paths.partFile}: ${(error as Error).message}`,
          `Free disk space where homelab keeps its state (${snapshotsDir}; \`df -h ${snapshotsDir}\`), or delete old snapshots there, then take it again.`,
          paths.partFile,
        );
      });
      if (downloaded.exitCode === 0) await handle.sync();
    } finally {
      await handle.close();
    }
    if (downloaded.exitCode !== 0) {
      throw failed(
        `the download of ${name} from ${server.node} stopped after ${checker.size} bytes: ${describeRemoteFailure(downloaded)}`,
        "Nothing was stored. Check the connection to the server and take the snapshot again.",
      );
    }
    const check = checker.finish();
    if (!check.ok) {
      throw new HomelabError(
        "snapshot-invalid",
        `the snapshot ${name} downloaded from ${server.node} is not a complete etcd snapshot: ${check.problem}`,
        {
          where: { path: `${server.node}:${remotePath}` },
          fix: `Nothing was stored. Take it again; if it fails again, look at the file on the server: ${byHand(server.node, `sudo ls -l ${remotePath}`)}.`,
        },
      );
    }
    const record: SnapshotRecord = {
      formatVersion: 1,
      name,
      environment: options.environment,
      node: server.node,
      reason,
      takenAt: options.takenAt.toISOString(),
      size: check.size,
      sha256: check.sha256,
      pageSize: check.pageSize,
      remotePath,
    };
    const recordHandle = await open(paths.recordPartFile, "wx", 0o600);
    try {
      await recordHandle.writeFile(serializeSnapshotRecord(record));
      await recordHandle.sync();
    } finally {
      await recordHandle.close();
    }
    await rename(paths.partFile, paths.file);
    placed = true;
    await rename(paths.recordPartFile, paths.recordFile);
    stored = { record, file: paths.file, recordFile: paths.recordFile };
  } catch (error) {
    await rm(paths.partFile, { force: true });
    await rm(paths.recordPartFile, { force: true });
    // A snapshot without its record would be refused anyway: never leave one behind.
    if (placed) await rm(paths.file, { force: true });
    if (isHomelabError(error)) throw error;
    throw failed(
      `cannot store the snapshot ${name} in ${snapshotsDir}: ${(error as Error).message}`,
      `Make sure you own ${snapshotsDir} and its disk is not full, then take it again.`,
      snapshotsDir,
    );
  }
  const pruned = await pruneSnapshots(snapshotsDir, {
    environment: options.environment,
    reason,
    keep: options.keep ?? DEFAULT_KEEP_PER_REASON,
  });
  return { snapshot: stored, pruned };
}

export interface TakeFromAnyOptions extends Omit<TakeSnapshotOptions, "server"> {
  /** Candidate servers in order of preference (leave out the one about to be rebuilt). */
  readonly servers: readonly SnapshotNode[];
  /** Called for each server that does not answer over SSH before the next is tried. */
  readonly onSkipped?: (node: string, why: string) => void;
}

/**
 * Takes the snapshot on the first server that answers over SSH (a short `true`). Once a
 * server has answered, any failure ends the attempt: trying the next one would hide a real
 * problem. A changed host key is never skipped over.
 */
export async function takeSnapshotFromAny(
  options: TakeFromAnyOptions,
): Promise<TakenSnapshot & { server: string }> {
  const skipped: { node: string; why: string }[] = [];
  for (const server of options.servers) {
    const probe = await runOnNode(server, ["true"], {
      ssh: options.ssh,
      timeoutMs: 20_000,
      connectTimeoutSeconds: 5,
    });
    if (probe.exitCode !== 0) {
      const why = describeRemoteFailure(probe);
      skipped.push({ node: server.node, why });
      options.onSkipped?.(server.node, why);
      continue;
    }
    const taken = await takeSnapshot({ ...options, server });
    return { ...taken, server: server.node };
  }
  throw new HomelabError(
    "snapshot-failed",
    options.servers.length === 0
      ? `${options.environment} has no server to take a snapshot on`
      : `no server of ${options.environment} answers over SSH, so no snapshot was taken`,
    {
      details: skipped.map((s) => ({ message: `${s.node}: ${s.why}` })),
      fix: "Start the servers (`homelab status` shows their VM state) and take the snapshot again.",
    },
  );
}
