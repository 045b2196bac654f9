// Dual-stack disagreements in reports: an agent with include_disagreements gets, beside the
// scanner-group ones, the ports one scanner sees open on a host's IPv4 address and not on its IPv6
// one (or the reverse), as `disagreements --family` lists them, for its own scanners only. Real
// nmap scans of one host under 127.0.0.2 and ::1 linked by their PTR name (test/fixtures/made/dual-stack).
import fs from 'node:fs';
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { ReportLab } from '../helpers/report';
import { cliJson, FIXTURES } from '../helpers/cli';
import type { FamilyDisagreement } from '../../common/types';

const file = (f: string) => path.join(FIXTURES, 'made/dual-stack', f);

forEachDb('report: dual-stack disagreements', (db) => {
  let lab: ReportLab;
  beforeAll(async () => {
    lab = new ReportLab(db.fresh());
    const cfg = lab.config([], { loop: {}, other: {} });
    await lab.ingest(cfg, '--scanner', 'loop', file('ptr-v4.xml'), file('ptr-v6.xml'));
  });
  afterAll(() => lab.remove());

  test('the rows of disagreements --family, each with both families, for the agent of that scanner only', async () => {
    const want = await cliJson<FamilyDisagreement[]>(['--db', lab.db, 'disagreements', '--family']);
    expect(want.length).toBeGreaterThanOrEqual(2);
    const out = lab.path('family.txt');
    const none = lab.path('other.txt');
    const cfg = lab.config([
      { name: 'family', kind: 'file', format: 'text', path: out, include_disagreements: true },
      { name: 'other', kind: 'file', format: 'text', path: none, include_disagreements: true, scanners: ['other'] },
    ], { loop: {}, other: {} });
    expect((await lab.report(cfg)).code).toBe(0);
    const text = fs.readFileSync(out, 'utf8');
    expect(text).toContain(`Scanner groups that disagree (${want.length})`);
    for (const d of want) {
      expect(text).toContain(`${d.port}/${d.proto}`);
      for (const v of d.views) expect(text).toContain(`  - loop ${v.family} ${v.ip}: ${v.view}`);
    }
    expect([...text.matchAll(/\(group dual-stack\)/g)]).toHaveLength(want.length);
    // the other agent's scanner saw nothing: no change, nothing sent
    expect(fs.existsSync(none) ? fs.readFileSync(none, 'utf8') : '').not.toContain('dual-stack');
  });
});
