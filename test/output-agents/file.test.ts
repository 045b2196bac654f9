// The file kind appends whole lines or nothing. The real short write: the CLI runs under
// `prlimit --fsize`, so the kernel writes up to the limit and then answers EFBIG, as a full disk or
// a quota would. The loop over short writes that do go on is checked with a wrapper that hands
// write(2) at most a few bytes at a time: a short write that later succeeds cannot be provoked here.
import fs from 'node:fs';
import path from 'node:path';
import { appendAll } from '../../output-agents/append-all';
import { Scratch } from '../helpers/csv-scan';
import { forEachDb } from '../helpers/db';
import { missingTool, testUnless } from '../helpers/needs';
import { ids, jsonl, sharedLab } from '../helpers/report';

const NO_PRLIMIT = missingTool('prlimit', '--version', 'util-linux');
const LIMIT = 8 * 1024 * 1024;

forEachDb('file output agent: whole lines or nothing', (db) => {
  const shared = sharedLab(() => db.fresh(), [1, 2]);

  testUnless(NO_PRLIMIT, 'a file that hits its size limit mid-write: exit 2, the file cut back to what it was, the next run delivers every line', async () => {
    const { lab, all } = shared;
    const out = lab.path('limited.jsonl');
    // Earlier lines up to 300 bytes below the limit: this run's lines (many KiB) cannot fit.
    const earlier = JSON.stringify({ earlier: 'x'.repeat(200) }) + '\n';
    const before = earlier.repeat(Math.floor((LIMIT - 300) / earlier.length));
    fs.writeFileSync(out, before);
    const config = lab.config([{ name: 'siem', kind: 'file', path: out }]);

    const full = await lab.reportJson(config, [], { spawn: true, wrap: ['prlimit', `--fsize=${LIMIT}`] });
    expect(full.results).toEqual([expect.objectContaining({ status: 'failed', delivered: 0, retry: all.length })]);
    expect(full.results[0].error).toMatch(new RegExp(`^cannot append to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*EFBIG.*; cut back to its ${before.length} bytes before$`));
    expect(full.code).toBe(2);
    expect(fs.readFileSync(out, 'utf8') === before).toBe(true);

    const again = await lab.reportJson(config);
    expect(again.code).toBe(0);
    expect(again.results[0]).toMatchObject({ status: 'ok', delivered: all.length });
    const text = fs.readFileSync(out, 'utf8');
    expect(text.startsWith(before)).toBe(true);
    const added = text.slice(before.length).split('\n');
    expect(added.pop()).toBe('');
    expect(ids(added.map((l) => JSON.parse(l)))).toEqual(ids(all));
  });

  test('a normal run appends one complete line per change after what the file had', async () => {
    const { lab, all } = shared;
    const out = lab.path('plain.jsonl');
    fs.writeFileSync(out, '{"earlier":true}\n');
    expect((await lab.report(lab.config([{ name: 'plain', kind: 'file', path: out }]))).code).toBe(0);
    const got = jsonl(out);
    expect(got[0]).toEqual({ earlier: true });
    expect(ids(got.slice(1))).toEqual(ids(all));
  });
});

describe('appendAll', () => {
  const scratch = new Scratch();
  afterAll(() => scratch.remove());

  test('writes that take only a few bytes each go on until every byte is in the file, once', async () => {
    const file = path.join(scratch.dir, 'short.txt');
    fs.writeFileSync(file, 'head\n');
    const fd = await fs.promises.open(file, 'a');
    const data = Buffer.from(Array.from({ length: 40 }, (_, i) => `{"line":${i},"name":"ü-${i}"}\n`).join(''), 'utf8');
    let calls = 0;
    try {
      await appendAll({
        stat: fd.stat.bind(fd), sync: () => fd.sync(), truncate: (n) => fd.truncate(n),
        write: (buf, offset, length) => (calls++, fd.write(buf, offset, Math.min(length, 7))),
      }, data);
    } finally {
      await fd.close();
    }
    expect(fs.readFileSync(file).equals(Buffer.concat([Buffer.from('head\n'), data]))).toBe(true);
    expect(calls).toBe(Math.ceil(data.length / 7));
  });
});
