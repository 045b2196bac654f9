#!/usr/bin/env bash
# Makes test/fixtures/made/masscan-cert/: real masscan --banners output (-oJ) of a TLS
# server over two nights, with a different certificate each night, so that the masscan readers'
# X509 banners are tested on what masscan writes. masscan cannot scan the loopback interface, so
# the server runs in a network namespace this script creates and removes (10.213.0.0/29 exists
# only inside it: no traffic leaves the machine). Needs root, masscan, openssl, ethtool, iproute2.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/test/fixtures/made/masscan-cert"
work=$(mktemp -d)
ns=pdcert
cleanup() { pkill -f "s_server -www -accept 443" 2>/dev/null || true; ip netns del "$ns" 2>/dev/null || true; ip link del pdcert0 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$out"
ip netns add "$ns"
ip link add pdcert0 type veth peer name pdcert1
ip link set pdcert1 netns "$ns"
ip addr add 10.213.0.1/29 dev pdcert0 && ip link set pdcert0 up
ip netns exec "$ns" ip addr add 10.213.0.2/29 dev pdcert1
ip netns exec "$ns" ip link set pdcert1 up
# masscan writes its own checksums; with offload on, the veth pair drops its data segments
ethtool -K pdcert0 tx off rx off >/dev/null
ip netns exec "$ns" ethtool -K pdcert1 tx off rx off >/dev/null
mac=$(ip netns exec "$ns" cat /sys/class/net/pdcert1/address)
for night in 1 2; do
  openssl req -x509 -newkey rsa:2048 -nodes -days $((30 * night)) -keyout "$work/key$night.pem" -out "$out/night$night-cert.pem" \
    -subj "/CN=tls$night.lab-a.test/O=portdelta night $night" 2>/dev/null
  # masscan's hello is TLS 1.0-1.2: the server accepts those for the test
  ip netns exec "$ns" openssl s_server -www -accept 443 -cert "$out/night$night-cert.pem" -key "$work/key$night.pem" \
    -cipher 'ALL:@SECLEVEL=0' -min_protocol TLSv1 -no_tls1_3 >/dev/null 2>&1 &
  sleep 1
  masscan 10.213.0.2 -p443 --banners --interface pdcert0 --router-mac "$mac" --source-ip 10.213.0.5 --wait 6 \
    -oJ "$out/night$night.json" >/dev/null 2>&1
  pkill -f "s_server -www -accept 443" || true
  sleep 1
done
grep -c X509 "$out"/night*.json
