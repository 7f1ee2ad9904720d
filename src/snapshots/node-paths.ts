/**
 * Paths on a server that snapshots, uploads and restores use. k3s's are its defaults
 * (data-dir `/var/lib/rancher/k3s`, https://docs.k3s.io/cli/etcd-snapshot); homelab's restore
 * directory is the one the restore-mode Ignition waits on (`src/nodes/render.ts`
 * `RESTORE_PATHS.directory`, `butane-configs/k3s-restore-snapshot.sh`; a test keeps them equal).
 */

/** Where homelab's Ignition installs the pinned k3s binary. */
export const K3S_BINARY = "/opt/bin/k3s";
export const K3S_CONFIG = "/etc/rancher/k3s/config.yaml";
/** The server's datastore: etcd's member directory, k3s's snapshots, the reset flag. */
export const K3S_DB_DIR = "/var/lib/rancher/k3s/server/db";
/** `${data-dir}/server/db/snapshots`, where `etcd-snapshot save` writes `<name>-<node>-<unix seconds>`. */
export const K3S_SNAPSHOT_DIR = `${K3S_DB_DIR}/snapshots`;

/** Root-only (0700) directory for files homelab uploads to a server. */
export const RESTORE_DIRECTORY = "/var/lib/homelab/restore";

/** A rebuilt single server (restore mode) waits for this file, then for the marker. */
export const RESTORE_MODE_SNAPSHOT = `${RESTORE_DIRECTORY}/snapshot`;
export const RESTORE_MODE_PART = `${RESTORE_MODE_SNAPSHOT}.part`;
export const RESTORE_MODE_READY = `${RESTORE_MODE_SNAPSHOT}.ready`;

/** `homelab restore` on a running cluster: the snapshot, and config.yaml without `server:`. */
export const CLUSTER_RESET_SNAPSHOT = `${RESTORE_DIRECTORY}/cluster-reset.db`;
export const CLUSTER_RESET_CONFIG = `${RESTORE_DIRECTORY}/cluster-reset-config.yaml`;

/**
 * Writes stdin to the file named by its first argument, creating it 0600. The path is an
 * argument (never part of the script text), so it is quoted once, like every other word.
 */
export const WRITE_STDIN_PRIVATE = 'umask 077 && exec cat > "$1"';
