#!/usr/bin/env node
// Writes test/fixtures/hostile/: two nights of a real nmap XML scan (test/fixtures/made/c-subnet20.xml,
// made on loopback) whose PTR names were replaced by hostile ones, written as XML character
// references, and the same two nights as hand-written uniform CSV with the raw characters (and a NUL,
// which XML cannot carry). `-n` is taken out of the recorded command line, so the names count.
// Run: node tools/make-hostile-fixtures.js (overwrites the files).
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const OUT = path.join(ROOT, 'test/fixtures/hostile');
const SOURCE = path.join(ROOT, 'test/fixtures/made/c-subnet20.xml');

// Eight hosts a night: night 2 renames each host, so every name is also a previous_hostname.
const NAMES = [
  ['evil\x1b[31mred\x1b[0m.example', 'line1\r\nline2.example', 'bell\x07\x07.example', 'a\u202egnp.exe.example',
    '<!channel> wake up', '<https://evil.example|click here>', '$(touch pwned)', '"quoted","comma",x'],
  ['  edge blanks\t', '\u2066isolate\u2069.example', 'del\x7f c1\x85.example', 'cr-only\rfake.example',
    '&amp; <b>bold</b>', '@channel @here', '\n#complete=false', 'back\\slash \u2028sep'],
];

const xmlText = (s) =>
  // eslint-disable-next-line no-control-regex
  s.replace(/[&<>"]|[\u0000-\u001f\u007f-\u009f\u2028\u2066-\u2069\u202a-\u202e]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`);

const DAY = 86400;
function nmapNight(night) {
  let xml = fs.readFileSync(SOURCE, 'utf8').replace(/nmap -n -T4/g, 'nmap -T4');
  xml = xml.replace(/(start|time|starttime|endtime)="(\d+)"/g, (_m, k, t) => `${k}="${Number(t) + night * DAY}"`);
  let i = 0;
  xml = xml.replace(/<hostnames>\n<\/hostnames>/g, () => `<hostnames>\n<hostname name="${xmlText(NAMES[night][i++])}" type="PTR"/>\n</hostnames>`);
  if (i !== 8) throw new Error(`expected 8 hosts, found ${i}`);
  return xml;
}

const csvField = (v) => (/[",\r\n]|^\s|\s$/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
function csvNight(night) {
  const started = new Date((1795253755 + night * DAY) * 1000).toISOString().replace('.000Z', 'Z');
  const names = [...NAMES[night]];
  names[7] = `nul\0byte ${names[7]}`;
  const rows = names.map((n, i) => `127.0.20.${i},tcp,8080,open,${csvField(n)},${started}`);
  return ['#portdelta-csv v1', `#started=${started}`, '#complete=true', '#scope=127.0.20.0/29', '#ports=tcp:8080', '#dns=true',
    'ip,proto,port,state,hostname,seen_at', ...rows, ''].join('\n');
}

fs.mkdirSync(OUT, { recursive: true });
for (const night of [0, 1]) {
  fs.writeFileSync(path.join(OUT, `night${night + 1}.xml`), nmapNight(night));
  fs.writeFileSync(path.join(OUT, `night${night + 1}.csv`), csvNight(night));
}
