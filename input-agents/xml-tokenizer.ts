// A small streaming XML tokenizer for machine-written scanner output (nmap, masscan): start tags
// with attributes, end tags, and the prolog. It is strict where safety needs it — no entity is
// ever expanded beyond the five predefined ones and numeric references, a DOCTYPE is handed to the
// caller to judge, tags must nest — and skips what scanner XML never needs (text, comments, PIs).
// It replaced saxes on the ingest's hot path: saxes spent ~80 % of the parse time checking what
// this file does not need (docs/benchmarks.md).

/**
 * The attributes of the tag being read, valid only during the handler's `open` call: the tokenizer
 * reuses it for the next tag. Only the values asked for are ever cut out of the text; most of what
 * nmap writes (reason, reason_ttl, conf, count, ...) is checked for shape and never becomes a string.
 */
export interface Attrs {
  get(name: string): string | undefined;
  /** Every attribute, in document order (tests, and a caller that keeps them). */
  entries(): Array<[string, string]>;
}

const FEW_ATTRS = 16;

class AttrView implements Attrs {
  buf = '';
  count = 0;
  // Offsets into buf: name [nameFrom, nameTo), value [valueFrom, valueTo); decoded when it held a reference.
  readonly nameFrom: number[] = [];
  readonly nameTo: number[] = [];
  readonly valueFrom: number[] = [];
  readonly valueTo: number[] = [];
  readonly decoded: Array<string | undefined> = [];

  get(name: string): string | undefined {
    for (let j = 0; j < this.count; j++) {
      const from = this.nameFrom[j];
      if (this.nameTo[j] - from === name.length && this.buf.startsWith(name, from)) return this.value(j);
    }
    return undefined;
  }

  entries(): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    for (let j = 0; j < this.count; j++) out.push([this.buf.slice(this.nameFrom[j], this.nameTo[j]), this.value(j)]);
    return out;
  }

  /** True when the name at [from, to) is one this tag already has; linear for the few that real tags have. */
  repeats(from: number, to: number): boolean {
    if (this.count >= FEW_ATTRS) return this.repeatsMany(this.buf.slice(from, to));
    for (let j = 0; j < this.count; j++) if (this.sameName(j, from, to)) return true;
    return false;
  }

  private sameName(j: number, from: number, to: number): boolean {
    const f = this.nameFrom[j];
    if (this.nameTo[j] - f !== to - from) return false;
    for (let k = 0; k < to - from; k++) if (this.buf.charCodeAt(f + k) !== this.buf.charCodeAt(from + k)) return false;
    return true;
  }

  // A hostile tag may carry a million attributes: past the first few, a set keeps the check linear.
  private many: Set<string> | null = null;

  /** Starts the next tag. */
  reset(buf: string): void {
    this.buf = buf;
    this.count = 0;
    this.many = null;
  }

  private repeatsMany(name: string): boolean {
    this.many ??= new Set(this.entries().map(([k]) => k));
    if (this.many.has(name)) return true;
    this.many.add(name);
    return false;
  }

  private value(j: number): string {
    return this.decoded[j] ?? this.buf.slice(this.valueFrom[j], this.valueTo[j]);
  }
}

export interface XmlHandler {
  doctype(text: string): void;
  open(name: string, attrs: Attrs): void;
  close(name: string): void;
  /** Text between tags, decoded; called only while the tokenizer's `captureText` is on. */
  text?(value: string): void;
}

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
    readonly hostile = false,
  ) {
    super(message);
  }
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*$/;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
// One token may not be larger than this: a tag never is, and a hostile file must not make us buffer it all.
const MAX_TOKEN = 8 * 1024 * 1024;

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 58;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13;
}

export class XmlTokenizer {
  private buf = '';
  private pos = 0;
  /** Line number at `lineAt` (1-based), advanced lazily for messages. */
  private line = 1;
  private lineAt = 0;
  private lineStart = 0;
  private stack: string[] = [];
  private rootSeen = false;
  private rootClosed = false;
  private tokenStart = 0;
  private nextAmp = -1;
  private nextLt = -1;
  private readonly attrs = new AttrView();

  /** Each distinct element name seen, and whether its attributes are wanted. */
  private readonly names = new Map<string, boolean>();
  /** The caller wants the text of the elements it is inside now (an ssl-cert <elem>); off for the bulk of a file. */
  captureText = false;

  /**
   * A caller that has no use for some records of element `tag` may pass over them whole: `skip` is
   * offered each such element inside the root, at its '<', and returns where the record ends when
   * it proved it one to pass over, or 0 to have it read as usual. It must only pass over text it
   * matched completely: what it returns is taken as a well-formed element with nothing to expand.
   */
  skipper: { tag: string; skip(buf: string, lt: number): number } | null = null;

