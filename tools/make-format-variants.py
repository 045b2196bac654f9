#!/usr/bin/env python3
"""make-format-variants.py — derives, from the real masscan 1.3.2 -oJ files of lab-a, the spellings
other masscan versions and other scanners write (test/fixtures/made/README.md lists each file).

Nothing is invented: every record (ip, port, proto, status, timestamp, banner) is one of the real
file's records, re-written in the byte layout of the named source:
  masscan/ *-oD.ndjson          masscan src/out-ndjson.c (1.3.2): one {"ip":…,"rec_type":…} per line
  masscan/ *-trailing-comma.json masscan 1.0.4–1.0.6 out-json.c: '[', each record ending '},', ']'
  masscan/ *-finished.json      masscan 1.0.3 out-json.c: no '[', records ending '},', '{finished: 1}'
  masscan/ *-bare-keys.json     masscan 1.0.0 out-json.c: the same with unquoted keys (ip: "…")
  masscan/ *-killed.json        the real file cut after its last complete record (no ']')
  naabu/   night*.json          naabu v2 runner/output.go: {"ip","timestamp","port","protocol","tls"}
Usage: tools/make-format-variants.py   (re-runnable; overwrites these files)
"""
import json, os, datetime
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LAB = os.path.join(ROOT, 'test/fixtures/scans/lab-a')
MADE = os.path.join(ROOT, 'test/fixtures/made')

def records(night):
    return json.load(open(os.path.join(LAB, f'night{night}/scan-in/masscan.json')))

def js(s):  # masscan's own escaping already made the strings ASCII; keep them so
    return json.dumps(s)

def old_line(r, bare):
    p = r['ports'][0]
    k = (lambda n: n) if bare else (lambda n: f'"{n}"')
    if 'service' in p:
        body = f'{{{k("port")}: {p["port"]}, {k("proto")}: {js(p["proto"])}, {k("service")}: {{{k("name")}: {js(p["service"]["name"])}, {k("banner")}: {js(p["service"]["banner"])}}} }}'
    else:
        body = f'{{{k("port")}: {p["port"]}, {k("proto")}: {js(p["proto"])}, {k("status")}: {js(p["status"])}, {k("reason")}: {js(p["reason"])}, {k("ttl")}: {p["ttl"]}}}'
    return f'{{   {k("ip")}: {js(r["ip"])},   {k("timestamp")}: {js(r["timestamp"])}, {k("ports")}: [ {body} ] }},\n'

def ndjson_line(r):
    p = r['ports'][0]
    if 'service' in p:
        data = f'{{"service_name":{js(p["service"]["name"])},"banner":{js(p["service"]["banner"])}}}'
        kind = 'banner'
    else:
        data = f'{{"status":{js(p["status"])},"reason":{js(p["reason"])},"ttl":{p["ttl"]}}}'
        kind = 'status'
    return f'{{"ip":{js(r["ip"])},"timestamp":{js(r["timestamp"])},"port":{p["port"]},"proto":{js(p["proto"])},"rec_type":"{kind}","data":{data}}}\n'

def write(path, text):
    with open(os.path.join(MADE, path), 'w') as f:
        f.write(text)

