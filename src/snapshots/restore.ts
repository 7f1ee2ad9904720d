import { HomelabError, type HomelabErrorDetail } from "../errors/index.js";
import {
  CLUSTER_RESET_CONFIG,
  CLUSTER_RESET_SNAPSHOT,
  K3S_BINARY,
  K3S_CONFIG,
  K3S_DB_DIR,
} from "./node-paths.js";
import { byHand, describeRemoteFailure, type RemoteOptions, runOnNode, type SnapshotNode } from "./remote.js";
import type { StoredSnapshot } from "./store.js";
import { type UploadOptions, uploadSnapshotFile } from "./upload.js";

/** Runs one visible step (the CLI passes its reporter's; the default just runs it). */
export type StepRunner = <T>(title: string, work: () => Promise<T>) => Promise<T>;

const runSilently: StepRunner = (_title, work) => work();

/** Where a server stands during a restore; what a failure leaves is reported per server. */
export type RestoreServerState =
  | "running"
  | "stopped"
  | "reset-failed"
  | "restored"
  | "started"
  | "wiped"
  | "rejoined";

export interface RestoreClusterOptions extends RemoteOptions, Pick<UploadOptions, "onBytes"> {
  readonly environment: string;
  /** Every server of the environment, in the environment's order. */
  readonly servers: readonly SnapshotNode[];
  /** The server that restores the snapshot; the others rejoin it. */
  readonly restoreOn: string;
  /** A snapshot checked with `verifySnapshot`. */
  readonly snapshot: StoredSnapshot;
  readonly step?: StepRunner;
  /** Bound for `k3s server --cluster-reset` (default 30 min). */
  readonly resetTimeoutMs?: number;
  /** Bound for each `systemctl stop|start k3s` (default 15 min: start returns once k3s is up). */
  readonly systemctlTimeoutMs?: number;
  readonly onWarning?: (message: string) => void;
}

export interface RestoreOutcome {
  readonly restoredOn: string;
  /** The other servers, which rejoined with empty etcd data. */
  readonly rejoined: readonly string[];
}

/**
 * Drops the top-level `server:` key of config.yaml into a private copy. k3s refuses
 * `--cluster-reset` while a server URL is set ("cannot perform cluster-reset while server URL
 * is set - remove server from configuration before resetting", k3s `pkg/cli/server/server.go`),
 * and homelab's joining servers have `server: https://<registration address>:6443`. homelab
 * writes config.yaml itself, with `server` as a plain top-level key on one line
 * (src/k3s/node-config.ts); `server` is a key users cannot set (HOMELAB_MANAGED_K3S_KEYS).
 * Arguments: the config, the copy.
 */
const WRITE_CONFIG_WITHOUT_SERVER = 'umask 077 && grep -v -E "^server:" "$1" > "$2"';

function stateText(node: string, state: RestoreServerState, resetDone: boolean): string {
  const start = byHand(node, "sudo systemctl start k3s");
  switch (state) {
    case "running":
      return "running, unchanged";
    case "stopped":
      return resetDone
        ? `k3s stopped, still holding the old etcd data: remove it, then start k3s (${byHand(node, `sudo rm -rf ${K3S_DB_DIR}`)}, then ${start})`
        : `k3s stopped, its data unchanged: start it again with ${start}`;
    case "reset-failed":
      return `k3s stopped; the reset failed (k3s may have moved the old data to ${K3S_DB_DIR}/etcd-old-<time>): run the restore again`;
    case "restored":
      return `restored from the snapshot, k3s stopped: start it with ${start}`;
    case "started":
      return "running from the snapshot";
    case "wiped":
      return `old etcd data removed, k3s stopped: ${start} joins it to the restored cluster`;
    case "rejoined":
      return "running, rejoined to the restored cluster";
  }
}

