#!/bin/sh
# Hands Flux over to itself on the machine that bootstrapped the cluster. k3s's deploy controller
# re-applies every file of its manifests directory at every start of k3s, forcing the fields
# they set back (k3s pkg/deploy/controller.go, `force := true`): left alone, the bootstrap's
# Flux install would downgrade a Flux upgraded from Git at every restart of this server. Once
# Flux's controllers are Available and the objects of every bootstrap file exist, this script
# creates `<file>.skip` next to each: k3s then ignores the file, and creating the marker after
# the objects exist leaves them as they are (docs.k3s.io/installation/packaged-components).
# From then on Flux and Git own all of it.
#
# Installed by homelab at /opt/bin/homelab-flux-handover on the bootstrapping server only, run
# by homelab-flux-handover.service on every boot until the install's marker exists. Bounded: it
# gives up after FLUX_WAIT_TIMEOUT (the next boot tries again) and logs every attempt.
#
# Settings (environment):
#   K3S                  the k3s binary (default: k3s on PATH; the unit sets /opt/bin/k3s)
#   MANIFESTS_DIR        k3s's auto-deploy directory (default /var/lib/rancher/k3s/server/manifests)
#   FLUX_WAIT_TIMEOUT    seconds to keep trying (default 1800)
#   FLUX_WAIT_INTERVAL   seconds between attempts (default 15)
set -u

k3s="${K3S:-k3s}"
dir="${MANIFESTS_DIR:-/var/lib/rancher/k3s/server/manifests}"
timeout="${FLUX_WAIT_TIMEOUT:-1800}"
interval="${FLUX_WAIT_INTERVAL:-15}"
install="homelab-flux-install.yaml"
deploy_key="homelab-flux-deploy-key.yaml"
sync="homelab-flux-sync.yaml"

log() { echo "homelab-flux-handover: $*"; }

if [ ! -f "$dir/$install" ]; then
  log "no $dir/$install: this machine did not bootstrap Flux; nothing to hand over"
  exit 0
fi

# The objects each bootstrap file creates; a file is skipped only once k3s has applied it.
objects="gitrepository.source.toolkit.fluxcd.io/flux-system kustomization.kustomize.toolkit.fluxcd.io/flux-system"
if [ -f "$dir/$deploy_key" ]; then objects="$objects secret/flux-system"; fi

started=$(date +%s)
attempt=1
while :; do
  # Every controller of the install (source, kustomize, helm, notification) Available, and the
  # sync (and deploy key) applied by k3s.
  if "$k3s" kubectl -n flux-system wait --for=condition=Available deployment --all --timeout=60s >/dev/null 2>&1 &&
    "$k3s" kubectl -n flux-system get $objects >/dev/null 2>&1; then
    break
  fi
  elapsed=$(($(date +%s) - started))
  if [ "$elapsed" -ge "$timeout" ]; then
    log "attempt $attempt: Flux is not Available after ${elapsed}s; k3s keeps applying the bootstrap, the next boot tries again" >&2
    log "see: $k3s kubectl -n flux-system get deployments,gitrepositories,kustomizations" >&2
    exit 1
  fi
  log "attempt $attempt: Flux is not Available yet (${elapsed}s); next try in ${interval}s"
  attempt=$((attempt + 1))
  sleep "$interval"
done

# The install's marker last: it is the unit's condition, so a run cut short is repeated whole.
for file in "$sync" "$deploy_key" "$install"; do
  if [ -f "$dir/$file" ]; then
    : >"$dir/$file.skip" || {
      log "cannot create $dir/$file.skip" >&2
      exit 1
    }
    log "created $dir/$file.skip: k3s no longer applies $file"
  fi
done
log "Flux is Available and owns itself: upgrade it from Git (docs/04-gitops.md)"
