#!/usr/bin/env bash
# make-noise-fixtures.sh — real nmap output of a host answering on hundreds of ports, for the
# max_open_ports noise guard (test/delta-reporter/noise-guards.test.ts). Writes
# test/fixtures/made/f-many-ports-{1,2}.{xml,gnmap}.
#
#   f-many-ports-1  listeners 127.0.30.1:30000-30002 and 127.0.30.2:30000-30001
#   f-many-ports-2  listeners 127.0.30.1:30000-30299 (300 ports) and 127.0.30.2:30000-30001
# each scanned with: nmap -n -T4 -sT -p 30000-30399 127.0.30.1-2 (one second apart).
# Only 127.0.30.1 and 127.0.30.2 are scanned; ports other software listens on at a wildcard address
# are excluded (--exclude-ports), as in make-loopback-fixtures.sh. No root needed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/made"
export TZ=UTC
cd "$OUT"
wild=$(ss -H -ltn | awk '{print $4}' | grep -E '^(0\.0\.0\.0|\*|\[::\]):[0-9]+$' | sed 's/.*://' | sort -un | paste -sd, - || true)
EXCL=()
[ -n "$wild" ] && EXCL=(--exclude-ports "$wild")

night() { # name, ports open on 127.0.30.1 (count)
  python3 - "$2" <<'PY' &
import selectors, socket, sys, time
sel = selectors.DefaultSelector()
specs = [('127.0.30.1', 30000 + i) for i in range(int(sys.argv[1]))] + [('127.0.30.2', 30000), ('127.0.30.2', 30001)]
for host, port in specs:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((host, port)); s.listen(8)
    sel.register(s, selectors.EVENT_READ)
end = time.time() + 60
while time.time() < end:
    for key, _ in sel.select(1):
        try: key.fileobj.accept()[0].close()
        except OSError: pass
PY
  local pid=$!
  sleep 2
  nmap -n -T4 "${EXCL[@]}" -sT -p 30000-30399 -oX "$1.xml" -oG "$1.gnmap" 127.0.30.1-2 >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  sleep 1
}
night f-many-ports-1 3
night f-many-ports-2 300
grep -c 'state="open"' f-many-ports-1.xml f-many-ports-2.xml