  /**
   * `wanted`: the elements whose attributes the caller reads. Others are only checked for shape and
   * for entity references (a tag with an '&' gets the full treatment), which saves most of the work.
   */
  constructor(
    private readonly handler: XmlHandler,
    private readonly wanted?: ReadonlySet<string>,
  ) {}

  /** XML names repeat endlessly in scanner output: each distinct one is checked once. True when its attributes are wanted. */
  private checkName(name: string): boolean {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (!NAME.test(name)) this.fail(`tag '${name.slice(0, 20)}' is not a valid XML name`);
    const wanted = !this.wanted || this.wanted.has(name);
    if (this.names.size < 1000) this.names.set(name, wanted);
    return wanted;
  }

  get depth(): number {
    return this.stack.length;
  }

  get closed(): boolean {
    return this.rootClosed;
  }

  /** Line and column of the token being read. */
  position(): { line: number; column: number } {
    return this.locate(this.tokenStart);
  }

  write(text: string): void {
    // Keep only the unread tail; counting lines over what is dropped keeps positions exact.
    if (this.pos > 0) {
      this.locate(this.pos);
      this.lineAt -= this.pos;
      this.lineStart -= this.pos;
      this.buf = this.buf.slice(this.pos);
      this.pos = 0;
    }
    this.buf += text;
    this.nextAmp = -1;
    this.nextLt = -1;
    this.run();
    if (this.buf.length - this.pos > MAX_TOKEN) this.fail('a single XML token is larger than 8 MiB');
  }

  /**
   * Starts this tokenizer inside `open` (outermost first), at the start of line `line`: for a part
   * of a document cut where the whole document's reading stood just so (atRest() proved it there).
   */
  resume(open: readonly string[], line: number): void {
    this.stack = [...open];
    this.rootSeen = open.length > 0;
    this.line = line;
  }

  /**
   * Whether the reading stands between two tokens with exactly `depth` elements open and nothing
   * pending; the text read since the last tag is checked now, as the next '<' would have had it.
   */
  atRest(depth: number): boolean {
    if (this.pos < this.buf.length && this.buf.indexOf('<', this.pos) === -1) this.text(this.pos, this.buf.length, false);
    return this.pos === this.buf.length && this.stack.length === depth;
  }

  /** The input ended; throws if what is left is not just trailing blanks. Unclosed elements are the caller's business. */
  end(): void {
    const rest = this.buf.slice(this.pos);
    if (rest.trim() !== '' && this.stack.length === 0) this.fail('the document ends inside a tag');
  }

  private locate(pos: number): { line: number; column: number } {
    const b = this.buf;
    let i = b.indexOf('\n', this.lineAt);
    while (i !== -1 && i < pos) {
      this.line++;
      this.lineStart = i + 1;
      i = b.indexOf('\n', i + 1);
    }
    this.lineAt = Math.max(this.lineAt, pos);
    return { line: this.line, column: pos - this.lineStart + 1 };
  }

  private fail(message: string, hostile = false): never {
    const { line, column } = this.position();
    throw new XmlSyntaxError(message, line, column, hostile);
  }

  private run(): void {
    const b = this.buf;
    for (;;) {
      const lt = b.indexOf('<', this.pos);
      if (lt === -1) {
        this.text(this.pos, b.length, true);
        return;
      }
      if (lt > this.pos) this.text(this.pos, lt, false);
      this.tokenStart = lt;
      const next = b.charCodeAt(lt + 1);
      let done: number;
      if (next !== next) return; // NaN: '<' is the last character so far
      if (next === 47 /* / */) done = this.endTag(lt);
      else if (next === 33 /* ! */) done = this.markup(lt);
      else if (next === 63 /* ? */) done = this.until(lt, '?>');
      else done = this.startTag(lt);
      if (done === -1) return; // incomplete: wait for more input
      this.pos = done;
    }
  }

  /** Text between tags: ignored, but it must not smuggle in entity references, and outside the root only blanks may stand. */
  private text(from: number, to: number, partial: boolean): void {
    const b = this.buf;
    if (this.stack.length === 0) {
      for (let i = from; i < to; i++) {
        if (!isSpace(b.charCodeAt(i))) {
          this.tokenStart = i;
          this.fail(this.rootClosed ? 'text after the end of the document' : 'text before the root element (this is not XML)');
        }
      }
    } else if (partial) {
      return; // checked once the next '<' arrives, so no reference is cut in two
    } else if (this.captureText && this.handler.text) {
      const raw = b.slice(from, to);
      this.handler.text(raw.indexOf('&') === -1 ? raw : this.decode(raw, from));
    } else {
      // Searching afresh for each short text between two tags would scan the rest of the buffer every time.
      if (this.ampAfter(from) < to) this.decode(b.slice(from, to), from);
    }
    this.pos = to;
  }

