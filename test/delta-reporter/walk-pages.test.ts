// The missing-hosts and missing-ports walks read the touched hosts a page (5,000 rows) at a time:
// on SQLite by keyset, each page starting its scan of stage_touched where the last ended; on
// PostgreSQL by cursor. A night with more missing rows than a page, whose page ends fall inside a
// host's ports, must conclude every row once: none skipped at a page end, none read twice.
import { cli, cliJson } from '../helpers/cli';
import { forEachDb } from '../helpers/db';
import { port, Scratch, up } from '../helpers/csv-scan';

const ip = (i: number): string => `10.20.${Math.floor(i / 250)}.${(i % 250) + 1}`;
/** Hosts 0..1699 have three open ports and are listed again without them; 1700..6799 have one and vanish. */
const MULTI = 1700;
const ALL = 6800;

interface ChangeJson {
  ip: string;
  port: number | null;
  types: string[];
}

let scratch: Scratch;
beforeAll(() => (scratch = new Scratch()));
afterAll(() => scratch.remove());

forEachDb('walks over more than one page', (tdb) => {
  test('every missing host and port of a night is concluded once', async () => {
    const db = tdb.fresh();
    const config = scratch.config({ w: { max_absence: '100%' } });
    const first = Array.from({ length: ALL }, (_, i) => [up(ip(i)), ...(i < MULTI ? [22, 80, 443] : [22]).map((p) => port(ip(i), p))]).flat();
    const second = Array.from({ length: MULTI }, (_, i) => up(ip(i)));
    const files = scratch.series([
      { rows: first, scope: '10.20.0.0/16' },
      { rows: second, scope: '10.20.0.0/16' },
    ]);
    for (const f of files) expect((await cli(['--db', db, '--config', config, 'ingest', '--scanner', 'w', f])).code).toBe(0);
    const changes = await cliJson<ChangeJson[]>(['--db', db, 'changes', '--json', '--scanner', 'w', '--since', '3000d']);
    const closed = changes.filter((c) => c.types.includes('port_closed')).map((c) => `${c.ip}:${c.port}`);
    expect(new Set(closed).size).toBe(closed.length);
    expect(closed).toHaveLength(MULTI * 3 + (ALL - MULTI));
    const down = changes.filter((c) => c.port === null && c.types.includes('host_down')).map((c) => c.ip);
    expect(new Set(down).size).toBe(ALL - MULTI);
    expect(down).toHaveLength(ALL - MULTI);
  });
});
