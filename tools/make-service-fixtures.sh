#!/usr/bin/env bash
# make-service-fixtures.sh — real nmap -sV and ssl-cert output against loopback services whose
# version and certificate change between nights, for service_changed and cert_changed
# (test/delta-reporter/service-cert.test.ts). See test/fixtures/made/service/README.md.
#
# Per night it starts, on 127.0.0.1 and on ::1:
#   42022  an SSH banner (tools/service-listeners.py)      42080  an HTTP server (Server: header)
#   42443  openssl s_server -www with a self-signed cert   8008   an HTTP server, or a listener
#                                                                 sending junk (nmap -sV then only guesses: method="table")
# and scans them with nmap into test/fixtures/made/service/nN-v4.xml and nN-v6.xml:
#   n1  -sV --script ssl-cert  OpenSSH 8.9p1, Apache 2.4.57, certificate A (2 days), nginx 1.24.0
#   n2  -sV --script ssl-cert  OpenSSH 9.6p1, Apache 2.4.58, certificate B (10 years), nginx 1.24.0
#   n3  -sT (no version scan, no script): the same services as n2
#   n4  -sV --script ssl-cert  as n2, but 8008 sends junk (a table guess)
#   n5  -sV --script ssl-cert  as n2, but 8008 is nginx 1.25.3
# Both s_servers run as `s_server -accept ADDR:42443 -cert cert.pem -key key.pem` from their own
# directory, so nmap's fingerprint of the TLS port (its command line) is the same both nights and
# only the certificate differs. Only loopback is scanned (-n: no DNS), one second between runs.
#
# Usage: tools/make-service-fixtures.sh   (needs nmap, openssl, python3; overwrites its files)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/made/service"
WORK=$(mktemp -d)
PIDS=()
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; PIDS=(); sleep 0.5; }
trap 'stop; rm -rf "$WORK"' EXIT
mkdir -p "$OUT" "$WORK/a" "$WORK/b"
export TZ=UTC

cert() { # dir, days, name
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1/key.pem" -out "$1/cert.pem" -days "$2" \
    -subj "/CN=$3/O=Portdelta Test" 2>/dev/null
}
cert "$WORK/a" 2 old.portdelta.test
cert "$WORK/b" 3650 new.portdelta.test

wait_port() { # host port
  for _ in $(seq 50); do
    if python3 -c "import socket,sys; socket.create_connection(('$1', $2), 1).close()" 2>/dev/null; then return; fi
    sleep 0.1
  done
  echo "nothing listens on $1:$2" >&2; exit 1
}

start() { # ssh-version apache-version certdir port8008-spec
  local specs=() h
  for h in 127.0.0.1 ::1; do
    specs+=("ssh|$h|42022|$1" "http|$h|42080|$2" "${4//HOST/$h}")
  done
  python3 "$ROOT/tools/service-listeners.py" "${specs[@]}" >/dev/null &
  PIDS+=($!)
  for h in 127.0.0.1 '[::1]'; do
    (cd "$3" && exec openssl s_server -accept "$h:42443" -cert cert.pem -key key.pem -www -quiet >/dev/null 2>&1) &
    PIDS+=($!)
  done
  for h in 127.0.0.1 ::1; do for p in 42022 42080 42443 8008; do wait_port "$h" "$p"; done; done
}

scan() { # night, nmap args...
  local night=$1; shift
  nmap -n "$@" -p 8008,42022,42080,42443 -oX "$OUT/$night-v4.xml" 127.0.0.1 >/dev/null
  sleep 1
  nmap -n -6 "$@" -p 8008,42022,42080,42443 -oX "$OUT/$night-v6.xml" ::1 >/dev/null
  sleep 1
}

SV=(-sV --script ssl-cert)
start 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.6' 'Apache/2.4.57 (Debian)' "$WORK/a" 'http|HOST|8008|nginx/1.24.0'
scan n1 "${SV[@]}"; stop
start 'OpenSSH_9.6p1 Ubuntu-3ubuntu13.5' 'Apache/2.4.58 (Debian)' "$WORK/b" 'http|HOST|8008|nginx/1.24.0'
scan n2 "${SV[@]}"
scan n3 -sT; stop
start 'OpenSSH_9.6p1 Ubuntu-3ubuntu13.5' 'Apache/2.4.58 (Debian)' "$WORK/b" 'junk|HOST|8008|'
scan n4 "${SV[@]}"; stop
start 'OpenSSH_9.6p1 Ubuntu-3ubuntu13.5' 'Apache/2.4.58 (Debian)' "$WORK/b" 'http|HOST|8008|nginx/1.25.3'
scan n5 "${SV[@]}"; stop
echo "made: $(ls "$OUT"/*.xml | wc -l) files in $OUT"
