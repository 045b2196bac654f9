// Screenshots of the dashboard for docs/dashboard.md, made from the demo data: runs
// `portdelta demo --serve` (build first: npm run build), logs in with the token it prints, and saves
// one PNG per page to docs/img/. Needs Debian's chromium (/usr/bin/chromium, or CHROMIUM=path).
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'docs/img');
const PAGES = [
  ['overview', '/'],
  ['changes', '/changes?type=new_port,port_reopened&verdict=unexpected'],
  ['host', '/hosts/10.66.1.10'],
  ['network', '/networks/10.66.1.0/24'],
  ['scanners', '/scanners'],
];

function startDemo() {
  const child = spawn(process.execPath, [path.join(root, 'dist/bin/portdelta.js'), 'demo', '--serve'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let text = '';
    child.stdout.on('data', (d) => {
      text += d;
      const m = /dashboard is at (\S+)\/\n.*token[^:]*: (\S+)\n/.exec(text);
      if (m) resolve({ child, url: m[1], token: m[2] });
    });
    child.on('close', (code) => reject(new Error(`demo --serve exited ${code}`)));
  });
}

async function main() {
  fs.mkdirSync(out, { recursive: true });
  const demo = await startDemo();
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-shots-'));
  const browser = await chromium.launchPersistentContext(userData, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
  try {
    const page = browser.pages()[0] || (await browser.newPage());
    await page.goto(`${demo.url}/login`);
    await page.fill('input[name=token]', demo.token);
    await Promise.all([page.waitForURL(`${demo.url}/`), page.click('button[type=submit]')]);
    for (const [name, p] of PAGES) {
      await page.goto(`${demo.url}${p}`);
      await page.waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((e) => e.getAttribute('data-drawn') === 'true'));
      await page.screenshot({ path: path.join(out, `dashboard-${name}.png`), fullPage: name === 'overview' });
      console.log(`docs/img/dashboard-${name}.png`);
    }
  } finally {
    await browser.close();
    fs.rmSync(userData, { recursive: true, force: true });
    demo.child.kill('SIGINT');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