  private until(lt: number, close: string): number {
    const end = this.buf.indexOf(close, lt + 2);
    return end === -1 ? -1 : end + close.length;
  }

  private markup(lt: number): number {
    const b = this.buf;
    if (b.startsWith('<!--', lt)) return this.until(lt, '-->');
    if (b.startsWith('<![CDATA[', lt)) {
      if (this.stack.length === 0) this.fail('CDATA outside the root element');
      return this.until(lt, ']]>');
    }
    if (b.length - lt < 9) return -1;
    if (!b.startsWith('<!DOCTYPE', lt)) this.fail(`unexpected markup '${b.slice(lt, lt + 12)}'`);
    if (this.rootSeen) this.fail('a DOCTYPE after the root element');
    // A DOCTYPE with an internal subset ('[') is handed over as soon as the '[' is seen: the caller
    // refuses it, so the subset is never read, let alone expanded.
    const bracket = b.indexOf('[', lt);
    const gt = b.indexOf('>', lt);
    if (bracket !== -1 && (gt === -1 || bracket < gt)) {
      this.handler.doctype(b.slice(lt + 9, bracket + 1));
      this.fail('a DOCTYPE with an internal subset is not supported', true);
    }
    if (gt === -1) return -1;
    this.handler.doctype(b.slice(lt + 9, gt).trim());
    return gt + 1;
  }

  private endTag(lt: number): number {
    const b = this.buf;
    const gt = b.indexOf('>', lt);
    if (gt === -1) return -1;
    const name = b.slice(lt + 2, gt).trim();
    const open = this.stack.pop();
    if (open === undefined) this.fail(`closing tag </${name}> without an open element`);
    if (open !== name) this.fail(`closing tag </${name}> does not match <${open}>`);
    if (this.stack.length === 0) this.rootClosed = true;
    this.handler.close(name);
    return gt + 1;
  }

  private startTag(lt: number): number {
    const b = this.buf;
    let i = lt + 1;
    const n = b.length;
    while (i < n) {
      const c = b.charCodeAt(i);
      if (c === 32 || c === 62 /* > */ || c === 47 /* / */ || c === 10 || c === 9 || c === 13) break;
      i++;
    }
    if (i >= n) return -1;
    const name = b.slice(lt + 1, i);
    if (this.skipper !== null && name === this.skipper.tag && this.stack.length > 0) {
      const end = this.skipper.skip(b, lt);
      if (end > 0) {
        // Positions read as if the record had been read: its end tag was the last token.
        this.tokenStart = b.lastIndexOf('<', end - 1);
        return end;
      }
    }
    if (!this.checkName(name)) {
      const end = this.skipAttributes(i);
      if (end === -1) return -1;
      if (end > 0) {
        const selfClosing = b.charCodeAt(end - 2) === 47;
        this.attrs.reset(b);
        this.openElement(name, this.attrs, selfClosing);
        return end;
      }
    }
    return this.attributes(name, i);
  }

  /** The end of a tag whose attributes nobody reads (quote-aware); 0 when it holds an '&' and needs the full reading. */
  private skipAttributes(from: number): number {
    const b = this.buf;
    const n = b.length;
    for (let i = from; i < n; i++) {
      const c = b.charCodeAt(i);
      if (c === 62 /* > */) return this.ampAfter(from) < i ? 0 : i + 1;
      if (c === 34 || c === 39) {
        const close = b.indexOf(c === 34 ? '"' : "'", i + 1);
        if (close === -1) return -1;
        i = close;
      }
    }
    return -1;
  }

  /** The first '&' at or after `pos`, remembered: positions only grow within one buffer, so the buffer is scanned once. */
  private ampAfter(pos: number): number {
    if (this.nextAmp < pos) {
      const amp = this.buf.indexOf('&', pos);
      this.nextAmp = amp === -1 ? Infinity : amp;
    }
    return this.nextAmp;
  }

  /** The first '<' at or after `pos`, remembered like ampAfter. */
  private ltAfter(pos: number): number {
    if (this.nextLt < pos) {
      const lt = this.buf.indexOf('<', pos);
      this.nextLt = lt === -1 ? Infinity : lt;
    }
    return this.nextLt;
  }

