// The dashboard in a real browser (Debian chromium driven by playwright-core, no browser download):
// a login, every page without console errors or failed requests, the charts drawn, the Changes
// filters (the form, the policy verdict, a scan's link) giving the rows of `changes --json`, the
// IPv6 map crossed by clicks, a network-bound token that never sees another network, and a hostile
// hostname shown as text. Skipped, with the reason, where chromium is missing
// (outside CI); in CI it must run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describeUnless, unlessCi } from '../helpers/needs';
import { sqliteDb } from '../helpers/db';
import type { InProcess } from '../helpers/serve';
import { BOUND_NET, POLICY_FILE, serveLab, TOK_BOUND, TOK_READ } from '../helpers/served-lab';
import { addHostileHost, addV6Scan, addWideScan, HOSTILE_IP, HOSTILE_NAME } from '../helpers/dashboard';
import { cliJson } from '../helpers/cli';
import type { ChangeRow } from '../../common/types';
import { listChanges } from '../../db/query-repo';
import { changeFilter } from '../../common/query-options';
import { ipKey, parseTargets, rangesContain } from '../../common/ip';

const CHROMIUM = '/usr/bin/chromium';
const missing = unlessCi(fs.existsSync(CHROMIUM) ? null : `${CHROMIUM} is missing (apt-get install chromium); CI installs it and runs these tests`);
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

