// Reads a rendered report back (the default templates' layout) and checks that every change is in
// both parts, under its host, with its words, scanner, scan time, policy mark and confirmation.
import type { PolicyVerdict, ReportChange } from '../../output-agents/types';

/** Handlebars' escaping, written out independently. */
export function htmlEscape(s: string): string {
  const map: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#x27;', '`': '&#x60;', '=': '&#x3D;' };
  return s.replace(/[&<>"'`=]/g, (c) => map[c]);
}

/** Control characters as the report shows them (\x0d), so a test can name what must appear. */
function shown(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export const when = (iso: string | null): string => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : 'unknown');

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;
const v4 = (ip: string): number => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** The text part's host sections: ip → its heading line and change lines, in the order they appear. */
export function textSections(text: string): Array<{ ip: string; heading: string; body: string }> {
  return text
    .replace(/\r\n/g, '\n')
    .split('\n\n')
    .map((block) => block.trim())
    .filter((block) => IPV4.test(block.split(/\s/)[0]))
    .map((block) => ({ ip: block.split(/\s/)[0], heading: block.split('\n')[0], body: `${block}\n` }));
}

/** The HTML part's host sections, split at each <h2> heading. */
function htmlSections(html: string): Array<{ ip: string; heading: string; body: string }> {
  return html
    .split('<h2')
    .slice(1)
    .map((chunk) => {
      const heading = chunk.slice(chunk.indexOf('>') + 1, chunk.indexOf('</h2>'));
      return { ip: heading.split(/[\s<]/)[0], heading, body: chunk };
    })
    .filter((s) => IPV4.test(s.ip));
}

function textMark(p: PolicyVerdict): string {
  if (p.expected !== null) return `  [${p.expected ? 'expected' : 'unexpected'}${p.owner ? `, owner ${p.owner}` : ''}]`;
  return p.owner ? `  [owner ${p.owner}]` : '';
}

function htmlMark(p: PolicyVerdict): string {
  const verdict = p.expected === null ? '' : p.expected ? 'expected' : '<b style="color: #b00;">unexpected</b>';
  return `${verdict}${p.owner ? `${verdict ? ', ' : ''}owner ${htmlEscape(p.owner)}` : ''}`;
}

/** Every change in both parts, under its own host, hosts in address order, each host once. */
export function expectEveryChange(text: string, html: string, changes: ReportChange[]): void {
  const ips = [...new Set(changes.map((c) => c.ip!))].sort((a, b) => v4(a) - v4(b));
  for (const sections of [textSections(text), htmlSections(html)]) {
    expect(sections.map((s) => s.ip)).toEqual(ips);
  }
  const texts = new Map(textSections(text).map((s) => [s.ip, s]));
  const htmls = new Map(htmlSections(html).map((s) => [s.ip, s]));
  for (const c of changes) {
    const t = texts.get(c.ip!)!;
    const h = htmls.get(c.ip!)!;
    for (const name of [c.hostname, c.previous_hostname]) {
      if (name) {
        expect(t.heading).toContain(shown(name));
        expect(h.heading).toContain(htmlEscape(shown(name)));
      }
    }
    const remarks = [c.confirms !== null ? `; confirms change #${c.confirms}` : '', c.policy.note ? `; note: ${c.policy.note}` : ''].join('');
    expect(t.body).toContain(`  - ${shown(c.text)}${textMark(c.policy)}\n      scanner ${c.scanner}, scan ${when(c.scan_time)}${remarks}\n`);
    const htmlRemarks = [c.confirms !== null ? `confirms change #${c.confirms}` : '', c.policy.note ? htmlEscape(c.policy.note) : ''].filter(Boolean).join('; ');
    const cells = [htmlEscape(shown(c.text)), htmlEscape(c.scanner), when(c.scan_time), htmlMark(c.policy), htmlRemarks];
    expect(h.body).toContain(`<tr>\n${cells.map((x) => `<td>${x}</td>`).join('\n')}\n</tr>`);
  }
}
