import { createReadStream } from "node:fs";
import { Transform } from "node:stream";
import { type WaitClock, waitUntil } from "../cluster/wait.js";
import { HomelabError } from "../errors/index.js";
import {
  RESTORE_DIRECTORY,
  RESTORE_MODE_PART,
  RESTORE_MODE_READY,
  RESTORE_MODE_SNAPSHOT,
  WRITE_STDIN_PRIVATE,
} from "./node-paths.js";
import { byHand, describeRemoteFailure, type RemoteOptions, runOnNode, type SnapshotNode } from "./remote.js";
import type { StoredSnapshot } from "./store.js";

export interface WaitForSshOptions extends RemoteOptions {
  readonly timeoutMs: number;
  readonly clock: WaitClock;
  /** Pause between attempts (default 3 s). */
  readonly intervalMs?: number;
  readonly onProgress?: (text: string) => void;
}

/**
 * Waits until a node's sshd answers and runs a command (`true`), for a machine that is still
 * booting. A changed host key is not waited out: it ends the wait with
 * `ssh-host-key-mismatch` (a rebuilt node's old key must be forgotten before).
 */
export async function waitForSsh(server: SnapshotNode, options: WaitForSshOptions): Promise<void> {
  const result = await waitUntil<true>({
    timeoutMs: options.timeoutMs,
    intervalMs: options.intervalMs ?? 3000,
    clock: options.clock,
    onProgress: options.onProgress,
    attempt: async () => {
      const probe = await runOnNode(server, ["true"], {
        ssh: options.ssh,
        timeoutMs: 20_000,
        connectTimeoutSeconds: 5,
      });
      return probe.exitCode === 0
        ? { done: true, value: true }
        : { done: false, problem: `sshd does not answer yet (${describeRemoteFailure(probe)})` };
    },
  });
  if (!result.ok) {
    throw new HomelabError(
      "snapshot-upload-failed",
      `${server.node} did not answer over SSH within ${Math.round(options.timeoutMs / 1000)}s: ${result.lastProblem}`,
      {
        where: { path: server.node },
        fix: `Watch it boot with \`virsh console ${server.node}\`. Its k3s waits for the snapshot, so nothing is lost: run the command again once it answers.`,
      },
    );
  }
}

export interface UploadOptions extends RemoteOptions {
  /** Bound for the transfer (default 60 min). */
  readonly transferTimeoutMs?: number;
  /** Bytes sent so far. */
  readonly onBytes?: (sent: number, total: number) => void;
}

function uploadFailed(server: SnapshotNode, message: string, fix: string): HomelabError {
  return new HomelabError("snapshot-upload-failed", message, { where: { path: server.node }, fix });
}

/**
 * Copies a stored snapshot to `partPath` on a server as root (directory 0700, file 0600),
 * checks its SHA-256 there, then renames it to `finalPath`, so nothing on the server ever sees
 * a partial file under the final name. A failure removes the partial file where it can.
 */
