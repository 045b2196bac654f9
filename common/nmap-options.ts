// nmap's command line as getopt_long_only reads it: which options take a value, which words are
// targets. Used on the command line an nmap file records (args attribute, '# Nmap … as:' header).

/** Short options, as nmap's optstring "46Ab:D:d::e:Ffg:hIi:M:m:nO::o:P::p:qRrS:s::T:Vv::" declares them. */
const SHORT: Readonly<Record<string, 'flag' | 'required' | 'optional'>> = {
  '4': 'flag', '6': 'flag', A: 'flag', b: 'required', D: 'required', d: 'optional', e: 'required',
  F: 'flag', f: 'flag', g: 'required', h: 'flag', I: 'flag', i: 'required', M: 'required', m: 'required',
  n: 'flag', O: 'optional', o: 'required', P: 'optional', p: 'required', q: 'flag', R: 'flag', r: 'flag',
  S: 'required', s: 'optional', T: 'required', V: 'flag', v: 'optional',
};

const LONG_WITH_VALUE = [
  'datadir', 'servicedb', 'versiondb', 'max-os-tries', 'max-parallelism', 'min-parallelism', 'timing',
  'max-rtt-timeout', 'min-rtt-timeout', 'initial-rtt-timeout', 'excludefile', 'exclude', 'max-hostgroup',
  'min-hostgroup', 'scanflags', 'host-timeout', 'scan-delay', 'max-scan-delay', 'max-retries', 'oA', 'oN',
  'oM', 'oG', 'oS', 'oH', 'oX', 'iL', 'iR', 'sI', 'source-port', 'nsock-engine', 'proxies', 'proxy', 'data',
  'data-string', 'data-length', 'stylesheet', 'mtu', 'spoof-mac', 'ttl', 'version-intensity', 'dns-servers',
  'port-ratio', 'exclude-ports', 'top-ports', 'script', 'script-args', 'script-args-file', 'script-help',
  'script-timeout', 'ip-options', 'min-rate', 'max-rate', 'stats-every', 'route-dst', 'resume',
];
const LONG_FLAGS = [
  'version', 'verbose', 'help', 'iflist', 'release-memory', 'nogcc', 'open', 'defeat-rst-ratelimit',
  'defeat-icmp-ratelimit', 'randomize-hosts', 'discovery-ignore-rst', 'osscan-limit', 'osscan-guess', 'fuzzy',
  'packet-trace', 'version-trace', 'send-eth', 'send-ip', 'no-stylesheet', 'webxml', 'rH', 'vv', 'ff',
  'privileged', 'unprivileged', 'append-output', 'noninteractive', 'thc', 'badsum', 'traceroute', 'reason',
  'allports', 'version-light', 'version-all', 'system-dns', 'resolve-all', 'unique', 'log-errors',
  'deprecated-xml-osclass', 'script-trace', 'script-updatedb', 'adler32', 'disable-arp-ping',
];
/** Long spellings of short options. */
const LONG_ALIAS: Readonly<Record<string, string>> = {
  version: 'V', verbose: 'v', help: 'h', 'max-parallelism': 'M', timing: 'T', 'source-port': 'g', debug: 'd',
};
const LONG = new Map<string, 'flag' | 'required' | 'optional'>([
  ...LONG_WITH_VALUE.map((n) => [n, 'required'] as const),
  ...LONG_FLAGS.map((n) => [n, 'flag'] as const),
  ['debug', 'optional'],
]);

interface NmapOption {
  /** A short option letter ('p', 's', 'T') or a long option name ('top-ports', 'iL'); long aliases of short options give the letter. */
  name: string;
  value?: string;
  /** The word(s) as written, for messages. */
  text: string;
}

export interface NmapCommandLine {
  program: string | null;
  options: NmapOption[];
  targets: string[];
  warnings: string[];
}

/** Splits on blanks; quotes group words (a recorded line has none, a typed one may). */
export function tokenize(line: string): { words: string[]; warnings: string[] } {
  const words: string[] = [];
  let cur: string | null = null;
  let quote: string | null = null;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur ??= '';
    } else if (/\s/.test(ch)) {
      if (cur !== null) words.push(cur);
      cur = null;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== null) words.push(cur);
  return { words, warnings: quote ? [`unterminated ${quote} quote in the command line`] : [] };
}

