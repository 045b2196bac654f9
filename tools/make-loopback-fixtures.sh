#!/usr/bin/env bash
# make-loopback-fixtures.sh — real nmap output against loopback, for the scope and completeness
# tests (test/delta-reporter/scope-and-completeness.test.ts).
#
# What it does:
#   1. opens TCP listeners (one small python3 process) on
#        127.0.20.1:8080  127.0.20.1:40123 (not in nmap's top 100)
#        127.0.20.2:8000  127.0.20.3:8443  127.0.21.2:8080
#   2. runs nmap, in this order, one second apart so the start times increase, each with -oA
#      into test/fixtures/made/<name>.{xml,gnmap,nmap}:
#        a-full-ports     nmap -sT -p- 127.0.20.0/29             (full port range)
#        b-top100         nmap -sT --top-ports 100 127.0.20.0/29 (the next night, narrower port scope)
#        c-subnet20       nmap -sT -p 1-50000 127.0.20.0/29
#        d-subnet21       nmap -sT -p 1-50000 127.0.21.0/29      (another subnet)
#   3. writes e-truncated.{xml,gnmap}, a truncated copy of a-full-ports: the XML cut right after
#      the first complete </host> (the bytes before are nmap's own), the .gnmap cut after the
#      lines of its first host, so it lacks the other hosts and the '# Nmap done' line.
#
# Only 127.0.20.0/29 and 127.0.21.0/29 are ever scanned. Every nmap run also gets -n (no DNS:
# deterministic, no resolver traffic), -T4, and --exclude-ports for the ports other software
# listens on at a wildcard address (0.0.0.0, ::, *): those would answer on 127.0.20.x too, and
# are not ours to touch. The recorded command lines therefore may carry --exclude-ports.
# TZ=UTC, so the -oG headers (local time without a zone) are UTC.
#
# Usage: tools/make-loopback-fixtures.sh      (re-runnable: it overwrites the files it made;
#        needs nmap, python3 and ss; no root needed, -sT is a connect scan)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/made"
mkdir -p "$OUT"
export TZ=UTC
cd "$OUT"

LISTEN="127.0.20.1:8080 127.0.20.1:40123 127.0.20.2:8000 127.0.20.3:8443 127.0.21.2:8080"

# Ports other programs listen on at a wildcard address: excluded from every scan.
wild=$(ss -H -ltn | awk '{print $4}' | grep -E '^(0\.0\.0\.0|\*|\[::\]):[0-9]+$' | sed 's/.*://' | sort -un | paste -sd, - || true)
EXCL=()
[ -n "$wild" ] && EXCL=(--exclude-ports "$wild")

python3 - $LISTEN <<'PY' &
import selectors, socket, sys
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    host, port = spec.rsplit(':', 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, int(port)))
    s.listen(64)
    sel.register(s, selectors.EVENT_READ)
print('listening', flush=True)
while True:
    for key, _ in sel.select():
        try:
            conn, _ = key.fileobj.accept()
            conn.close()
        except OSError:
            pass
PY
LPID=$!
trap 'kill "$LPID" 2>/dev/null || true' EXIT

# Wait until every listener answers.
for spec in $LISTEN; do
  for _ in $(seq 50); do
    if python3 -c "import socket,sys; socket.create_connection(('${spec%:*}', ${spec##*:}), 1).close()" 2>/dev/null; then break; fi
    sleep 0.1
  done
done

run() { # name, nmap args...
  local name=$1; shift
  nmap -n -T4 "${EXCL[@]}" "$@" -oA "$name" >/dev/null
  sleep 1
}

run a-full-ports -sT -p- 127.0.20.0/29
run b-top100 -sT --top-ports 100 127.0.20.0/29
run c-subnet20 -sT -p 1-50000 127.0.20.0/29
run d-subnet21 -sT -p 1-50000 127.0.21.0/29

# e: a-full-ports cut short. XML: everything up to and including the first '</host>'.
python3 - a-full-ports.xml e-truncated.xml <<'PY'
import sys
data = open(sys.argv[1], 'rb').read()
end = data.index(b'</host>\n') + len(b'</host>\n')
open(sys.argv[2], 'wb').write(data[:end])
PY
# -oG: the header lines, then the lines of the first host only (no '# Nmap done').
awk '/^Host: / { ip = $2; if (first == "") first = ip; if (ip != first) exit } /^# Nmap done/ { exit } { print }' \
  a-full-ports.gnmap > e-truncated.gnmap

ls -l "$OUT"
