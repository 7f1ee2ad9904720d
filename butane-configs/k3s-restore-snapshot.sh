#!/bin/sh
# Restores the cluster from an etcd snapshot before k3s's first start on a rebuilt single
# server. homelab took the snapshot from the old machine, uploads it over SSH to
# $RESTORE_DIR/snapshot and then creates $RESTORE_DIR/snapshot.ready; this script waits for
# that marker, accepts the file only if its SHA-256 is the one in this machine's Ignition
# (/etc/homelab/k3s-restore.env), restores it with k3s's cluster reset and removes it.
# Installed by homelab at /opt/bin/k3s-restore-snapshot, run by homelab-k3s-restore.service,
# which k3s.service requires: without a restored snapshot, k3s never starts an empty cluster.
#
# Settings (environment):
#   SNAPSHOT_SHA256          the snapshot's SHA-256 (lowercase hex), required
#   RESTORE_DIR              where homelab uploads it (default /var/lib/homelab/restore)
#   RESTORE_WAIT_TIMEOUT     seconds to wait for the upload (default 3600)
#   K3S                      the k3s binary (default /opt/bin/k3s)
set -eu

dir="${RESTORE_DIR:-/var/lib/homelab/restore}"
timeout="${RESTORE_WAIT_TIMEOUT:-3600}"
k3s="${K3S:-/opt/bin/k3s}"
expected="${SNAPSHOT_SHA256:?SNAPSHOT_SHA256 is not set}"
snapshot="$dir/snapshot"

started=$(date +%s)
until [ -f "$snapshot.ready" ]; do
  if [ $(($(date +%s) - started)) -ge "$timeout" ]; then
    echo "k3s-restore-snapshot: no snapshot was uploaded to $snapshot within ${timeout}s; k3s stays stopped." >&2
    echo "k3s-restore-snapshot: run \`homelab restore\` from the machine that runs homelab." >&2
    exit 1
  fi
  sleep 5
done

actual=$(sha256sum "$snapshot" | cut -d ' ' -f 1)
if [ "$actual" != "$expected" ]; then
  echo "k3s-restore-snapshot: $snapshot has SHA-256 $actual, expected $expected; refusing it" >&2
  rm -f "$snapshot.ready"
  exit 1
fi

echo "k3s-restore-snapshot: restoring the snapshot $expected"
"$k3s" server --cluster-reset --cluster-reset-restore-path="$snapshot"
# The marker goes first: a marker never outlives its snapshot, even if the machine stops here.
rm -f "$snapshot.ready" "$snapshot"
echo "k3s-restore-snapshot: restored; k3s starts from the restored data"