  private attributes(name: string, from: number): number {
    const b = this.buf;
    const n = b.length;
    const a = this.attrs;
    a.reset(b);
    let i = from;
    for (;;) {
      while (i < n && isSpace(b.charCodeAt(i))) i++;
      if (i >= n) return -1;
      const c = b.charCodeAt(i);
      if (c === 62) {
        this.openElement(name, a, false);
        return i + 1;
      }
      if (c === 47) {
        if (i + 1 >= n) return -1;
        if (b.charCodeAt(i + 1) !== 62) this.fail(`'/' inside <${name}> must end the tag`);
        this.openElement(name, a, true);
        return i + 2;
      }
      const eq = b.indexOf('=', i);
      if (eq === -1) return -1;
      const nameTo = this.attrName(name, i, eq);
      let q = eq + 1;
      while (q < n && isSpace(b.charCodeAt(q))) q++;
      if (q >= n) return -1;
      const quote = b.charCodeAt(q);
      if (quote !== 34 && quote !== 39) this.fail(`the value of ${b.slice(i, nameTo)} in <${name}> is not quoted`);
      const close = b.indexOf(quote === 34 ? '"' : "'", q + 1);
      if (close === -1) return -1;
      if (this.ltAfter(q + 1) < close) this.fail(`'<' inside the value of ${b.slice(i, nameTo)} in <${name}>`);
      if (a.repeats(i, nameTo)) this.fail(`attribute ${b.slice(i, nameTo)} repeated in <${name}>`);
      const k = a.count++;
      a.nameFrom[k] = i;
      a.nameTo[k] = nameTo;
      a.valueFrom[k] = q + 1;
      a.valueTo[k] = close;
      a.decoded[k] = this.ampAfter(q + 1) < close ? this.decode(b.slice(q + 1, close), q + 1) : undefined;
      i = close + 1;
      const after = b.charCodeAt(i);
      if (i < n && !isSpace(after) && after !== 62 && after !== 47) this.fail(`no blank between attributes in <${name}>`);
    }
  }

  /**
   * The end of the attribute name that starts at `from` and is followed (after blanks) by the '=' at `eq`.
   * A full name check per attribute costs more than the rest of the tag; a bad first character, a
   * blank inside (two names, one '=') or a tag delimiter is what a broken file shows.
   */
  private attrName(tag: string, from: number, eq: number): number {
    const b = this.buf;
    let to = eq;
    while (to > from && isSpace(b.charCodeAt(to - 1))) to--;
    let bad = to === from || !isNameStart(b.charCodeAt(from));
    for (let k = from + 1; k < to && !bad; k++) {
      const c = b.charCodeAt(k);
      bad = isSpace(c) || c === 60 || c === 62;
    }
    if (bad) this.fail(`bad attribute name '${b.slice(from, Math.min(to, from + 20))}' in <${tag}>`);
    return to;
  }

  private openElement(name: string, attrs: Attrs, selfClosing: boolean): void {
    if (this.stack.length === 0) {
      if (this.rootSeen) this.fail(`a second root element <${name}>`);
      this.rootSeen = true;
    }
    this.stack.push(name);
    this.handler.open(name, attrs);
    if (selfClosing) {
      this.stack.pop();
      if (this.stack.length === 0) this.rootClosed = true;
      this.handler.close(name);
    }
  }

  /** The five predefined entities and numeric references; anything else is refused, never looked up. */
  private decode(value: string, at: number): string {
    let out = '';
    let from = 0;
    for (let amp = value.indexOf('&'); amp !== -1; amp = value.indexOf('&', from)) {
      const semi = value.indexOf(';', amp);
      const ref = semi === -1 || semi - amp > 12 ? null : value.slice(amp + 1, semi);
      let ch: string | undefined = ref === null ? undefined : PREDEFINED[ref];
      if (ref !== null && ch === undefined) {
        const num = /^#(x[0-9A-Fa-f]{1,6}|[0-9]{1,7})$/.exec(ref);
        const code = !num ? -1 : num[1][0] === 'x' ? parseInt(num[1].slice(1), 16) : parseInt(num[1], 10);
        if (code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff)) ch = String.fromCodePoint(code);
      }
      if (ch === undefined) {
        this.tokenStart = at + amp;
        if (ref === null) this.fail("a bare '&' that starts no reference");
        this.fail(`undefined entity '&${ref.slice(0, 20)};' (only &lt; &gt; &amp; &quot; &apos; and numeric references are allowed)`, true);
      }
      out += value.slice(from, amp) + ch;
      from = semi + 1;
    }
    return out + value.slice(from);
  }
}
