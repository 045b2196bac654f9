// Scanner events (no address) in every rendering: the report's hosts list (text and HTML), the
// one-line form of webhooks, and a hook's values. Built from a mass_absence recorded by a real
// ingest: lab-a night 1, then a complete scan of the /24 that lists two of its hosts.
import { forEachDb } from '../helpers/db';
import { cliJson } from '../helpers/cli';
import { csvText, Scratch } from '../helpers/csv-scan';
import { asReportChanges, batchOf, labAChanges } from '../helpers/report-batch';
import { renderReport } from '../../output-agents/render';
import { reportView } from '../../output-agents/report-view';
import { changeLine } from '../../output-agents/change-line';
import type { ChangeRow } from '../../common/types';

let scratch: Scratch;
beforeEach(() => (scratch = new Scratch()));
afterEach(() => scratch.remove());

forEachDb('scanner events rendered', (db) => {
  test('a mass_absence is listed first under "scanner NAME", in words with its numbers, and never as an address', async () => {
    const url = db.fresh();
    const first = await labAChanges(url, 1);
    const kept = first.filter((c) => c.port === null).slice(0, 2);
    const rows = kept.map((c) => `${c.ip},,,up,${c.hostname ?? ''},`);
    const file = scratch.write('cut.csv', csvText({ started: '2025-03-04T02:00:00Z', rows, scope: '10.66.1.0/24', ports: 'tcp:1-65535' }));
    await cliJson(['--db', url, 'ingest', '--scanner', 'scan-in', file]);
    const all = await cliJson<ChangeRow[]>(['--db', url, 'changes']);
    const events = all.filter((c) => c.ip === null);
    expect(events.map((c) => c.types)).toEqual([['mass_absence']]);

    const batch = batchOf(asReportChanges([...all.slice(-3), ...events].filter((c, i, a) => a.indexOf(c) === i)));
    const view = reportView(batch);
    expect(view.hosts[0].ip).toBe('scanner scan-in');
    expect(view.hosts[0].changes[0].text).toMatch(/^mass absence: this complete scan would have taken down \d+ of \d+ up hosts/);
    const out = renderReport(batch);
    expect(out.text).toContain('scanner scan-in');
    expect(out.text).not.toMatch(/\bnull\b/);
    expect(out.html).toContain('scanner scan-in');
    expect(changeLine(batch.changes.find((c) => c.ip === null)!)).toMatch(/^scanner scan-in: mass absence/);
  });
});
