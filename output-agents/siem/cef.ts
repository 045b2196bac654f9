// ArcSight Common Event Format (CEF:0, "Implementing ArcSight CEF" rev. 25): a header of seven
// pipe-separated fields and key=value extensions. Escaping (the spec): in the header `\` and `|`;
// in extension values `\` and `=`, line breaks as `\n` / `\r`. Other control characters have no
// escape in CEF: they are written as the text `\xNN` (an escaped backslash, then the code), as
// every human-facing sink of portdelta shows them. Mapping in docs/siem.md.
import { safeText, UNSAFE } from '../../common/safe-text';
import type { SiemFacts } from './facts';
import { PRODUCT } from './facts';
import type { SiemFormat } from './types';

/** CEF severity 0–10: 7 high (breaks the policy), 5 medium, 3 low. */
const SEVERITY: Record<SiemFacts['severity'], number> = { high: 7, medium: 5, low: 3 };


/** The `\xNN` text of a control character, its backslash escaped so a CEF reader keeps it as text. */
const controlAsText = (c: string) => safeText(c).replace(/\\/g, '\\\\');

function headerField(s: string): string {
  return s.replace(/[\\|]/g, (c) => `\\${c}`).replace(UNSAFE, controlAsText);
}

function extensionValue(s: string): string {
  return s
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(UNSAFE, controlAsText);
}

/** Extension keys in a fixed order; absent values are left out. */
function extensions(f: SiemFacts): Array<[string, string | number | null]> {
  const v6 = f.ip?.includes(':') ?? false;
  return [
    ['rt', Date.parse(f.time)],
    ['externalId', f.id],
    ['cat', f.action],
    ['msg', f.text],
    ['deviceExternalId', f.scanner],
    ['dst', f.ip && !v6 ? f.ip : null],
    ['c6a3', f.ip && v6 ? f.ip : null],
    ['c6a3Label', f.ip && v6 ? 'Destination IPv6 Address' : null],
    ['dpt', f.port],
    ['proto', f.proto?.toUpperCase() ?? null],
    ['dhost', f.hostname],
    ['cn1', f.changeId],
    ['cn1Label', f.changeId === null ? null : 'changeId'],
    ['cs1', f.verdict],
    ['cs1Label', 'policyVerdict'],
    ['cs2', f.owner],
    ['cs2Label', f.owner === null ? null : 'policyOwner'],
    ['cs3', f.group],
    ['cs3Label', f.group === null ? null : 'scannerGroup'],
    ['cs4', f.previousHostname],
    ['cs4Label', f.previousHostname === null ? null : 'previousHostname'],
    ['cs5', f.types.join(',') || null],
    ['cs5Label', f.types.length ? 'changeTypes' : null],
  ];
}

export function cefLine(f: SiemFacts): string {
  const header = ['CEF:0', PRODUCT.vendor, PRODUCT.name, PRODUCT.version, f.action, f.text, String(SEVERITY[f.severity])].map((h, i) => (i === 0 ? h : headerField(h)));
  const ext = extensions(f)
    .filter((e): e is [string, string | number] => e[1] !== null)
    .map(([k, v]) => `${k}=${extensionValue(String(v))}`);
  return `${header.join('|')}|${ext.join(' ')}`;
}

export const cef: SiemFormat = { name: 'cef', json: false, record: cefLine };
