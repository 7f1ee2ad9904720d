#!/bin/sh
# Installs k3s and the node's other artifacts from the artifact volume homelab attaches to every
# VM: a read-only virtio disk with serial "homelab-artifacts" holding a plain ustar archive.
# Installed by homelab at /opt/bin/homelab-artifacts, run once by homelab-artifacts.service,
# before k3s. The node needs no internet for any of it.
#
# Each file is checked against the SHA-256 in /etc/homelab/artifacts.list — written by the node's
# own Ignition, so a changed artifact is a changed node — before anything is put in place: one
# mismatch and nothing is installed. The list's lines, in installation order (k3s last):
#   <sha256> <octal mode> <entry in the archive> <absolute target path>
# A stamp written after the last file makes the unit skip on later boots; a run that fails
# halfway leaves no stamp and is repeated whole on the next boot.
#
# Usage: homelab-artifacts [DEVICE]     (default /dev/disk/by-id/virtio-homelab-artifacts)
# HOMELAB_ARTIFACTS_ROOT   prefixes every path on the node (tests run it in a scratch root)
# HOMELAB_ARTIFACTS_WAIT   seconds to wait for the device to appear (default 90)
set -eu

device="${1:-/dev/disk/by-id/virtio-homelab-artifacts}"
root="${HOMELAB_ARTIFACTS_ROOT:-}"
wait_seconds="${HOMELAB_ARTIFACTS_WAIT:-90}"
list="$root/etc/homelab/artifacts.list"
state="$root/var/lib/homelab"
stamp="$state/artifacts.installed"

log() { printf 'homelab-artifacts: %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

if [ -e "$stamp" ]; then
  log "already installed (see $stamp)"
  exit 0
fi
[ -r "$list" ] || fail "$list is missing: this node's Ignition names no artifacts"

# udev creates the by-id link once the disk is probed; wait here rather than with Requires= on
# the device unit, so that a later boot (which skips this unit) never waits for the disk.
waited=0
while [ ! -e "$device" ]; do
  [ "$waited" -lt "$wait_seconds" ] ||
    fail "$device did not appear within ${wait_seconds}s: is the artifact volume attached to this VM?"
  sleep 1
  waited=$((waited + 1))
done
[ -r "$device" ] || fail "$device cannot be read"

mkdir -p "$state"
staging=$(mktemp -d "$state/artifacts.XXXXXX")
trap 'rm -rf "$staging"' EXIT
trap 'exit 1' INT TERM

entries=$(awk '$1 !~ /^#/ && NF == 4 { print $3 }' "$list")
[ -n "$entries" ] || fail "$list names no artifacts"
# Only the named entries are extracted. Their names are homelab's own ([A-Za-z0-9._-]), so the
# word splitting below is safe and wanted.
# shellcheck disable=SC2086
tar -x -f "$device" -C "$staging" --no-same-owner --no-same-permissions -- $entries ||
  fail "cannot extract $(echo $entries) from $device: nothing was installed"

while read -r sha mode entry target; do
  case "$sha" in '' | '#'*) continue ;; esac
  file="$staging/$entry"
  if [ -L "$file" ] || [ ! -f "$file" ]; then
    fail "$entry in $device is not a regular file: nothing was installed"
  fi
  actual=$(sha256sum <"$file" | cut -d ' ' -f 1)
  [ "$actual" = "$sha" ] ||
    fail "$entry in $device has sha256 $actual, but this node's Ignition expects $sha: nothing was installed"
done <"$list"

while read -r sha mode entry target; do
  case "$sha" in '' | '#'*) continue ;; esac
  mkdir -p "$(dirname "$root$target")"
  chmod "$mode" "$staging/$entry"
  mv -f "$staging/$entry" "$root$target"
  log "installed $target (sha256 $sha)"
done <"$list"

sha256sum <"$list" | cut -d ' ' -f 1 >"$stamp"
log "all artifacts installed from $device"
