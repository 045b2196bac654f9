// renderReport on real changes (lab-a, ingested by the spawned CLI on SQLite and PostgreSQL): every
// change in words under its host, in both parts, with scanner, scan time, policy mark, owner and
// confirmation; the summary; the disagreements section; hostile names; templates by path.
import path from 'node:path';
import { renderReport, SUBJECT_MAX } from '../../output-agents/render';
import type { ChangeRow } from '../../common/types';
import type { Disagreement } from '../../common/types';
import { forEachDb } from '../helpers/db';
import { Scratch } from '../helpers/csv-scan';
import { asReportChanges, batchOf, HOSTILE, hostileChanges, labAChanges, labAPolicy } from '../helpers/report-batch';
import { expectEveryChange, htmlEscape, textSections, when } from '../helpers/report-check';

const ORDER = ['new_host', 'host_down', 'dns_changed', 'new_port', 'port_closed', 'port_reopened', 'all_ports_answer'];
const PORT_TYPES = ['new_port', 'port_closed', 'port_reopened'];

/** "10 new_host, 28 new_port": a port event counts under its port type, a host event under its own. */
function expectedSummary(rows: ChangeRow[]): string {
  const n = new Map<string, number>();
  for (const c of rows) for (const t of c.port === null ? c.types : c.types.filter((x) => PORT_TYPES.includes(x))) n.set(t, (n.get(t) ?? 0) + 1);
  return ORDER.filter((t) => n.has(t)).map((t) => `${n.get(t)} ${t}`).join(', ');
}

