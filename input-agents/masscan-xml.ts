// masscan XML (-oX): nmap's <nmaprun> layout, written by masscan (scanner="masscan"). It is read by
// the nmap XML reader (nmap-xml.ts), which knows masscan's ways: one <host> per port or banner, no
// <status>, no names, a <scaninfo> that names one protocol and no ports. masscan records neither
// its targets nor its ports here, so the scope comes from --scope/--ports or the scanner's config.
import type { InputAgent } from './types';
import { nmapXml } from './nmap-xml';

/** nmap's sniff, narrowed to files whose root says scanner="masscan". */
function sniff(head: Buffer): boolean {
  if (!nmapXml.sniff(head)) return false;
  const text = head.toString('latin1', 0, Math.min(head.length, 16384));
  return /<nmaprun\s[^>]*\bscanner\s*=\s*["']masscan["']/.test(text);
}

export const masscanXml = { name: 'masscan-xml', aliases: ['masscan-oX'], sniff, parse: nmapXml.parse } satisfies InputAgent;