for night in (2, 4, 6):
    recs = records(night)
    write(f'masscan/night{night}-oD.ndjson', ''.join(ndjson_line(r) for r in recs))
    naabu = []
    for r in recs:
        p = r['ports'][0]
        if 'service' in p:
            continue  # naabu reports ports, not banners
        ts = datetime.datetime.fromtimestamp(int(r['timestamp']), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')  # Go's RFC3339Nano drops a zero fraction
        naabu.append(json.dumps({'ip': r['ip'], 'timestamp': ts, 'port': p['port'], 'protocol': p['proto'], 'tls': False}, separators=(',', ':')) + '\n')
    write(f'naabu/night{night}.json', ''.join(naabu))

recs = records(6)
write('masscan/night6-trailing-comma.json', '[\n' + ''.join(old_line(r, False) for r in recs) + ']\n')
write('masscan/night6-finished.json', ''.join(old_line(r, False) for r in recs) + '{finished: 1}\n')
write('masscan/night6-bare-keys.json', ''.join(old_line(r, True) for r in recs) + '{finished: 1}\n')
real = open(os.path.join(LAB, 'night6/scan-in/masscan.json')).read()
write('masscan/night6-killed.json', real[:real.rindex('}') + 1] + '\n')

# masscan --ping / ARP records (masscan-ping/): night 2's three real scan-in runs (-oL, -oJ, -oX) and
# the -oD spelling of its -oJ records, each with an ICMP echo record for every host nmap found up
# that night and an ARP record for the router and the scanner, written where masscan writes them
# (before the end marker) in the layout of its source: src/output.c name_from_ip_proto (0 = "arp",
# 1 = "icmp") and status_string (ARP = "up"); src/proto-icmp.c (echo reply: PortStatus_Open, port 0,
# the reply's TTL); src/proto-arp.c (PortStatus_Arp, port 0, ttl 0); out-text.c, out-json.c,
# out-ndjson.c, out-xml.c for the record layouts (reason_string(0) = "none").
import re
night2 = os.path.join(LAB, 'night2/scan-in')
up = sorted(set(re.findall(r'<address addr="([\d.]+)" addrtype="ipv4"/>',
            ''.join(h for h in re.findall(r'<host .*?</host>', open(os.path.join(night2, 'nmap-tcp.xml')).read(), re.S) if 'state="up"' in h))),
            key=lambda ip: tuple(int(x) for x in ip.split('.')))
ARP = ['10.66.1.1', '10.66.1.5']
ping = [('icmp', 'open', ip, 64) for ip in up] + [('arp', 'up', ip, 0) for ip in ARP]
os.makedirs(os.path.join(MADE, 'masscan-ping'), exist_ok=True)

lst = open(os.path.join(night2, 'masscan.list')).read()
ts = lst.strip().split('\n')[-2].split()[4]  # the last record's time
body = ''.join(f'{status} {proto} 0 {ip} {ts}\n' for proto, status, ip, _ in ping)
write('masscan-ping/night2-ping.list', lst[:lst.rindex('# end\n')] + body + '# end\n')

jsn = open(os.path.join(night2, 'masscan.json')).read()
ts = records(2)[-1]['timestamp']
body = ''.join(f',\n{{   "ip": "{ip}",   "timestamp": "{ts}", "ports": [ {{"port": 0, "proto": "{proto}", "status": "{status}", "reason": "none", "ttl": {ttl}}} ] }}\n'
               for proto, status, ip, ttl in ping)
write('masscan-ping/night2-ping.json', jsn[:jsn.rindex(']\n')] + body + ']\n')

body = ''.join(f'{{"ip":"{ip}","timestamp":"{ts}","port":0,"proto":"{proto}","rec_type":"status","data":{{"status":"{status}","reason":"none","ttl":{ttl}}}}}\n'
               for proto, status, ip, ttl in ping)
write('masscan-ping/night2-ping-oD.ndjson', ''.join(ndjson_line(r) for r in records(2)) + body)

xml = open(os.path.join(night2, 'masscan.xml'), newline='').read()
ts = re.findall(r'<host endtime="(\d+)">', xml)[-1]
body = ''.join(f'<host endtime="{ts}"><address addr="{ip}" addrtype="ipv4"/><ports><port protocol="{proto}" portid="0">'
               f'<state state="{status}" reason="none" reason_ttl="{ttl}"/></port></ports></host>\r\n' for proto, status, ip, ttl in ping)
with open(os.path.join(MADE, 'masscan-ping/night2-ping.xml'), 'w', newline='') as f:
    f.write(xml[:xml.index('<runstats>')] + body + xml[xml.index('<runstats>'):])
