// `portdelta demo` runs the main job on the bundled real scans: night by night, the changes it
// reports are exactly the lab-a ground truth of both scanners.
import { cli, cliJson } from '../helpers/cli';
import { fromChange, fromOracle, groundTruth, sorted } from '../helpers/oracle';
import type { ChangeRow } from '../../common/types';

interface DemoNight {
  night: string;
  changes: ChangeRow[];
}

test('demo --json reports, night by night, exactly the ground truth of both scanners', async () => {
  const nights = await cliJson<DemoNight[]>(['demo']);
  const streams = groundTruth('lab-a').scanner_streams.streams;
  expect(nights.map((n) => n.night)).toEqual(['night1', 'night2', 'night3', 'night4', 'night5', 'night6']);
  for (const n of nights) {
    const number = Number(n.night.replace('night', ''));
    for (const scanner of Object.keys(streams)) {
      const want = streams[scanner].filter((f) => f.night === number).flatMap((f) => f.events.map(fromOracle));
      const got = n.changes.filter((c) => c.scanner === scanner).map(fromChange);
      expect({ night: n.night, scanner, changes: sorted(got) }).toEqual({ night: n.night, scanner, changes: sorted(want) });
    }
  }
});

test('demo tells a person what changed, in words, and leaves no database behind by default', async () => {
  const r = await cli(['demo']);
  expect(r.code).toBe(0);
  expect(r.stdout).toContain('Night 4');
  expect(r.stdout).toMatch(/10\.66\.1\.14 +files01\.lab-a\.test +host gone/);
  expect(r.stdout).toMatch(/DNS name changed from db01\.lab-a\.test to pg01\.lab-a\.test/);
  expect(r.stdout).toContain('incomplete');
});