/**
 * Restores a running cluster from a snapshot, as k3s documents it for embedded etcd
 * (https://docs.k3s.io/cli/etcd-snapshot, "Restoring Snapshots"): stop k3s on every server;
 * on one server run `k3s server --cluster-reset --cluster-reset-restore-path=<file>` (it
 * restores, leaves etcd with that server as its only member, and exits 0) and start k3s
 * there; on every other server remove `/var/lib/rancher/k3s/server/db` and start k3s, so it
 * rejoins the restored cluster. Agents keep running and reconnect.
 *
 * Order, chosen so that a failure leaves as little as possible to repair:
 * 1. every server answers `sudo true` (else `restore-refused`: nothing changed);
 * 2. the snapshot is uploaded to the chosen server and its SHA-256 checked there, and the
 *    config for the reset written — all while the cluster still runs;
 * 3. k3s stopped on every server, in order;
 * 4. the reset on the chosen server, then the uploaded files removed, then k3s started there;
 * 5. one server after another: its etcd data removed, k3s started (it joins).
 * Any failure ends in `restore-failed` with each server's state and what to do with it.
 */
export async function restoreCluster(options: RestoreClusterOptions): Promise<RestoreOutcome> {
  const step = options.step ?? runSilently;
  const chosen = options.servers.find((s) => s.node === options.restoreOn);
  if (!chosen)
    throw new HomelabError(
      "restore-refused",
      `${options.restoreOn} is not a server of ${options.environment}`,
      {
        fix: `Restore on one of its servers: ${options.servers.map((s) => s.node).join(", ")}.`,
      },
    );
  const others = options.servers.filter((s) => s !== chosen);
  const ssh = { ssh: options.ssh };
  const states = new Map<string, RestoreServerState>(options.servers.map((s) => [s.node, "running"]));
  let resetDone = false;
  let uploaded = false;
  const { name } = options.snapshot.record;
  const systemctlTimeout = options.systemctlTimeoutMs ?? 15 * 60_000;
  const again = `\`homelab restore ${options.environment} ${name}\``;

  const removeUploads = async () => {
    const removed = await runOnNode(
      chosen,
      ["sudo", "rm", "-f", CLUSTER_RESET_SNAPSHOT, CLUSTER_RESET_CONFIG],
      ssh,
    ).catch(() => undefined);
    if (removed?.exitCode === 0) uploaded = false;
    else
      options.onWarning?.(
        `could not remove the uploaded snapshot from ${chosen.node}: remove it with ${byHand(chosen.node, `sudo rm -f ${CLUSTER_RESET_SNAPSHOT} ${CLUSTER_RESET_CONFIG}`)}`,
      );
  };

  const failure = async (failedOn: string, what: string, cause: string): Promise<HomelabError> => {
    if (uploaded) await removeUploads();
    const details: HomelabErrorDetail[] = options.servers.map((s) => ({
      message: `${s.node}: ${stateText(s.node, states.get(s.node) ?? "running", resetDone)}${s.node === failedOn ? " (the failed step ran here)" : ""}`,
    }));
    const stopped = [...states].filter(([, state]) => state === "stopped").map(([node]) => node);
    const fix = resetDone
      ? `${chosen.node} holds the restored data. Fix the cause, then finish by hand as listed for each server, or run ${again} again (it starts over from the snapshot).`
      : stopped.length > 0
        ? `The cluster's data is unchanged, but k3s is stopped on ${stopped.join(", ")}. Fix the cause, then run ${again} again, or start k3s on those servers as listed to go back to the cluster as it was.`
        : `Nothing was stopped: the cluster runs as before. Fix the cause, then run ${again} again.`;
    return new HomelabError("restore-failed", `the restore of ${name} stopped: ${what} ${cause}`, {
      where: { path: options.environment },
      details,
      fix,
    });
  };

  const run = async (server: SnapshotNode, argv: readonly string[], what: string, timeoutMs?: number) => {
    const result = await runOnNode(server, argv, { ...ssh, ...(timeoutMs ? { timeoutMs } : {}) }).catch(
      async (error: unknown) => {
        // Even ssh itself failing (a changed host key) must report where every server stands.
        if (!(error instanceof HomelabError)) throw error;
        throw await failure(server.node, `${what} on ${server.node} failed:`, error.message);
      },
    );
    if (result.exitCode !== 0)
      throw await failure(server.node, `${what} on ${server.node} failed:`, describeRemoteFailure(result));
    return result;
  };

  // 1. Nothing is touched unless every server can be reached: a server left running would keep the old data.
  await step(`Checking that every server of ${options.environment} answers over SSH`, async () => {
    const unreachable: HomelabErrorDetail[] = [];
    for (const server of options.servers) {
      const probe = await runOnNode(server, ["sudo", "true"], {
        ...ssh,
        timeoutMs: 30_000,
        connectTimeoutSeconds: 10,
      });
      if (probe.exitCode !== 0)
        unreachable.push({ message: `${server.node}: ${describeRemoteFailure(probe)}` });
    }
    if (unreachable.length > 0)
      throw new HomelabError(
        "restore-refused",
        `not every server of ${options.environment} answers over SSH, so nothing was changed`,
        {
          where: { path: options.environment },
          details: unreachable,
          fix: "A restore stops and resets every server: start them all (`homelab status` shows their VM state), then run the restore again.",
        },
      );
  });

  // 2. While the cluster still runs: the snapshot and the reset's config on the chosen server.
  await step(`Uploading ${name} to ${chosen.node}`, async () => {
    uploaded = true;
    try {
      await uploadSnapshotFile(
        chosen,
        options.snapshot,
        { partPath: `${CLUSTER_RESET_SNAPSHOT}.part`, finalPath: CLUSTER_RESET_SNAPSHOT },
        { ...ssh, onBytes: options.onBytes },
      );
    } catch (error) {
      if (!(error instanceof HomelabError)) throw error;
      throw await failure(chosen.node, "the upload failed:", error.message);
    }
  });
  await step(`Writing ${chosen.node}'s k3s config without \`server\` for the reset`, () =>
    run(
      chosen,
      ["sudo", "sh", "-c", WRITE_CONFIG_WITHOUT_SERVER, "sh", K3S_CONFIG, CLUSTER_RESET_CONFIG],
      "writing the reset config",
    ),
  );

  // 3. Every server stops: etcd must not run anywhere while the chosen one resets.
  for (const server of options.servers) {
    await step(`Stopping k3s on ${server.node}`, async () => {
      await run(server, ["sudo", "systemctl", "stop", "k3s"], "stopping k3s", systemctlTimeout);
      states.set(server.node, "stopped");
    });
  }

  // 4. The reset: k3s restores, keeps this server as etcd's only member, and exits 0.
  await step(`Restoring ${name} on ${chosen.node} (k3s server --cluster-reset)`, async () => {
    const argv = [
      "sudo",
      K3S_BINARY,
      "server",
      "--config",
      CLUSTER_RESET_CONFIG,
      "--cluster-reset",
      `--cluster-reset-restore-path=${CLUSTER_RESET_SNAPSHOT}`,
    ];
    const result = await runOnNode(chosen, argv, {
      ...ssh,
      timeoutMs: options.resetTimeoutMs ?? 30 * 60_000,
    });
    if (result.exitCode !== 0) {
      states.set(chosen.node, "reset-failed");
      throw await failure(
        chosen.node,
        `k3s --cluster-reset on ${chosen.node} failed:`,
        describeRemoteFailure(result),
      );
    }
    states.set(chosen.node, "restored");
    resetDone = true;
  });
  await removeUploads();
  await step(`Starting k3s on ${chosen.node}`, async () => {
    await run(chosen, ["sudo", "systemctl", "start", "k3s"], "starting k3s", systemctlTimeout);
    states.set(chosen.node, "started");
  });

  // 5. The others rejoin one at a time, with no etcd data of their own.
  for (const server of others) {
    await step(`Removing the old etcd data on ${server.node}`, async () => {
      await run(server, ["sudo", "rm", "-rf", K3S_DB_DIR], "removing the old etcd data");
      states.set(server.node, "wiped");
    });
    await step(`Starting k3s on ${server.node} (it rejoins ${chosen.node})`, async () => {
      await run(server, ["sudo", "systemctl", "start", "k3s"], "starting k3s", systemctlTimeout);
      states.set(server.node, "rejoined");
    });
  }
  return { restoredOn: chosen.node, rejoined: others.map((s) => s.node) };
}
