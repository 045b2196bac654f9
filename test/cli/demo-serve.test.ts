// `portdelta demo --serve`: after the demo nights it serves the dashboard on 127.0.0.1 with a
// one-time read token it prints, until Ctrl-C (SIGINT), and exits 0.
import { spawn } from 'node:child_process';
import { BIN, ROOT } from '../helpers/cli';
import { postLogin, fetchWithHeaders } from '../helpers/dashboard';

test('demo --serve prints the URL and a login token; the dashboard shows the demo; Ctrl-C ends it', async () => {
  const child = spawn(process.execPath, [BIN, 'demo', '--serve'], { cwd: ROOT, env: { ...process.env, PORTDELTA_CONFIG: '', PORTDELTA_DB: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  let out = '';
  const ready = new Promise<RegExpExecArray>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      out += d;
      const m = /dashboard is at (http:\/\/127\.0\.0\.1:\d+)\/\n.*token[^:]*: (\S+)\n/.exec(out);
      if (m) resolve(m);
    });
    void exited.then((code) => reject(new Error(`demo exited ${code} before serving:\n${out}`)));
  });
  try {
    const [, url, token] = await ready;
    expect(out).toContain('Night 6');
    expect((await fetchWithHeaders(`${url}/`)).status).toBe(303);
    const login = await postLogin(url, token);
    expect(login.status).toBe(303);
    const host = await fetchWithHeaders(`${url}/hosts/10.66.1.14`, { headers: { Cookie: login.cookie! } });
    expect(host.status).toBe(200);
    expect(host.text).toContain('files01.lab-a.test');
    // The example policy (docs/policy.example.yaml) judges the demo: the overview names what it does not expect.
    const overview = await fetchWithHeaders(`${url}/`, { headers: { Cookie: login.cookie! } });
    expect(overview.text).toMatch(/<a href="\/audit">\d+ open ports?<\/a> the policy does not expect/);
    expect((await postLogin(url, 'guessed-token')).status).toBe(401);
  } finally {
    child.kill('SIGINT');
  }
  expect(await exited).toBe(0);
}, 60_000);
