#!/usr/bin/env bash
# make-zmap-fixtures.sh — real zmap output against loopback, for the zmap-csv agent's tests
# (test/input-agents/new-agents.test.ts, test/cli/convert.test.ts). Writes test/fixtures/made/zmap/.
#
# zmap sends raw frames, and on loopback the kernel drops them unless told otherwise; so everything
# runs inside a private network namespace (unshare -n: its own lo, nothing else) where
# route_localnet and accept_local are switched on. zmap's receive filter drops frames from its own
# source MAC, and lo's MAC is all zeros both ways, so zmap is given a made-up source MAC. The
# namespace has no other interface: nothing can leave it, and only 127.0.40.0/29 is allowed (-w).
#
# Three "nights", one second apart, TCP port 8080 on 127.0.40.0/29:
#   night1.csv  listeners on .1 .2 .3     fields saddr,sport,classification,success,repeat,timestamp-str
#   night2.csv  listeners on .1 .3 .4     (the same fields: .2 gone, .4 new)
#   saddr-only.csv  night-2 listeners, zmap's default output (-f saddr: the address alone)
#
# Usage: sudo tools/make-zmap-fixtures.sh   (needs root for unshare and raw sockets; zmap 2.1.1)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/made/zmap"
mkdir -p "$OUT"
[ "${1:-}" = inner ] || exec unshare -n "$0" inner
cd "$OUT"
ip link set lo up
sysctl -q -w net.ipv4.conf.lo.route_localnet=1 net.ipv4.conf.all.route_localnet=1 net.ipv4.conf.lo.accept_local=1 net.ipv4.conf.all.accept_local=1
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"; kill $(jobs -p) 2>/dev/null || true' EXIT
: > "$TMP/blacklist"
echo 127.0.40.0/29 > "$TMP/allow"

listen() { # addresses…
  python3 -c '
import socket, sys, time
ss = []
for h in sys.argv[1:]:
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((h, 8080)); s.listen(16); ss.append(s)
print("up", flush=True); time.sleep(30)' "$@" &
  sleep 1
}
scan() { # output file, fields
  zmap -q -i lo -G 00:00:00:00:00:00 --source-mac=02:00:00:00:00:01 -S 127.0.0.1 -p 8080 \
    -b "$TMP/blacklist" -w "$TMP/allow" -B 1M -c 2 -o "$1" -f "$2" >/dev/null 2>&1
  sleep 1
}
FIELDS=saddr,sport,classification,success,repeat,timestamp-str
listen 127.0.40.1 127.0.40.2 127.0.40.3; scan night1.csv "$FIELDS"; kill %1; wait %1 2>/dev/null || true
listen 127.0.40.1 127.0.40.3 127.0.40.4; scan night2.csv "$FIELDS"; scan saddr-only.csv saddr
ls -l "$OUT"
