// The outbox across runs: one run at a time (a lock file with the run's pid, a stale one taken
// over), .part files of a killed run removed at start, and a report that another run already sent
// skipped instead of crashing the flush.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { runAgent } from '../helpers/agent';
import { missingTool, testUnless } from '../helpers/needs';
import { Outbox } from '../../scan-agent/outbox';
import { flushOutbox } from '../../scan-agent/uploader';
import { HttpClient } from '../../scan-agent/http-client';
import { agentSchema } from '../../scan-agent/config';

const skip = missingTool('nmap');

/** A port on 127.0.0.1 that nothing listens on (a server that is down). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** The pid of a process that has ended. */
function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  return new Promise((resolve) => child.on('close', () => resolve(child.pid!)));
}

describe('the outbox lock', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-outbox-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a run refuses an outbox whose lock a live process holds, and leaves the lock alone (exit 2)', async () => {
    const outbox = path.join(dir, 'outbox');
    fs.mkdirSync(outbox);
    fs.writeFileSync(path.join(outbox, '.lock'), `${process.pid}\n`);
    const r = await runAgent(dir, { subnets: ['127.0.0.1/32'], outbox_dir: outbox, cache_dir: path.join(dir, 'cache'), nmap_path: path.join(dir, 'no-nmap') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`another agent run (pid ${process.pid}) is using the outbox ${outbox}`);
    expect(r.stderr).toMatch(/remedy: let it finish; if no agent runs, remove .*\.lock\. From cron, run the agent under flock/);
    expect(r.stderr).not.toMatch(/scan config/);
    expect(fs.readFileSync(path.join(outbox, '.lock'), 'utf8')).toBe(`${process.pid}\n`);
  });

  testUnless(skip, 'a run takes over the lock of a killed run, removes its .part files, and releases the lock at the end', async () => {
    const outbox = path.join(dir, 'outbox');
    fs.mkdirSync(outbox);
    const dead = await deadPid();
    fs.writeFileSync(path.join(outbox, '.lock'), `${dead}\n`);
    const part = '.20260101T011700000Z-000-127.0.0.1_32.xml.gz.part';
    fs.writeFileSync(path.join(outbox, part), Buffer.from([0x1f, 0x8b, 0x08, 0]));
    const port = await closedPort();
    const r = await runAgent(dir, { subnets: ['127.0.0.1/32'], nmap_args: ['-sT', '-p', String(port)], http_server: 'http://127.0.0.1', http_port: port, outbox_dir: outbox, cache_dir: path.join(dir, 'cache') });
    expect(r.stderr).toContain(`outbox: taking over the lock of a run that ended without releasing it (pid ${dead})`);
    expect(r.stderr).toContain(`outbox: removed 1 unfinished report(s) of a killed run: ${part}`);
    // The server is down: tonight's report is kept (exit 2), the killed run's .part is gone.
    expect(r.code).toBe(2);
    const left = fs.readdirSync(outbox).sort();
    expect(left).toHaveLength(1);
    expect(left[0]).toMatch(/^\d{8}T\d{9}Z-000-127\.0\.0\.1_32\.xml\.gz$/);
  });
});

test('a report that another run sent meanwhile is skipped, and the rest is sent', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-outbox-race-'));
  const received: number[] = [];
  const server = http.createServer((req, res) => {
    let n = 0;
    req.on('data', (d: Buffer) => (n += d.length));
    req.on('end', () => {
      received.push(n);
      res.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"queued"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    // The other run sends (and removes) the first report between our listing and our send.
    class Raced extends Outbox {
      raced = false;
      override pending(): string[] {
        const names = super.pending();
        if (!this.raced) fs.rmSync(this.path(names[0]));
        this.raced = true;
        return names;
      }
    }
    const outbox = new Raced(path.join(dir, 'outbox'));
    for (const label of ['a', 'b']) {
      const { name, part } = outbox.newReport(label);
      fs.writeFileSync(part, Buffer.alloc(label === 'a' ? 10 : 20));
      outbox.commit(part, name);
    }
    const cfg = agentSchema.parse({ subnets: ['127.0.0.1/32'], http_server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const lines: string[] = [];
    const r = await flushOutbox(cfg, new HttpClient(), outbox, (m) => lines.push(m));
    expect(r).toMatchObject({ sent: 1, kept: 0, rejected: 0 });
    expect(received).toEqual([20]);
    expect(lines[0]).toMatch(/-a\.xml\.gz: no longer in the outbox \(another run sent it\); skipped$/);
    expect(outbox.pending()).toEqual([]);
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
