#!/usr/bin/env python3
"""A tiny DNS server on 127.0.0.1:53 for tools/make-dual-stack-fixtures.sh: it answers PTR queries
for the addresses given (IPv4 or IPv6) with one name, and NXDOMAIN for everything else, so that
nmap's reverse lookups give an IPv4 and an IPv6 loopback address the same PTR name. Loopback only."""
import ipaddress
import socket
import struct
import sys


def reverse_name(ip: str) -> str:
    return ipaddress.ip_address(ip).reverse_pointer.lower()


def encode_name(name: str) -> bytes:
    return b''.join(bytes([len(p)]) + p.encode() for p in name.rstrip('.').split('.')) + b'\0'


def question(packet: bytes):
    pos, labels = 12, []
    while packet[pos]:
        n = packet[pos]
        labels.append(packet[pos + 1:pos + 1 + n].decode('ascii', 'replace'))
        pos += n + 1
    qtype, _qclass = struct.unpack('!HH', packet[pos + 1:pos + 5])
    return '.'.join(labels).lower(), qtype, packet[12:pos + 5]


def answer(packet: bytes, names: dict) -> bytes:
    qid, _flags = struct.unpack('!HH', packet[:4])
    qname, qtype, qsection = question(packet)
    target = names.get(qname) if qtype == 12 else None
    if target is None:
        return struct.pack('!HHHHHH', qid, 0x8183, 1, 0, 0, 0) + qsection  # NXDOMAIN
    rdata = encode_name(target)
    rr = b'\xc0\x0c' + struct.pack('!HHIH', 12, 1, 60, len(rdata)) + rdata
    return struct.pack('!HHHHHH', qid, 0x8180, 1, 1, 0, 0) + qsection + rr


def main() -> None:
    name, ips = sys.argv[1], sys.argv[2:]
    names = {reverse_name(ip): name for ip in ips}
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(('127.0.0.1', 53))
    while True:
        packet, peer = sock.recvfrom(512)
        try:
            sock.sendto(answer(packet, names), peer)
        except (IndexError, struct.error):
            pass


if __name__ == '__main__':
    main()
