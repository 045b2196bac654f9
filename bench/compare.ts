// Compares change rows as `changes --json` prints them with the model's expected rows, as
// multisets of (ip, proto, port, type, hostname, previous_hostname, returning).
import type { ModelRow } from './model';

const FIELDS = ['ip', 'proto', 'port', 'type', 'hostname', 'previous_hostname', 'returning'] as const;

/** A change row from either side: the model's, or `changes --json`'s (which has more fields). */
interface RowLike {
  /** null for a scanner event (no address); the model has none, so such a row always differs. */
  ip: string | null;
  proto?: string | null;
  port?: number | string | null;
  type: number | string;
  hostname?: string | null;
  previous_hostname?: string | null;
  returning?: boolean | number | null;
}

/** {ok, missing, extra}: rows expected but not reported, rows reported but not expected. */
interface RowDiff {
  ok: boolean;
  missing: ModelRow[];
  extra: ModelRow[];
}

/** The compared part of a change row, with the same spelling whatever produced it. */
function comparable(r: RowLike): ModelRow {
  return {
    ip: r.ip ?? '-',
    proto: r.proto ?? null,
    port: r.port == null ? null : Number(r.port),
    type: Number(r.type),
    hostname: r.hostname ?? null,
    previous_hostname: r.previous_hostname ?? null,
    returning: !!r.returning,
  };
}

const key = (r: ModelRow): string => JSON.stringify(FIELDS.map((f) => r[f]));

/** An IPv4 address as an unsigned number (0 for anything else). */
export function ipNum(ip: string): number {
  const p = ip.split('.');
  return p.length === 4 ? ((+p[0] << 24) >>> 0) + (+p[1] << 16) + (+p[2] << 8) + +p[3] : 0;
}

/** Address order, host row before its ports, ports ascending. */
export function sortRows(rows: readonly ModelRow[]): ModelRow[] {
  return rows.slice().sort((a, b) => ipNum(a.ip) - ipNum(b.ip) || (a.port ?? -1) - (b.port ?? -1) || a.type - b.type || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Rows expected but not reported, rows reported but not expected (multisets). */
export function diffRows(expected: readonly RowLike[], actual: readonly RowLike[]): RowDiff {
  const want = new Map<string, number>();
  for (const r of expected.map(comparable)) want.set(key(r), (want.get(key(r)) ?? 0) + 1);
  const extra: ModelRow[] = [];
  for (const r of actual.map(comparable)) {
    const k = key(r);
    const n = want.get(k) ?? 0;
    if (n > 0) want.set(k, n - 1);
    else extra.push(r);
  }
  const missing: ModelRow[] = [];
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
export function countByType(rows: readonly ModelRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

const NAMES = ['new_host', 'host_down', 'dns_changed', 'new_port', 'port_closed', 'port_reopened', 'all_ports_answer', 'service_changed', 'cert_changed'];
/** The key the ingest summary uses for a mask: its type names joined with '+'. */
export const maskName = (mask: number): string => NAMES.filter((_, i) => mask & (1 << i)).join('+');

/** Expected {mask: n} -> the ingest summary's {names: n}. */
export function summaryCounts(byMask: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [mask, n] of Object.entries(byMask)) {
    const k = maskName(Number(mask));
    out[k] = (out[k] ?? 0) + n;
  }
  return out;
}

export function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/** A short human description of a diff, at most `limit` rows per side. */
export function describeDiff(d: RowDiff, limit = 20): string {
  const line = (r: ModelRow): string => `  ${r.ip} ${r.proto ?? '-'}/${r.port ?? '-'} type=${r.type} hostname=${r.hostname} previous=${r.previous_hostname} returning=${r.returning}`;
  const part = (title: string, rows: ModelRow[]): string[] => (rows.length ? [`${title} (${rows.length}):`, ...rows.slice(0, limit).map(line), ...(rows.length > limit ? [`  … ${rows.length - limit} more`] : [])] : []);
  return [...part('expected but not reported', d.missing), ...part('reported but not expected', d.extra)].join('\n');
}
