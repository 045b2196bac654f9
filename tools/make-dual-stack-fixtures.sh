#!/usr/bin/env bash
# make-dual-stack-fixtures.sh — real nmap scans of one "host" under an IPv4 and an IPv6 loopback
# address whose listeners disagree, for `disagreements --family` (test/cli/disagreements-family.test.ts).
#
# What it does:
#   1. starts tools/ptr-dns.py on 127.0.0.1:53 (UDP), which answers PTR queries for 127.0.0.2 and ::1
#      with dual.portdelta.test (NXDOMAIN for anything else): nmap's reverse lookups then give both
#      addresses the same PTR name, as a dual-stack host has ("localhost" would be a user name, not PTR);
#   2. opens TCP listeners with socat: 47001 on both 127.0.0.2 and ::1, 47002 on 127.0.0.2 only
#      (IPv4 open, IPv6 closed), 47003 on ::1 only (IPv6 open, IPv4 closed);
#   3. runs, one second apart (increasing start times), each -sT -p 47000-47010 -oX into
#      test/fixtures/made/dual-stack/:
#        ptr-v4.xml   nmap     --dns-servers 127.0.0.1 127.0.0.2
#        ptr-v6.xml   nmap -6  --dns-servers 127.0.0.1 ::1
#        n-v4.xml     nmap -n  127.0.0.2     (no names: only an explicit dual_stack mapping links them)
#        n-v6.xml     nmap -6 -n ::1
#   4. stops what it started (by process id).
#
# Only 127.0.0.2 and ::1 are scanned, only 127.0.0.1:53 is asked for names; the port range holds no
# other software's listener here. TZ=UTC. Needs nmap, socat, python3 and root (port 53).
# Usage: tools/make-dual-stack-fixtures.sh     (re-runnable: it overwrites the files it made)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/test/fixtures/made/dual-stack"
mkdir -p "$OUT"
export TZ=UTC
PIDS=()
stop() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap stop EXIT

python3 "$ROOT/tools/ptr-dns.py" dual.portdelta.test 127.0.0.2 ::1 & PIDS+=($!)
socat TCP4-LISTEN:47001,bind=127.0.0.2,fork,reuseaddr /dev/null & PIDS+=($!)
socat TCP6-LISTEN:47001,bind=[::1],fork,reuseaddr,ipv6only=1 /dev/null & PIDS+=($!)
socat TCP4-LISTEN:47002,bind=127.0.0.2,fork,reuseaddr /dev/null & PIDS+=($!)
socat TCP6-LISTEN:47003,bind=[::1],fork,reuseaddr,ipv6only=1 /dev/null & PIDS+=($!)
sleep 1
cd "$OUT"

scan() { nmap -sT -p 47000-47010 "$@" >/dev/null; sleep 1; }
scan --dns-servers 127.0.0.1 -oX ptr-v4.xml 127.0.0.2
scan -6 --dns-servers 127.0.0.1 -oX ptr-v6.xml ::1
scan -n -oX n-v4.xml 127.0.0.2
scan -6 -n -oX n-v6.xml ::1
echo "wrote $OUT/{ptr-v4,ptr-v6,n-v4,n-v6}.xml"
