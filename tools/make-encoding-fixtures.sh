#!/bin/sh
# Makes test/fixtures/encodings/ from real scanner output in test/fixtures: the same bytes with a
# UTF-8 byte order mark, in UTF-16/UTF-32, in ISO-8859-1 with a non-ASCII host name, and gzipped.
# Run from the repository root after `npm run build`; it overwrites the files. Needs iconv, gzip, sed.
set -eu
S=test/fixtures/scans/lab-a
M=test/fixtures/made
O=test/fixtures/encodings
mkdir -p "$O/bom" "$O/gzip"

# A UTF-8 BOM (EF BB BF) before the first byte of one real file of each format.
bom() { { printf '\357\273\277'; cat "$1"; } > "$O/bom/$2"; }
bom "$S/night1/scan-in/nmap-tcp.xml" nmap-tcp.xml
bom "$S/night1/scan-in/nmap-tcp.gnmap" nmap-tcp.gnmap
bom "$S/night2/scan-in/masscan.xml" masscan.xml
bom "$S/night2/scan-in/masscan.json" masscan.json
bom "$S/night2/scan-in/masscan.list" masscan.list
bom "$M/masscan/night2-oD.ndjson" masscan-oD.ndjson
bom "$M/zmap/night1.csv" zmap.csv
bom "$M/naabu/night2.json" naabu.json
# The uniform CSV, as `portdelta convert` writes it for night 1 (needs `npm run build` first).
node dist/bin/portdelta.js convert --scanner scan-in "$S/night1/scan-in/nmap-tcp.xml" > "$O/bom/.uniform.csv"
bom "$O/bom/.uniform.csv" uniform.csv
rm "$O/bom/.uniform.csv"

# UTF-16 and UTF-32, with a byte order mark (iconv's UTF-16/UTF-32) and without (LE/BE).
for e in UTF-16 UTF-16LE UTF-16BE UTF-32 UTF-32LE UTF-32BE; do
  iconv -f UTF-8 -t "$e" "$S/night1/scan-in/nmap-tcp.xml" > "$O/nmap-tcp.$e.xml"
done
iconv -f UTF-8 -t UTF-16 "$S/night1/scan-in/nmap-tcp.gnmap" > "$O/nmap-tcp.UTF-16.gnmap"

# One host name made non-ASCII (web01 -> café), then written in ISO-8859-1 / windows-1252, with
# and without the XML declaration saying so.
cafe() { sed -e "s/encoding=\"UTF-8\"/encoding=\"$1\"/" -e 's/web01\.lab-a\.test/café.lab-a.test/' "$S/night1/scan-in/nmap-tcp.xml"; }
cafe ISO-8859-1 | iconv -f UTF-8 -t ISO-8859-1 > "$O/cafe.iso-8859-1.xml"
cafe windows-1252 | iconv -f UTF-8 -t WINDOWS-1252 > "$O/cafe.windows-1252.xml"
cafe UTF-8 | iconv -f UTF-8 -t ISO-8859-1 > "$O/cafe.latin1-declared-utf8.xml"
cafe UTF-8 > "$O/cafe.utf-8.xml"
cafe EUC-JP > "$O/cafe.euc-jp-declared.xml"

# gzip (-n: no name or time in the header, so the bytes are the same on every run).
for n in 1 2 3; do
  gzip -9 -n -c "$S/night$n/scan-in/nmap-tcp.xml" > "$O/gzip/night$n-nmap-tcp.xml.gz"
  gzip -9 -n -c "$S/night$n/scan-in/nmap-tcp.gnmap" > "$O/gzip/night$n-nmap-tcp.gnmap.gz"
done
gzip -9 -n -c "$S/night2/scan-in/masscan.json" > "$O/gzip/night2-masscan.json.gz"
# A gzip file cut short: the first half of night 2's.
f="$O/gzip/night2-nmap-tcp.xml.gz"
head -c $(( $(wc -c < "$f") / 2 )) "$f" > "$O/gzip/truncated-night2-nmap-tcp.xml.gz"
# Named without .gz: gzip is told by its magic bytes, not by the name.
cp "$O/gzip/night3-nmap-tcp.xml.gz" "$O/gzip/night3-nmap-tcp-no-suffix.xml"
