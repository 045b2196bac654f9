// nmap's ndiff as an independent oracle for `portdelta diff`: runs `ndiff --xml A B` and reads the
// kinds of events both tools report — a host coming up or going, a port opening or closing — from
// its XML (each element's side: inside <a>, inside <b>, or common to both).
import { execFileSync } from 'node:child_process';
import { XMLParser } from 'fast-xml-parser';

type Node = Record<string, unknown> & { ':@'?: Record<string, string> };
type Side = 'a' | 'b' | 'both';

const tagOf = (n: Node): string => Object.keys(n).find((k) => k !== ':@')!;
const kids = (n: Node): Node[] => (n[tagOf(n)] as Node[]) ?? [];

/** Every element named `tag` under `n`, with the side it is on; stops at `stop` elements. */
function find(n: Node, tag: string, side: Side, stop: string[] = []): Array<{ node: Node; side: Side }> {
  const out: Array<{ node: Node; side: Side }> = [];
  for (const c of kids(n)) {
    const t = tagOf(c);
    if (t === tag) out.push({ node: c, side });
    if (stop.includes(t)) continue;
    out.push(...find(c, tag, t === 'a' || t === 'b' ? t : side, stop));
  }
  return out;
}

const valueOn = (found: Array<{ node: Node; side: Side }>, side: 'a' | 'b', attr: string): string | null => {
  const f = found.find((x) => x.side === side || x.side === 'both');
  return f ? (f.node[':@']?.[`@_${attr}`] ?? null) : null;
};

interface View {
  up: { a: boolean; b: boolean };
  open: { a: Set<string>; b: Set<string> };
}

/** One hostdiff's A and B views into the address's (ndiff lists a renamed host as one gone and one new). */
function addHostDiff(views: Map<string, View>, hd: Node): void {
  const ip = find(hd, 'address', 'both').find((a) => a.node[':@']?.['@_addrtype'] !== 'mac')!.node[':@']!['@_addr'];
  const v = views.get(ip) ?? { up: { a: false, b: false }, open: { a: new Set<string>(), b: new Set<string>() } };
  views.set(ip, v);
  const status = find(hd, 'status', 'both', ['ports']);
  for (const side of ['a', 'b'] as const) v.up[side] ||= valueOn(status, side, 'state') === 'up';
  for (const { node: port, side } of find(hd, 'port', 'both')) {
    const attrs = port[':@']!;
    const states = find(port, 'state', side);
    for (const s of ['a', 'b'] as const) if (valueOn(states, s, 'state') === 'open') v.open[s].add(`${attrs['@_portid']}/${attrs['@_protocol']}`);
  }
}

/** ndiff's events as `ip host up|down` and `ip port/proto open|closed`. */
export function ndiffEvents(fileA: string, fileB: string): Set<string> {
  let xml: string;
  try {
    xml = execFileSync('ndiff', ['--xml', fileA, fileB], { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (err) {
    const e = err as { status?: number; stdout?: string };
    if (e.status !== 1 || !e.stdout) throw err; // 1: differences found
    xml = e.stdout;
  }
  const doc = new XMLParser({ ignoreAttributes: false, preserveOrder: true }).parse(xml) as Node[];
  const root = doc.find((n) => tagOf(n) === 'nmapdiff')!;
  const views = new Map<string, View>();
  for (const { node } of find(root, 'hostdiff', 'both')) addHostDiff(views, node);
  const events = new Set<string>();
  for (const [ip, v] of views) {
    if (!v.up.a && v.up.b) events.add(`${ip} host up`);
    if (v.up.a && !v.up.b) events.add(`${ip} host down`);
    for (const p of v.open.b) if (!v.open.a.has(p)) events.add(`${ip} ${p} open`);
    for (const p of v.open.a) if (!v.open.b.has(p)) events.add(`${ip} ${p} closed`);
  }
  return events;
}
