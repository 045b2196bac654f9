// The streaming tokenizer against an independent parser (fast-xml-parser, whole document) on every
// real XML fixture: the same elements, in the same order, with the same attribute values; and the
// tokenizer's own rules for what scanner XML never contains.
import fs from 'node:fs';
import path from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { XmlSyntaxError, XmlTokenizer } from '../../input-agents/xml-tokenizer';
import { SCANS } from '../helpers/cli';

function xmlFixtures(dir = SCANS): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? xmlFixtures(path.join(dir, e.name)) : e.name.endsWith('.xml') ? [path.join(dir, e.name)] : [],
  );
}

/** Every element with its attributes, in document order, as one parser or the other reads them. */
type Seen = Array<[string, Record<string, string>]>;

function tokenize(text: string, chunk: number): Seen {
  const seen: Seen = [];
  const t = new XmlTokenizer({ doctype: () => undefined, open: (name, attrs) => seen.push([name, Object.fromEntries(attrs.entries())]), close: () => undefined });
  for (let i = 0; i < text.length; i += chunk) t.write(text.slice(i, i + chunk));
  t.end();
  return seen;
}

function reference(text: string): Seen {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, processEntities: true, htmlEntities: true, trimValues: false }).parse(text);
  const seen: Seen = [];
  const walk = (nodes: Array<Record<string, unknown>>) => {
    for (const node of nodes) {
      const name = Object.keys(node).find((k) => k !== ':@');
      if (!name || name === '#text' || name.startsWith('?')) continue;
      seen.push([name, { ...((node[':@'] as Record<string, string>) ?? {}) }]);
      walk(node[name] as Array<Record<string, unknown>>);
    }
  };
  walk(doc);
  return seen;
}

describe('xml tokenizer', () => {
  const files = xmlFixtures().filter((f) => !f.includes(`${path.sep}night4${path.sep}scan-out${path.sep}`)); // the truncated one is not well-formed

  test('has fixtures to compare on', () => expect(files.length).toBeGreaterThan(30));

  test.each(files.map((f) => [path.relative(SCANS, f), f]))('%s: same elements and attributes as fast-xml-parser, in any chunking', (_n, file) => {
    const text = fs.readFileSync(file, 'utf8');
    const want = reference(text);
    expect(want.length).toBeGreaterThan(10);
    expect(tokenize(text, text.length)).toEqual(want);
    expect(tokenize(text, 13)).toEqual(want);
  });

  test.each([
    ['an undefined entity', '<a x="&foo;"/>', true],
    ['a bare ampersand', '<a x="a & b"/>', false],
    ['mismatched tags', '<a><b></a>', false],
    ['an unquoted attribute', '<a x=1/>', false],
    ['a repeated attribute', '<a x="1" x="2"/>', false],
    ['text before the root', 'hello <a/>', false],
    ['two roots', '<a/><b/>', false],
    ['an entity in text', '<a>&xxe;</a>', true],
    ["a '<' inside a value", '<a x="1<2"/>', false],
    ['an attribute name running into a tag end', '<a b>c="1"/>', false],
    ['a repeated attribute among many', `<a ${Array.from({ length: 20 }, (_, i) => `a${i}="1"`).join(' ')} a17="2"/>`, false],
  ])('rejects %s', (_n, text, hostile) => {
    const run = () => tokenize(text as string, 3);
    expect(run).toThrow(XmlSyntaxError);
    try {
      run();
    } catch (e) {
      expect((e as XmlSyntaxError).hostile).toBe(hostile);
    }
  });

  test('a tag with many attributes keeps them all, in order', () => {
    const names = Array.from({ length: 40 }, (_, i) => `a${i}`);
    const text = `<a ${names.map((n, i) => `${n}="${i}"`).join(' ')}/>`;
    expect(tokenize(text, 7)).toEqual([['a', Object.fromEntries(names.map((n, i) => [n, String(i)]))]]);
  });

  test('decodes the predefined entities and numeric references, and nothing else', () => {
    expect(tokenize('<a x="&lt;&gt;&amp;&quot;&apos;&#45;&#x41;"/>', 5)).toEqual([['a', { x: `<>&"'-A` }]]);
  });

  test('a DOCTYPE with an internal subset is handed over at its [ and never read further', () => {
    const seen: string[] = [];
    const t = new XmlTokenizer({ doctype: (d) => seen.push(d), open: () => undefined, close: () => undefined });
    expect(() => t.write('<!DOCTYPE x [ <!ENTITY a "b"> ]><x/>')).toThrow(/internal subset/);
    expect(seen).toEqual([' x [']);
  });

  test('names the line and column of what it rejects', () => {
    try {
      tokenize('<a>\n  <b>\n  </c>\n</a>', 4);
      throw new Error('not rejected');
    } catch (e) {
      expect(e).toMatchObject({ line: 3, column: 3 });
    }
  });
});
