// The dashboard's Disagreements page lists the dual-stack disagreements of `disagreements --family`
// (real nmap scans of 127.0.0.2 and ::1, tools/make-dual-stack-fixtures.sh), and a reader bound to
// one of the two addresses' networks does not see the other family's address.
import path from 'node:path';
import { forEachDb } from '../helpers/db';
import { FIXTURES } from '../helpers/cli';
import { ingestHere, serveInProcess, type InProcess } from '../helpers/serve';
import { fetchWithHeaders } from '../helpers/dashboard';
import { listFamilyDisagreements } from '../../db/family-disagreement-repo';

const DIR = path.join(FIXTURES, 'made/dual-stack');
const ALL = 'tok-read-all-family-0123456789';
const V4_ONLY = 'tok-read-v4-only-0123456789ab';
const YAML = ['server:', '  read_tokens:', `    - "${ALL}"`, `    - { name: v4, token: "${V4_ONLY}", networks: [127.0.0.0/8] }`, ''].join('\n');

forEachDb('the Disagreements page, IPv4 and IPv6', (tdb) => {
  let s: InProcess;
  beforeAll(async () => {
    s = await serveInProcess(tdb.fresh(), YAML);
    for (const f of ['ptr-v4.xml', 'ptr-v6.xml']) await ingestHere(s, path.join(DIR, f), 'loop');
  });
  afterAll(async () => s?.stop());

  const section = async (token: string) => {
    const r = await fetchWithHeaders(`${s.url}/disagreements`, { headers: { Authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    return /<h2>IPv4 and IPv6 disagree<\/h2>[\s\S]*$/.exec(r.text)![0];
  };

  test('has a row per dual-stack disagreement, with both addresses and views', async () => {
    const rows = await listFamilyDisagreements(s.db.knex);
    expect(rows.length).toBeGreaterThan(0);
    const text = await section(ALL);
    expect((text.match(/<tr><td>loop<\/td>/g) ?? []).length).toBe(rows.length);
    for (const d of rows) {
      expect(text).toContain(`${d.port}/${d.proto}</a>`);
      expect(text).toContain(`${d.views[0].view} `);
    }
    expect(text).toContain('/hosts/%3A%3A1');
  });

  test('a token bound to 127.0.0.0/8 does not see the ::1 side', async () => {
    const text = await section(V4_ONLY);
    expect(text).toContain('no dual-stack disagreements');
    expect(text).not.toContain('%3A%3A1');
  });
});