const isNmap = (w: string): boolean => /(^|[\\/])nmap(\.exe)?$/i.test(w);
const isShort = (c: string): boolean => Object.prototype.hasOwnProperty.call(SHORT, c);

function findLong(name: string): { name: string; kind: 'flag' | 'required' | 'optional' } | 'ambiguous' | null {
  const n = name.replace(/_/g, '-');
  const exact = LONG.get(n);
  if (exact) return { name: n, kind: exact };
  const hits = [...LONG.keys()].filter((k) => k.startsWith(n));
  if (hits.length === 1) return { name: hits[0], kind: LONG.get(hits[0])! };
  return hits.length > 1 ? 'ambiguous' : null;
}

/** Reads a command line the way nmap's getopt_long_only does (options and targets may be interleaved). */
export function parseNmapCommandLine(line: string): NmapCommandLine {
  const { words, warnings } = tokenize(line);
  const options: NmapOption[] = [];
  const targets: string[] = [];
  // The program: the first word naming nmap (after sudo, env, a path with blanks); none when the line starts with an option.
  let i = 0;
  while (i < Math.min(words.length, 4) && !words[i].startsWith('-') && !isNmap(words[i])) i++;
  let program: string | null = null;
  if (i < words.length && isNmap(words[i])) program = words[i++];
  else if (words.length > 0 && !words[0].startsWith('-')) {
    program = words[0];
    i = 1;
    warnings.push(`the command line starts with '${program}', not nmap`);
  } else i = 0;

  const takeValue = (what: string): string | undefined => {
    if (i < words.length) return words[i++];
    warnings.push(`option ${what} lacks its value at the end of the command line`);
    return undefined;
  };
  while (i < words.length) {
    const w = words[i++];
    if (w === '--') {
      targets.push(...words.slice(i));
      break;
    }
    if (!w.startsWith('-') || w === '-') {
      targets.push(w);
      continue;
    }
    const dashes = w.startsWith('--') ? 2 : 1;
    const body = w.slice(dashes);
    const eq = body.indexOf('=');
    const longName = eq >= 0 ? body.slice(0, eq) : body;
    // getopt_long_only: '-x' with x a short option is short; '-xyz' is long if it names one, else short.
    const tryLong = dashes === 2 || body.length > 1 || !isShort(body);
    const long = tryLong && longName !== '' ? findLong(longName) : null;
    if (long === 'ambiguous') {
      warnings.push(`option ${w} is ambiguous; ignored`);
      continue;
    }
    if (long) {
      const name = Object.prototype.hasOwnProperty.call(LONG_ALIAS, long.name) ? LONG_ALIAS[long.name] : long.name;
      let value = eq >= 0 ? body.slice(eq + 1) : undefined;
      if (long.kind === 'flag' && value !== undefined) warnings.push(`option --${long.name} takes no value: ${w}`);
      if (long.kind === 'required' && value === undefined) value = takeValue(w);
      options.push({ name, value, text: value !== undefined && eq < 0 ? `${w} ${value}` : w });
      continue;
    }
    if (dashes === 2 || !isShort(body[0])) {
      warnings.push(`unknown option ${w}; ignored`);
      continue;
    }
    // A cluster of short options: -nvPn, -T4, -p80, -sSU.
    for (let j = 0; j < body.length; j++) {
      const c = body[j];
      const kind = isShort(c) ? SHORT[c] : undefined;
      if (!kind) {
        warnings.push(`unknown option -${c} in ${w}; ignored`);
        continue;
      }
      const rest = body.slice(j + 1);
      if (kind === 'flag') {
        options.push({ name: c, text: `-${c}` });
        continue;
      }
      if (kind === 'optional') options.push({ name: c, value: rest === '' ? undefined : rest, text: w });
      else if (rest !== '') options.push({ name: c, value: rest, text: w });
      else {
        const value = takeValue(w);
        options.push({ name: c, value, text: value === undefined ? w : `${w} ${value}` });
      }
      break;
    }
  }
  return { program, options, targets, warnings };
}

/** nmap resolves names unless -n was given (also inside a flag group such as -nv). */
export function nmapResolvesNames(args: string): boolean {
  return !parseNmapCommandLine(args).options.some((o) => o.name === 'n');
}