forEachDb('renderReport on lab-a', (db) => {
  let rows: ChangeRow[];
  let long: ChangeRow[];
  beforeAll(async () => {
    rows = await labAChanges(db.fresh());
    long = await labAChanges(db.fresh(), 4);
  });

  test('lists every change in words under its host, hosts in address order, in the text and the HTML part', () => {
    expect(rows.length).toBeGreaterThan(30);
    const changes = asReportChanges(rows);
    const r = renderReport(batchOf(changes));
    expectEveryChange(r.text, r.html, changes);
    expect(r.text).toContain('port 8443/tcp newly open');
    expect(r.text).not.toMatch(/expected|owner/);
  });

  test('marks each change expected or unexpected and names its owner and note, as the policy says', () => {
    const changes = asReportChanges(rows, labAPolicy);
    const r = renderReport(batchOf(changes));
    expectEveryChange(r.text, r.html, changes);
    const unexpected = changes.filter((c) => c.policy.expected === false).length;
    expect(unexpected).toBeGreaterThan(0);
    expect(r.text).toContain(`${unexpected} of them unexpected by the target-state policy.`);
    expect(r.html).toContain(`${unexpected} unexpected</b>`);
  });

  test("says which delivered change a repeated one confirms", () => {
    const first = rows[0].id;
    const changes = asReportChanges(rows, labAPolicy, (c) => (c.port === 8443 ? first : null));
    const r = renderReport(batchOf(changes));
    expectEveryChange(r.text, r.html, changes);
    expect(r.text.match(/confirms change #/g)).toHaveLength(1);
  });

  test('starts with a summary of the counts per type; the default subject carries it', () => {
    const r = renderReport(batchOf(asReportChanges(rows)));
    const summary = expectedSummary(rows);
    expect(summary).toMatch(/new_host.*new_port.*port_closed/);
    expect(r.text.split('\n')[0]).toBe(`portdelta report: ${rows.length} changes (${summary})`);
    expect(r.subject).toBe(`portdelta: ${rows.length} changes (${summary})`);
    expect(r.html).toContain(`<p>${summary}</p>`);
  });

  test('words DNS changes with the old and the new name, and lists both names under the host', () => {
    const changes = asReportChanges(long, labAPolicy);
    const dns = changes.find((c) => c.types.includes('dns_changed'))!;
    expect(dns).toMatchObject({ ip: '10.66.1.12', previous_hostname: 'db01.lab-a.test', hostname: 'pg01.lab-a.test' });
    const r = renderReport(batchOf(changes));
    expectEveryChange(r.text, r.html, changes);
    expect(textSections(r.text).find((s) => s.ip === '10.66.1.12')!.heading).toBe('10.66.1.12  db01.lab-a.test, pg01.lab-a.test');
    expect(r.text).toContain('DNS name changed from db01.lab-a.test to pg01.lab-a.test');
    expect(r.text).toMatch(/host gone/);
    expect(r.text).toMatch(/open again/);
  });

  test('adds the disagreements section: group, address and port, each member\'s view and scan time', () => {
    const c8443 = rows.find((c) => c.port === 8443)!;
    const disagreements: Disagreement[] = [
      {
        group: 'inside', ip: c8443.ip!, proto: 'tcp', port: 8443, hostname: c8443.hostname,
        views: [
          { scanner: 'scan-in', view: 'open', scan_id: c8443.scan_id, scan_time: c8443.detected_at },
          { scanner: 'scan-in-b', view: 'not open', scan_id: 99, scan_time: rows[0].detected_at },
        ],
      },
    ];
    const r = renderReport(batchOf(asReportChanges(rows), { disagreements }));
    const section = r.text.slice(r.text.indexOf('Scanner groups that disagree (1)'));
    expect(section).toContain(`10.66.1.10:8443/tcp  web01.lab-a.test  (group inside)`);
    expect(section).toContain(`  - scan-in: open (scan ${when(c8443.detected_at)})`);
    expect(section).toContain(`  - scan-in-b: not open (scan ${when(rows[0].detected_at)})`);
    expect(r.html).toContain(`<td>inside</td>\n<td>10.66.1.10:8443/tcp</td>\n<td>web01.lab-a.test</td>\n<td>scan-in: open (scan ${when(c8443.detected_at)})<br>scan-in-b: not open (scan ${when(rows[0].detected_at)})</td>`);
    expect(r.subject).toMatch(/, 1 scanner disagreement$/);
    const without = renderReport(batchOf(asReportChanges(rows)));
    expect(without.text).not.toContain('disagree');
    expect(without.html).not.toContain('disagree');
  });
});

describe('renderReport with hostile names', () => {
  const changes = hostileChanges();
  const r = renderReport(batchOf(changes, { agent: 'soc<b>' }), { subject: '{{#each hosts}}{{hostnames}} {{/each}}' });

  test('escapes them in the HTML and shows control characters visibly in the text', () => {
    expectEveryChange(r.text, r.html, changes);
    expect(r.html).not.toContain('<script>');
    expect(r.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(r.html).toContain('&#x60;touch pwned&#x60;');
    expect(r.html).toContain('soc&lt;b&gt;');
    expect(r.text).toContain('x\\x0d\\x0aBcc: evil@example.org');
    // eslint-disable-next-line no-control-regex
    expect(r.text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  });

  test('makes the subject one line of bounded length', () => {
    expect(r.subject).toContain('$(touch pwned)');
    // eslint-disable-next-line no-control-regex
    expect(r.subject).not.toMatch(/[\r\n\u0007]/);
    const huge = renderReport(batchOf([{ ...changes[0], hostname: `${'a'.repeat(500)}\r\nBcc: evil@example.org` }]), { subject: 'x {{#each hosts}}{{hostnames}}{{/each}}\n\r\nBcc: x@y' });
    expect(huge.subject.length).toBeLessThanOrEqual(SUBJECT_MAX);
    expect(huge.subject).not.toMatch(/[\r\n]/);
  });
});

describe('renderReport with templates by path', () => {
  const scratch = new Scratch();
  afterAll(() => scratch.remove());
  const changes = hostileChanges().filter((c) => c.port !== null).slice(3, 5);

  test('uses the given text and HTML templates and subject instead of the defaults', () => {
    const text = scratch.write('t.hbs', '{{#each hosts}}{{ip}}={{#each changes}}{{text}} by {{scanner}}|{{/each}}\n{{/each}}');
    const html = scratch.write('h.hbs', '<ul>{{#each hosts}}<li>{{ip}} {{hostnames}}</li>{{/each}}</ul>');
    const r = renderReport(batchOf(changes), { textTemplate: text, htmlTemplate: html, subject: '{{agent}}: {{count}} for {{target_group}}' });
    expect(r.subject).toBe('soc-mail: 2 for soc');
    expect(r.text).toBe('10.9.0.4=port 80/tcp open on a new host by hx|\n10.9.0.5=port 80/tcp open on a new host by hx|\n');
    expect(r.html).toBe(`<ul><li>10.9.0.4 ${htmlEscape(HOSTILE[3])}</li><li>10.9.0.5 x\\x0d\\x0aBcc: evil@example.org</li></ul>`);
  });

  test.each([
    ['a missing file', 'text', null, /text template .*nope\.hbs: cannot be read \(ENOENT/],
    ['a syntax error', 'html', '<p>{{#each hosts}}{{ip}}</p>', /html template .*\.hbs: does not compile: /],
    ['unescaped output in HTML', 'html', '<p>\n{{{agent}}} {{& summary}}</p>', /html template .*\.hbs: prints unescaped output .* on line 2, 2/],
    ['a field that does not exist', 'text', '{{agnet}}', /text template .*\.hbs: cannot be rendered: "agnet" not defined/],
  ])('refuses %s, naming the file', (_what, kind, content, message) => {
    const file = content === null ? path.join(scratch.dir, 'nope.hbs') : scratch.write(`${kind}-${Math.random()}.hbs`, content);
    const opts = kind === 'text' ? { textTemplate: file } : { htmlTemplate: file };
    expect(() => renderReport(batchOf(changes), opts)).toThrow(message);
  });

  test('refuses a subject template that does not compile', () => {
    expect(() => renderReport(batchOf(changes), { subject: '{{#if count}}x' })).toThrow(/subject template: does not compile/);
  });
});
