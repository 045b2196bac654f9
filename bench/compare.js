'use strict';
// Compares change rows as `changes --json` prints them with the model's expected rows, as
// multisets of (ip, proto, port, type, hostname, previous_hostname, returning).

const FIELDS = ['ip', 'proto', 'port', 'type', 'hostname', 'previous_hostname', 'returning'];

/** The compared part of a change row, with the same spelling whatever produced it. */
function comparable(r) {
  return {
    ip: r.ip,
    proto: r.proto ?? null,
    port: r.port == null ? null : Number(r.port),
    type: Number(r.type),
    hostname: r.hostname ?? null,
    previous_hostname: r.previous_hostname ?? null,
    returning: !!r.returning,
  };
}

const key = (r) => JSON.stringify(FIELDS.map((f) => r[f]));

function ipNum(ip) {
  const p = ip.split('.');
  return p.length === 4 ? ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3] : 0;
}

/** Address order, host row before its ports, ports ascending. */
function sortRows(rows) {
  return rows.slice().sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || (a.port ?? -1) - (b.port ?? -1) || a.type - b.type || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** {ok, missing, extra}: rows expected but not reported, rows reported but not expected. */
function diffRows(expected, actual) {
  const want = new Map();
  for (const r of expected.map(comparable)) want.set(key(r), (want.get(key(r)) ?? 0) + 1);
  const extra = [];
  for (const r of actual.map(comparable)) {
    const k = key(r);
    const n = want.get(k) ?? 0;
    if (n > 0) want.set(k, n - 1);
    else extra.push(r);
  }
  const missing = [];
  for (const r of expected.map(comparable)) {
    const k = key(r);
    const n = want.get(k) ?? 0;
    if (n > 0) {
      missing.push(r);
      want.set(k, n - 1);
    }
  }
  return { ok: missing.length === 0 && extra.length === 0, missing: sortRows(missing), extra: sortRows(extra) };
}

/** Change counts per type mask, as {mask: n}. */
function countByType(rows) {
  const out = {};
  for (const r of rows) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

const NAMES = ['new_host', 'host_down', 'dns_changed', 'new_port', 'port_closed', 'port_reopened', 'all_ports_answer'];
/** The key the ingest summary uses for a mask: its type names joined with '+'. */
const maskName = (mask) => NAMES.filter((_, i) => mask & (1 << i)).join('+');

/** Expected {mask: n} -> the ingest summary's {names: n}. */
function summaryCounts(byMask) {
  const out = {};
  for (const [mask, n] of Object.entries(byMask)) {
    const k = maskName(Number(mask));
    out[k] = (out[k] ?? 0) + n;
  }
  return out;
}

function sameCounts(a, b) {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/** A short human description of a diff, at most `limit` rows per side. */
function describeDiff(d, limit = 20) {
  const line = (r) => `  ${r.ip} ${r.proto ?? '-'}/${r.port ?? '-'} type=${r.type} hostname=${r.hostname} previous=${r.previous_hostname} returning=${r.returning}`;
  const part = (title, rows) => (rows.length ? [`${title} (${rows.length}):`, ...rows.slice(0, limit).map(line), ...(rows.length > limit ? [`  … ${rows.length - limit} more`] : [])] : []);
  return [...part('expected but not reported', d.missing), ...part('reported but not expected', d.extra)].join('\n');
}

module.exports = { FIELDS, comparable, sortRows, diffRows, countByType, summaryCounts, sameCounts, describeDiff, maskName };
