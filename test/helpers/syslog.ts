// A syslog receiver on 127.0.0.1 for tests: UDP (a message a datagram), TCP and TLS (octet-counting
// frames, RFC 6587 §3.4.1 / RFC 5425), and strict parsers for what it gets: RFC 5424 messages
// (every header field, STRUCTURED-DATA with its escapes, the BOM before MSG) and CEF bodies.
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface Syslog5424 {
  pri: number;
  facility: number;
  severity: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  sd: Record<string, Record<string, string>>;
  bom: boolean;
  msg: string;
}

const HEADER = /^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) /;
const ASCII_FIELD = /^[\x21-\x7e]+$/;

/** STRUCTURED-DATA at the start of `s`: its elements and the rest (after the space before MSG). */
function parseSd(s: string): { sd: Syslog5424['sd']; rest: string } {
  const sd: Syslog5424['sd'] = {};
  if (s.startsWith('- ') || s === '-') return { sd, rest: s.slice(2) };
  let i = 0;
  while (s[i] === '[') {
    const id = /^\[([^ =\]"]+)/.exec(s.slice(i))!;
    i += id[0].length;
    const params: Record<string, string> = {};
    while (s[i] === ' ') {
      const name = /^ ([^ =\]"]+)="/.exec(s.slice(i));
      if (!name) throw new Error(`bad SD-PARAM at ${i}: ${s.slice(i, i + 40)}`);
      i += name[0].length;
      let value = '';
      for (; s[i] !== '"'; i++) {
        if (i >= s.length) throw new Error('unterminated PARAM-VALUE');
        if (s[i] === '\\' && ['"', '\\', ']'].includes(s[i + 1])) i++;
        else if (s[i] === ']') throw new Error('unescaped ] in PARAM-VALUE');
        value += s[i];
      }
      params[name[1]] = value;
      i++;
    }
    if (s[i] !== ']') throw new Error(`SD-ELEMENT not closed at ${i}`);
    sd[id[1]] = params;
    i++;
  }
  if (s[i] !== ' ') throw new Error('no space between STRUCTURED-DATA and MSG');
  return { sd, rest: s.slice(i + 1) };
}

export function parse5424(raw: string): Syslog5424 {
  const m = HEADER.exec(raw);
  if (!m) throw new Error(`not an RFC 5424 header: ${raw.slice(0, 80)}`);
  for (const f of m.slice(3, 8)) if (!ASCII_FIELD.test(f)) throw new Error(`header field not PRINTUSASCII: ${f}`);
  const { sd, rest } = parseSd(raw.slice(m[0].length));
  const pri = Number(m[1]);
  const bom = rest.startsWith('\ufeff');
  return {
    pri, facility: pri >> 3, severity: pri & 7, version: Number(m[2]), timestamp: m[3], hostname: m[4], appName: m[5], procId: m[6], msgId: m[7], sd, bom, msg: bom ? rest.slice(1) : rest,
  };
}

export interface Cef {
  header: string[];
  ext: Record<string, string>;
}

/** A CEF:0 line: seven header fields (`\|` and `\\` unescaped) and the extension's key=value pairs. */
export function parseCef(line: string): Cef {
  const header: string[] = [];
  let cur = '';
  let i = 0;
  for (; header.length < 7; i++) {
    if (i >= line.length) throw new Error('CEF header ends early');
    if (line[i] === '\\' && ['|', '\\'].includes(line[i + 1])) cur += line[++i];
    else if (line[i] === '|') {
      header.push(cur);
      cur = '';
    }
    else cur += line[i];
  }
  const ext: Record<string, string> = {};
  // A value runs to the next unescaped ' key='.
  const pairs = line.slice(i).split(/ (?=[A-Za-z0-9]+=)/);
  for (const p of pairs.filter(Boolean)) {
    const eq = p.indexOf('=');
    const value = p.slice(eq + 1).replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', r: '\r' })[c as 'n' | 'r'] ?? c);
    if (/(^|[^\\])(\\\\)*=/.test(p.slice(eq + 1))) throw new Error(`unescaped = in the value of ${p.slice(0, eq)}`);
    ext[p.slice(0, eq)] = value;
  }
  return { header, ext };
}

/** Octet-counting frames out of a TCP/TLS stream. */
function framer(onMessage: (m: string) => void, onBad: (why: string) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      const sp = buf.indexOf(0x20);
      if (sp < 0) return;
      const len = buf.subarray(0, sp).toString('ascii');
      if (!/^[1-9]\d*$/.test(len)) return onBad(`bad frame length '${len}'`);
      if (buf.length < sp + 1 + Number(len)) return;
      onMessage(buf.subarray(sp + 1, sp + 1 + Number(len)).toString('utf8'));
      buf = buf.subarray(sp + 1 + Number(len));
    }
  };
}

export interface SyslogReceiver {
  port: number;
  /** Every message received, raw. */
  raw: string[];
  /** Framing problems seen (must stay empty). */
  problems: string[];
  /** Stops listening (a sender gets refused); `up()` listens on the same port again. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSyslog(transport: 'udp' | 'tcp' | 'tls', pki?: { cert: string; key: string }): Promise<SyslogReceiver> {
  const raw: string[] = [];
  const problems: string[] = [];
  let port = 0;
  let stop: () => Promise<void> = async () => undefined;
  const listen = async () => {
    if (transport === 'udp') {
      const sock = dgram.createSocket('udp4', (m) => raw.push(m.toString('utf8')));
      await new Promise<void>((resolve) => sock.bind(port, '127.0.0.1', resolve));
      port = (sock.address() as AddressInfo).port;
      stop = () => new Promise((resolve) => sock.close(() => resolve()));
      return;
    }
    const onConn = (s: net.Socket) => {
      s.on('data', framer((m) => raw.push(m), (why) => problems.push(why)));
      s.on('error', (e) => problems.push(e.message));
    };
    const srv = transport === 'tls' ? tls.createServer({ cert: fs.readFileSync(pki!.cert), key: fs.readFileSync(pki!.key) }, onConn) : net.createServer(onConn);
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
    port = (srv.address() as AddressInfo).port;
    stop = () => new Promise((resolve) => srv.close(() => resolve()));
  };
  await listen();
  const halt = async () => {
    const running = stop;
    stop = async () => undefined;
    await running();
  };
  return { get port() { return port; }, raw, problems, down: halt, up: listen, close: halt };
}
