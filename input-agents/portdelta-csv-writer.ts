// Writes the uniform CSV (DESIGN §5) that the portdelta-csv agent reads back; `convert` uses it.
import type { HostRecord, ScanEvent, ScanMetaEvent, ScanWarningEvent } from '../common/types';
import { formatRange } from '../common/ip';
import { formatPortScope } from '../common/ports';

export const MAGIC = '#portdelta-csv';
export const VERSION = 1;

const UNIFORM_COLUMNS = Object.freeze([
  'ip', 'proto', 'port', 'state', 'hostname', 'seen_at', 'service', 'product', 'version', 'banner', 'mac', 'timed_out', 'unknown_ports',
]);

/** A CSV field: quoted when it holds a comma, a quote, CR/LF, or edge blanks (the reader keeps them). */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A '#key=value' line has no quoting: control characters (CR/LF included) go, so no value can forge a line. */
// eslint-disable-next-line no-control-regex
const oneLine = (s: string | undefined): string => (s ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
/**
 * A row field keeps its value exactly (csvField quotes line breaks, quotes and edge blanks), so the
 * CSV ingests as the native file does. Only NUL goes: no database column can hold it, and ingest
 * drops it from a native file's values too (db/column-limits.ts).
 */
const exact = (s: string | undefined): string => (s ?? '').replace(/\0/g, '');
const iso = (d: Date): string => d.toISOString().replace('.000Z', 'Z');

function headerLines(meta: Omit<ScanMetaEvent, 'kind'>, complete: boolean, finishedAt?: Date): string[] {
  const out = [`${MAGIC} v${VERSION}\n`];
  const put = (key: string, value: string | undefined): void => {
    if (value !== undefined && oneLine(value) !== '') out.push(`#${key}=${oneLine(value)}\n`);
  };
  put('scanner', meta.scanner);
  put('started', meta.startedAt && iso(meta.startedAt));
  put('finished', (finishedAt ?? meta.finishedAt) && iso((finishedAt ?? meta.finishedAt)!));
  put('complete', String(complete));
  put('scope', meta.hostScope?.map(formatRange).join(','));
  put('ports', meta.portScope && formatPortScope(meta.portScope));
  put('tool', meta.tool);
  put('tool_version', meta.toolVersion);
  put('args', meta.args);
  put('timezone', meta.timezone);
  if (meta.resolvesNames !== undefined) put('dns', String(meta.resolvesNames));
  out.push(UNIFORM_COLUMNS.join(',') + '\n');
  return out;
}

function row(fields: string[]): string {
  let n = fields.length;
  while (n > 6 && fields[n - 1] === '') n--; // '10.1.123.124,,,up,,' as in DESIGN §5
  return fields.slice(0, n).map(csvField).join(',') + '\n';
}

/** The rows of one host: a host row when the port rows alone would not say everything, then a row per port. */
function hostRows(h: HostRecord): string[] {
  const ip = h.ip;
  const name = exact(h.hostnames.find((n) => n.type === 'PTR')?.name);
  const seen = h.seenAt ? iso(h.seenAt) : '';
  const out: string[] = [];
  if (h.ports.length === 0 || h.status === 'down' || h.mac || h.timedOut || h.unknownPorts) {
    const unknown = h.unknownPorts ? formatPortScope(h.unknownPorts) : '';
    out.push(row([ip, '', '', h.status, name, seen, '', '', '', '', exact(h.mac), h.timedOut ? 'true' : '', unknown]));
  }
  for (const p of h.ports) {
    out.push(row([ip, p.proto, String(p.port), p.state, name, seen, exact(p.service), exact(p.product), exact(p.version), exact(p.banner)]));
  }
  return out;
}

/** The uniform CSV of a scan whose outcome is known before the rows are written. */
export async function* formatUniformCsv(
  meta: Omit<ScanMetaEvent, 'kind'>,
  hosts: Iterable<HostRecord> | AsyncIterable<HostRecord>,
  end: boolean | { complete: boolean; finishedAt?: Date },
): AsyncIterable<string> {
  const e = typeof end === 'boolean' ? { complete: end } : end;
  yield* headerLines(meta, e.complete, e.finishedAt);
  for await (const h of hosts) yield hostRows(h).join('');
}

/**
 * An input agent's event stream as uniform CSV, streaming. The header says '#complete=false' until a
 * trailer ('#finished=', '#complete=') written at the 'end' event says otherwise, so a cut-off copy
 * reads as incomplete. Warnings go to onWarning (they are not part of the file).
 */
export async function* scanEventsToUniformCsv(
  events: Iterable<ScanEvent> | AsyncIterable<ScanEvent>,
  opts: { scanner?: string; onWarning?: (w: ScanWarningEvent) => void } = {},
): AsyncIterable<string> {
  const meta: Omit<ScanMetaEvent, 'kind'> = {};
  const late: Omit<ScanMetaEvent, 'kind'> = {};
  const named = opts.scanner ? { scanner: opts.scanner } : {}; // the operator's name beats the file's
  let started = false;
  for await (const ev of events) {
    if (ev.kind === 'warning') opts.onWarning?.(ev);
    else if (ev.kind === 'meta') {
      const { kind: _k, ...fields } = ev;
      Object.assign(started ? late : meta, stripUndefined(fields));
    } else if (ev.kind === 'host') {
      if (!started) yield* headerLines({ ...meta, ...named }, false);
      started = true;
      yield hostRows(ev).join('');
    } else {
      const finishedAt = ev.finishedAt ?? late.finishedAt ?? meta.finishedAt;
      if (!started) {
        yield* headerLines({ ...meta, ...late, ...named }, ev.complete, finishedAt);
        return;
      }
      // The trailer: no magic, no column line. The reader meets it inside csv-parse, where a quote
      // could open a field: a late value holding one (args seldom come late) is left out.
      yield* headerLines({ ...late, finishedAt }, ev.complete).slice(1, -1).filter((l) => !l.includes('"'));
      return;
    }
  }
  if (!started) yield* headerLines({ ...meta, ...late, ...named }, false); // the events stopped without an end: incomplete
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
