// The syslog kind's harness for the output-agent conformance suite (test/output-agents/
// conformance.test.ts): a TCP receiver on 127.0.0.1 that parses every RFC 5424 message and its CEF
// body; fail() stops listening (the sender is refused), recover() listens on the same port again.
import type { ChangeRow } from '../../common/types';
import { safeText } from '../../common/safe-text';
import type { OutputAgentHarness } from './describe-output-agent';
import { parse5424, parseCef, startSyslog } from './syslog';

// Anything the message may not hold raw: C0 (line breaks too: CEF writes them as \n), DEL, C1, bidi controls.
// eslint-disable-next-line no-control-regex
const RAW = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A name as a CEF reader gets it back: exact, but control characters other than CR and LF as \xNN text. */
export const cefShown = (s: string | null) => (s === null ? undefined : s.replace(/[^\r\n]/gu, (c) => (RAW.test(c) ? safeText(c) : c)));

export const SD_ID = 'portdelta@32473';

export const syslogHarness: OutputAgentHarness = {
  async peer() {
    const rx = await startSyslog('tcp');
    const messages = () => rx.raw.map(parse5424);
    return {
      options: { host: '127.0.0.1', port: rx.port, transport: 'tcp', format: 'cef', hostname: 'pd-test', timeout: '5s' },
      fail: () => void rx.down(),
      recover: () => void rx.up(),
      delivered: () => messages().flatMap((m) => m.sd[SD_ID].changeIds.split(',').map(Number)),
      expectHostile(changes: ChangeRow[]) {
        expect(rx.problems).toEqual([]);
        for (const raw of rx.raw) expect(raw.replace(/\r|\n/g, '')).toBe(raw);
        for (const raw of rx.raw) expect([...raw].filter((c) => RAW.test(c))).toEqual([]);
        const byId = new Map(messages().map((m) => [Number(m.sd[SD_ID].changeIds), m]));
        for (const c of changes) {
          const m = byId.get(c.id)!;
          const { header, ext } = parseCef(m.msg);
          expect(header.slice(0, 5)).toEqual(['CEF:0', 'portdelta', 'portdelta', '0.1.0', m.msgId]);
          expect({ id: c.id, dhost: ext.dhost, cs4: ext.cs4 }).toEqual({ id: c.id, dhost: cefShown(c.hostname), cs4: cefShown(c.previous_hostname) });
          expect(ext.cn1).toBe(String(c.id));
          expect(ext.externalId).toBe(m.sd[SD_ID].eventId);
        }
      },
      close: () => rx.close(),
    };
  },
  remedy: /check that a syslog receiver listens on 127\.0\.0\.1:\d+ for TCP/,
  valid: { host: 'siem.example.org', port: 6514, transport: 'tls', format: 'ocsf', ca_file: 'ca.pem', facility: 'local3', enterprise_id: 99999 },
  invalid: {
    raw: { host: '', transport: 'sctp', format: 'xml', app_name: 'port delta', colour: 'red' },
    errors: [
      'host: a host name or an IP address (without brackets; the port goes in port:)',
      "transport: Invalid enum value. Expected 'udp' | 'tcp' | 'tls', received 'sctp'",
      "format: Invalid enum value. Expected 'cef' | 'json' | 'ecs' | 'ocsf', received 'xml'",
      'app_name: printable ASCII without spaces (RFC 5424 APP-NAME)',
      "Unrecognized key(s) in object: 'colour'",
    ],
  },
};