/** The part of a browser's canvas element the test reads (the tests compile without the DOM types). */
interface Canvas {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** What went wrong in the browser while a page was shown. */
interface Trouble {
  console: string[];
  failed: string[];
}

describeUnless(missing, 'the dashboard in a real browser', () => {
  let s: InProcess;
  let dbUrl: string;
  let userData: string;
  let browser: BrowserContext;
  let page: Page;
  const trouble: Trouble = { console: [], failed: [] };
  /** Responses that are meant to be errors (a 404 page asked for on purpose). */
  const expected = new Set<string>();

  beforeAll(async () => {
    dbUrl = sqliteDb().fresh();
    s = await serveLab(dbUrl, undefined, POLICY_FILE);
    await addHostileHost(s);
    await addWideScan(s);
    await addV6Scan(s);
    userData = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-chromium-'));
    browser = await chromium.launchPersistentContext(userData, { executablePath: CHROMIUM, headless: true, args: ARGS });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error' && !expected.has(page.url())) trouble.console.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => trouble.console.push(`${page.url()}: ${e.message}`));
    page.on('dialog', (d) => {
      trouble.console.push(`a dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    page.on('requestfailed', (r) => trouble.failed.push(`${r.url()}: ${r.failure()?.errorText}`));
    page.on('response', (r) => {
      if (r.status() >= 400 && !expected.has(r.url())) trouble.failed.push(`${r.url()}: ${r.status()}`);
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await s?.stop();
    if (userData) fs.rmSync(userData, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(trouble).toEqual({ console: [], failed: [] });
  });

  async function login(token: string): Promise<void> {
    await page.goto(`${s.url}/changes`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', token);
    await Promise.all([page.waitForURL(`${s.url}/changes`), page.click('button[type=submit]')]);
  }

  async function logout(): Promise<void> {
    await Promise.all([page.waitForURL(/\/login$/), page.click('form.logout button')]);
  }

  test('a read token logs in; every page loads; the charts are drawn', async () => {
    await login(TOK_READ);
    for (const p of ['/', '/changes', '/scanners', '/hosts/10.66.1.10', '/ports/tcp/22', `/hosts/${HOSTILE_IP}`, '/networks/10.66.1.0/24', '/networks/10.66.0.0/16', '/networks/fd00::/64', '/changes?verdict=unexpected', '/disagreements', '/audit']) {
      await page.goto(`${s.url}${p}`);
      expect(await page.locator('h1').textContent()).not.toBe('');
    }
    await page.goto(`${s.url}/`);
    for (const id of ['#chart-ports', '#chart-hosts', '#chart-changes']) {
      await page.waitForSelector(`${id}[data-drawn=true] canvas`);
      const inked = await page.$eval(`${id} canvas`, (c) => {
        const canvas = c as unknown as Canvas;
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) n++;
        return n;
      });
      expect(inked).toBeGreaterThan(100);
    }
    // The jump boxes lead to the host and the port.
    await page.fill('form.port-jump input', '22/tcp');
    await Promise.all([page.waitForURL(`${s.url}/ports/tcp/22`), page.press('form.port-jump input', 'Enter')]);
  }, 60_000);

  test('the Changes filter form gives the rows of `changes --json` for the same filter', async () => {
    await page.goto(`${s.url}/changes`);
    await page.fill('input[name=type]', 'new_port,port_reopened');
    await page.fill('input[name=scanner]', 'scan-out');
    await page.fill('input[name=network]', '10.66.1.0/24');
    await Promise.all([page.waitForURL(/scanner=scan-out/), page.click('.filters button[type=submit]')]);
    const ids = await page.$$eval('table.changes tr[data-id]', (rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
    const want = await listChanges(s.db.knex, changeFilter({ type: 'new_port,port_reopened', scanner: 'scan-out', network: ['10.66.1.0/24'] }));
    expect(want.length).toBeGreaterThan(2);
    expect(ids).toEqual(want.map((c) => c.id).reverse());
    // Pagination: page after page, the rows of `changes --json` for the filter, newest first.
    await page.goto(`${s.url}/changes?scanner=wide`);
    const seen: number[] = [];
    for (;;) {
      seen.push(...(await page.$$eval('table.changes tr[data-id]', (rows) => rows.map((r) => Number(r.getAttribute('data-id'))))));
      if ((await page.locator('a[rel=next]').count()) === 0) break;
      await Promise.all([page.waitForURL(/page=\d+/), page.click('a[rel=next]')]);
    }
    expect(seen).toEqual((await listChanges(s.db.knex, { scanner: 'wide' })).map((c) => c.id).reverse());
    // Each row links to its host.
    await Promise.all([page.waitForURL(/\/hosts\//), page.click('table.changes tr[data-id] td a[href^="/hosts/"]')]);
  }, 60_000);

  const shownIds = () => page.$$eval('table.changes tr[data-id]', (rows) => rows.map((r) => Number(r.getAttribute('data-id'))));
  const cliChanges = (args: string[]) => cliJson<ChangeRow[]>(['--db', dbUrl, 'changes', ...args]);

  test("the policy verdict filter and a scan's link give the rows of `changes --verdict` and `--scan-id`", async () => {
    await page.goto(`${s.url}/changes`);
    await page.selectOption('select[name=verdict]', 'unexpected');
    await page.fill('input[name=scanner]', 'scan-in');
    await Promise.all([page.waitForURL(/verdict=unexpected/), page.click('.filters button[type=submit]')]);
    const want = await cliChanges(['--verdict', 'unexpected', '--scanner', 'scan-in', '--policy', POLICY_FILE]);
    expect(want.length).toBeGreaterThan(0);
    expect(await shownIds()).toEqual(want.map((c) => c.id).reverse());
    const jsonl = await page.request.get(new URL((await page.getAttribute('a[href^="/changes.jsonl"]', 'href'))!, s.url).toString());
    expect((await jsonl.text()).trim().split('\n').map((l) => JSON.parse(l) as ChangeRow)).toEqual(want);
    await page.goto(`${s.url}/scanners`);
    const link = page.locator('table.scans tr[data-scan] a[href^="/changes?scan="]').first();
    const id = (await link.getAttribute('href'))!.split('=')[1];
    await Promise.all([page.waitForURL(/\/changes\?scan=\d+$/), link.click()]);
    expect(await shownIds()).toEqual((await cliChanges(['--scan-id', id])).map((c) => c.id).reverse().slice(0, 100));
    // The overview's unexpected open ports link to their hosts.
    await page.goto(`${s.url}/`);
    expect(await page.locator('table.unexpected tr').count()).toBeGreaterThan(1);
    await Promise.all([page.waitForURL(/\/hosts\//), page.click('table.unexpected a[href^="/hosts/"]')]);
  }, 60_000);

  test('the IPv6 map is crossed by clicks: a /64, the /120 of its busy block, a host', async () => {
    await page.goto(`${s.url}/networks/fd00::/64`);
    expect(await page.locator('.netmap .cell').count()).toBe(256);
    await Promise.all([page.waitForURL(`${s.url}/networks/fd00::/120`), page.click('.netmap a[href="/networks/fd00::/120"]')]);
    await Promise.all([page.waitForURL(/\/hosts\/fd00(::|%3A%3A)10$/), page.click(`.netmap a[href="/hosts/${encodeURIComponent('fd00::10')}"]`)]);
    expect(await page.locator('h1').textContent()).toBe('Host fd00::10');
  }, 60_000);

  test('a hostile hostname is text: no element, no script ran', async () => {
    await page.goto(`${s.url}/hosts/${HOSTILE_IP}`);
    expect(await page.locator('main').textContent()).toContain(HOSTILE_NAME);
    expect(await page.locator('main img, main script').count()).toBe(0);
  }, 60_000);

  test('a token bound to networks never sees another network', async () => {
    await logout();
    await login(TOK_BOUND);
    const bound = parseTargets([BOUND_NET]);
    const inside = (ip: string) => rangesContain(bound, ipKey(ip));
    const hosts = await page.$$eval('a[href^="/hosts/"]', (as) => as.map((a) => decodeURIComponent(a.getAttribute('href')!.slice('/hosts/'.length))));
    expect(hosts.length).toBeGreaterThan(0);
    expect(hosts.filter((ip) => !inside(ip))).toEqual([]);
    // The overview (its unexpected open ports too), the verdict filter and the IPv6 map: only its networks.
    for (const p of ['/', '/changes?verdict=unexpected', '/networks/fd00::/64']) {
      await page.goto(`${s.url}${p}`);
      const linked = await page.$$eval('a[href^="/hosts/"]', (as) => as.map((a) => decodeURIComponent(a.getAttribute('href')!.slice('/hosts/'.length))));
      expect(linked.filter((ip) => !inside(ip))).toEqual([]);
      if (p !== '/networks/fd00::/64') expect(linked.length).toBeGreaterThan(0);
    }
    const exported = await page.request.get(`${s.url}/changes.jsonl`);
    const rows = (await exported.text()).trim().split('\n').map((l) => JSON.parse(l) as { ip: string | null });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.ip === null || !inside(r.ip))).toEqual([]);
    await page.goto(`${s.url}/`);
    expect(await page.locator('#chart-ports, #chart-hosts').count()).toBe(0);
    await page.waitForSelector('#chart-changes[data-drawn=true] canvas');
    expect(await page.locator('body').textContent()).not.toContain('10.66.1.53');
    const other = `${s.url}/hosts/10.66.1.53`;
    expected.add(other);
    const r = await page.goto(other);
    expect(r?.status()).toBe(404);
    expect(await page.locator('body').textContent()).not.toMatch(/scan-in|scan-out/);
  }, 60_000);
});