export async function uploadSnapshotFile(
  server: SnapshotNode,
  snapshot: StoredSnapshot,
  paths: { readonly partPath: string; readonly finalPath: string },
  options: UploadOptions = {},
): Promise<void> {
  const ssh = { ssh: options.ssh };
  const step = async (argv: readonly string[], what: string) => {
    const result = await runOnNode(server, argv, ssh);
    if (result.exitCode !== 0)
      throw uploadFailed(
        server,
        `cannot ${what} on ${server.node}: ${describeRemoteFailure(result)}`,
        `Check that ${server.node} answers (${byHand(server.node, "sudo true")}) and has free disk space, then run the command again.`,
      );
    return result;
  };
  await step(["sudo", "install", "-d", "-m", "0700", RESTORE_DIRECTORY], `create ${RESTORE_DIRECTORY}`);

  const total = snapshot.record.size;
  let sent = 0;
  // Counts as the bytes are consumed; it does not flow before ssh reads it (nothing is lost).
  const counted = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      options.onBytes?.(sent, total);
      done(null, chunk);
    },
  });
  const source = createReadStream(snapshot.file, { highWaterMark: 1024 * 1024 });
  source.once("error", (error) => counted.destroy(error));
  source.pipe(counted);
  const copied = await runOnNode(server, ["sudo", "sh", "-c", WRITE_STDIN_PRIVATE, "sh", paths.partPath], {
    ssh: options.ssh,
    input: counted,
    timeoutMs: options.transferTimeoutMs ?? 60 * 60_000,
  })
    .catch((error: unknown) => {
      if (error instanceof HomelabError) throw error;
      throw new HomelabError(
        "snapshot-upload-failed",
        `cannot read ${snapshot.file}: ${(error as Error).message}`,
        {
          where: { file: snapshot.file },
          fix: "Check the file with `homelab backup <env> --list`, then run the command again.",
        },
      );
    })
    .finally(() => {
      // ssh may have stopped reading early: close the file either way.
      source.destroy();
      counted.destroy();
    });
  const removePart = () =>
    runOnNode(server, ["sudo", "rm", "-f", paths.partPath], ssh).catch(() => undefined);
  if (copied.exitCode !== 0) {
    await removePart();
    throw uploadFailed(
      server,
      `the upload of ${snapshot.record.name} to ${server.node} stopped after ${sent} of ${total} bytes: ${describeRemoteFailure(copied)}`,
      `Check the connection and the free space on ${server.node} (${byHand(server.node, `df -h ${RESTORE_DIRECTORY}`)}), then run the command again.`,
    );
  }
  const summed = await step(["sudo", "sha256sum", paths.partPath], "check the uploaded snapshot's SHA-256");
  const remoteSha = /^([0-9a-f]{64})\s/.exec(summed.stdout)?.[1];
  if (remoteSha !== snapshot.record.sha256) {
    await removePart();
    throw uploadFailed(
      server,
      `the snapshot arrived damaged on ${server.node}: SHA-256 ${remoteSha ?? "unreadable"}, expected ${snapshot.record.sha256}`,
      "Run the command again; if it keeps failing, check the server's disk.",
    );
  }
  await step(
    ["sudo", "mv", "-f", paths.partPath, paths.finalPath],
    `move the snapshot to ${paths.finalPath}`,
  );
}

export interface UploadForRestoreOptions extends UploadOptions {
  /** The rebuilt server, booted in restore mode with this snapshot's SHA-256 in its Ignition. */
  readonly server: SnapshotNode;
  /** A stored snapshot (from `takeSnapshot`, or checked with `verifySnapshot`). */
  readonly snapshot: StoredSnapshot;
  /** How long the new machine may take to answer over SSH. */
  readonly sshTimeoutMs: number;
  readonly clock: WaitClock;
  readonly onProgress?: (text: string) => void;
}

/**
 * Hands a snapshot to a rebuilt single server in restore mode. Its
 * `homelab-k3s-restore.service` (butane-configs/k3s-restore-snapshot.sh) waits for
 * `/var/lib/homelab/restore/snapshot.ready`, checks the SHA-256 of `…/snapshot` against its
 * Ignition and restores it with k3s's cluster reset. So, in this order: wait for sshd; remove a
 * stale marker; upload to `snapshot.part`, check its SHA-256 there, rename it to `snapshot`;
 * create `snapshot.ready` (all as root: directory 0700, files 0600). The new machine has a new
 * host key: the caller forgets the old one first (ssh then records the new one, accept-new).
 */
export async function uploadForRestore(options: UploadForRestoreOptions): Promise<void> {
  const { server, snapshot } = options;
  options.onProgress?.(`waiting for ${server.node} to answer over SSH`);
  await waitForSsh(server, {
    ssh: options.ssh,
    timeoutMs: options.sshTimeoutMs,
    clock: options.clock,
    onProgress: options.onProgress,
  });
  const run = async (argv: readonly string[], what: string) => {
    const result = await runOnNode(server, argv, { ssh: options.ssh });
    if (result.exitCode !== 0)
      throw uploadFailed(
        server,
        `cannot ${what} on ${server.node}: ${describeRemoteFailure(result)}`,
        "Its k3s keeps waiting for the snapshot: run the command again.",
      );
  };
  await run(["sudo", "rm", "-f", RESTORE_MODE_READY], "remove a stale snapshot.ready");
  options.onProgress?.(`uploading ${snapshot.record.name} to ${server.node}`);
  await uploadSnapshotFile(
    server,
    snapshot,
    { partPath: RESTORE_MODE_PART, finalPath: RESTORE_MODE_SNAPSHOT },
    options,
  );
  await run(["sudo", "install", "-m", "0600", "/dev/null", RESTORE_MODE_READY], "create snapshot.ready");
}
