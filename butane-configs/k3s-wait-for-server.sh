#!/bin/sh
# Waits until the cluster's registration address answers on /ping, so that a machine joining
# the cluster starts k3s only once there is a cluster to join. It runs only before the
# machine's very first start of k3s (its unit's ConditionPathExists), never on a reboot.
# Installed by homelab at /opt/bin/k3s-wait-for-server, run by k3s-wait-for-server.service.
#
# Settings (environment; /etc/homelab/k3s-join.env sets them):
#   K3S_JOIN_PING_URL    https://<registration address>:6443/ping; empty: this machine starts
#                        etcd itself (bootstrap or restore), nothing to wait for
#   WAIT_TIMEOUT         give up after this many seconds (default 1800); k3s then starts anyway
#                        and retries by itself
#   WAIT_INITIAL_DELAY   seconds before the second try (default 2), doubled after each failure
#   WAIT_MAX_DELAY       upper bound of the delay between tries (default 30)
#   WAIT_CURL_TIMEOUT    seconds one try may take (default 10)
# Every try is logged to the journal (journalctl -u k3s-wait-for-server).
set -u

url="${K3S_JOIN_PING_URL:-}"
timeout="${WAIT_TIMEOUT:-1800}"
delay="${WAIT_INITIAL_DELAY:-2}"
max_delay="${WAIT_MAX_DELAY:-30}"
curl_timeout="${WAIT_CURL_TIMEOUT:-10}"

if [ -z "$url" ]; then
  echo "k3s-wait-for-server: this machine starts etcd itself; nothing to wait for"
  exit 0
fi

started=$(date +%s)
attempt=1
while :; do
  # --insecure: the server's certificate is signed by the cluster CA, which this node only
  # gets by joining; /ping carries no secret, the token is only sent later by k3s itself.
  if answer=$(curl --silent --show-error --fail --insecure --max-time "$curl_timeout" "$url" 2>&1) &&
    [ "$answer" = "pong" ]; then
    echo "k3s-wait-for-server: attempt $attempt: $url answered; starting k3s"
    exit 0
  fi
  elapsed=$(($(date +%s) - started))
  if [ "$elapsed" -ge "$timeout" ]; then
    echo "k3s-wait-for-server: $url did not answer within ${timeout}s ($attempt attempts); starting k3s anyway, it retries by itself" >&2
    exit 1
  fi
  echo "k3s-wait-for-server: attempt $attempt: $url not ready (${answer:-no answer}); next try in ${delay}s"
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2))
  if [ "$delay" -gt "$max_delay" ]; then
    delay="$max_delay"
  fi
done
