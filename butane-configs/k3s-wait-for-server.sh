#!/bin/sh
# Waits until the first k3s server answers on /ping, so that a joining node starts k3s only
# once there is a cluster to join (k3s would retry by itself, but with less visible logs).
# Installed by homelab at /opt/bin/k3s-wait-for-server, run by k3s-wait-for-server.service.
#
# Settings (environment; /etc/homelab/k3s-join.env sets the URL on joining nodes):
#   K3S_JOIN_PING_URL    https://<first server>:6443/ping; empty on the first server: no wait
#   WAIT_INITIAL_DELAY   seconds before the second try (default 2), doubled after each failure
#   WAIT_MAX_DELAY       upper bound of the delay between tries (default 30)
#   WAIT_MAX_ATTEMPTS    give up after this many tries; 0 (default) tries until it answers
#   WAIT_CURL_TIMEOUT    seconds one try may take (default 10)
# Every try is logged to the journal (journalctl -u k3s-wait-for-server).
set -u

url="${K3S_JOIN_PING_URL:-}"
delay="${WAIT_INITIAL_DELAY:-2}"
max_delay="${WAIT_MAX_DELAY:-30}"
max_attempts="${WAIT_MAX_ATTEMPTS:-0}"
curl_timeout="${WAIT_CURL_TIMEOUT:-10}"

if [ -z "$url" ]; then
  echo "k3s-wait-for-server: this node starts the cluster; nothing to wait for"
  exit 0
fi

attempt=1
while :; do
  # --insecure: the server's certificate is signed by the cluster CA, which this node only
  # gets by joining; /ping carries no secret, the token is only sent later by k3s itself.
  if answer=$(curl --silent --show-error --fail --insecure --max-time "$curl_timeout" "$url" 2>&1) &&
    [ "$answer" = "pong" ]; then
    echo "k3s-wait-for-server: attempt $attempt: $url answered; starting k3s"
    exit 0
  fi
  echo "k3s-wait-for-server: attempt $attempt: $url not ready (${answer:-no answer}); next try in ${delay}s"
  if [ "$max_attempts" -gt 0 ] && [ "$attempt" -ge "$max_attempts" ]; then
    echo "k3s-wait-for-server: giving up after $attempt attempts" >&2
    exit 1
  fi
  sleep "$delay"
  attempt=$((attempt + 1))
  delay=$((delay * 2))
  if [ "$delay" -gt "$max_delay" ]; then
    delay="$max_delay"
  fi
done
