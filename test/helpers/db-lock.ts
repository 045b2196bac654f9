// Scripts for the claim-recording tests: a hook that, once it has received its changes, leaves behind
// a process that holds a write lock on the deliveries (SQLite: BEGIN IMMEDIATE on the file;
// PostgreSQL: LOCK TABLE … IN EXCLUSIVE MODE), so that recording the delivery fails after the send;
// and a per-change hook that SIGKILLs the report process at its K-th call.
import path from 'node:path';
import { ROOT } from './cli';

const MODULES = JSON.stringify(path.join(ROOT, 'node_modules'));

/** argv: DIR DBURL. Writes DIR/locker.pid, then DIR/locked once it holds the lock; holds it until killed. */
export const LOCKER_SCRIPT = `
const fs = require('fs'), path = require('path');
const [dir, url] = process.argv.slice(2);
const held = () => { fs.writeFileSync(path.join(dir, 'locked'), ''); setInterval(() => {}, 1000); };
fs.writeFileSync(path.join(dir, 'locker.pid'), String(process.pid));
setTimeout(() => process.exit(0), 300000);
if (/^postgres/.test(url)) {
  const { Client } = require(path.join(${MODULES}, 'pg'));
  const u = new URL(url);
  const schema = u.searchParams.get('schema');
  u.searchParams.delete('schema');
  const c = new Client({ connectionString: u.toString() });
  c.connect()
    .then(() => c.query('SET search_path TO ' + schema))
    .then(() => c.query('BEGIN'))
    .then(() => c.query('LOCK TABLE deliveries IN EXCLUSIVE MODE'))
    .then(held, (e) => { fs.writeFileSync(path.join(dir, 'locker.err'), e.message); process.exit(1); });
} else {
  const sqlite3 = require(path.join(${MODULES}, 'sqlite3'));
  const db = new sqlite3.Database(url.replace(/^sqlite:/, ''));
  db.exec('BEGIN IMMEDIATE', (e) => { if (e) { fs.writeFileSync(path.join(dir, 'locker.err'), e.message); process.exit(1); } held(); });
}
`;

/** argv: DIR DBURL LOCKER. Records its input as DIR/call-N.json; unless DIR/no-lock exists, starts the locker and waits for its lock. */
export const LOCKING_HOOK_SCRIPT = `
const fs = require('fs'), path = require('path'), { spawn } = require('child_process');
const [dir, url, locker] = process.argv.slice(2);
const n = fs.readdirSync(dir).filter((f) => f.startsWith('call-')).length + 1;
fs.writeFileSync(path.join(dir, 'call-' + n + '.json'), fs.readFileSync(0, 'utf8'));
if (fs.existsSync(path.join(dir, 'no-lock'))) process.exit(0);
// Its own process group, so nothing that ends the hook's group ends the lock too.
spawn(process.execPath, [locker, dir, url], { detached: true, stdio: 'ignore' }).unref();
// A hang guard only: starting node and connecting can take seconds on a busy machine.
const deadline = Date.now() + 100000;
const wait = () => {
  if (fs.existsSync(path.join(dir, 'locked'))) process.exit(0);
  if (fs.existsSync(path.join(dir, 'locker.err')) || Date.now() > deadline) { process.stderr.write('no lock\\n'); process.exit(1); }
  setTimeout(wait, 20);
};
wait();
`;

/** argv: DIR K. Per change: records the change id as DIR/call-N; at call K, SIGKILLs its parent (the report process). */
export const KILLING_HOOK_SCRIPT = `
const fs = require('fs'), path = require('path');
const [dir, k] = process.argv.slice(2);
const n = fs.readdirSync(dir).filter((f) => f.startsWith('call-')).length + 1;
fs.writeFileSync(path.join(dir, 'call-' + n), String(JSON.parse(fs.readFileSync(0, 'utf8')).id));
if (n === Number(k)) process.kill(process.ppid, 'SIGKILL');
`;
