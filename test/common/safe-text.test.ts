// The escaping every human-facing sink uses: control and bidi characters shown, chat markup inert.
import { chatText, safeLines, safeText } from '../../common/safe-text';
import { ConfigError, describeError, PortdeltaError, ScanRejectedError } from '../../common/errors';

describe('safeText', () => {
  test.each([
    ['plain.example.org', 'plain.example.org'],
    ['esc\x1b[2Jbell\x07', 'esc\\x1b[2Jbell\\x07'],
    ['nul\0', 'nul\\x00'],
    ['cr\r\nlf', 'cr\\x0d\\x0alf'],
    ['tab\there', 'tab\\x09here'],
    ['del\x7f c1\x85\x9b', 'del\\x7f c1\\x85\\x9b'],
    ['a\u202egnp.exe', 'a\\u{202e}gnp.exe'],
    ['\u202a\u202b\u202c\u202d', '\\u{202a}\\u{202b}\\u{202c}\\u{202d}'],
    ['\u2066\u2067\u2068\u2069', '\\u{2066}\\u{2067}\\u{2068}\\u{2069}'],
    ['\u200e\u200f\u061c', '\\u{200e}\\u{200f}\\u{61c}'],
    ['line\u2028para\u2029', 'line\\u{2028}para\\u{2029}'],
    ['ünïcödé 名前 🙂', 'ünïcödé 名前 🙂'],
    ['<!channel> & <b>', '<!channel> & <b>'],
  ])('%j → %j', (input, shown) => {
    expect(safeText(input)).toBe(shown);
  });

  test('null and undefined are empty', () => {
    expect(safeText(null)).toBe('');
    expect(safeText(undefined)).toBe('');
  });

  test('safeLines keeps the line feeds of its own and escapes the rest', () => {
    expect(safeLines('one\x1b\ntwo\r')).toBe('one\\x1b\ntwo\\x0d');
  });
});

describe('chatText', () => {
  test.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<https://evil.example|click>', '&lt;https://evil.example|click&gt;'],
    ['&amp; a&b', '&amp;amp; a&amp;b'],
    ['x\n<!here>\x1b', 'x\\x0a&lt;!here&gt;\\x1b'],
    ['rtl\u202e', 'rtl\\u{202e}'],
  ])('%j → %j', (input, shown) => {
    expect(chatText(input)).toBe(shown);
  });
});

describe('describeError shows what a file or peer sent escaped', () => {
  test('a rejected file: file, position, message and remedy', () => {
    const err = new ScanRejectedError("'10.0.0.1\x1b[2J\x07\0' is not an IP address", { file: 'in\x1bbox.csv', position: 'line 4', remedy: 'fix\x07 it' });
    expect(describeError(err)).toBe("in\\x1bbox.csv: line 4: '10.0.0.1\\x1b[2J\\x07\\x00' is not an IP address\n  remedy: fix\\x07 it");
  });

  test('any other error is one line: its line breaks are shown', () => {
    expect(describeError(new PortdeltaError('IO', 'a\nb\u202e'))).toBe('a\\x0ab\\u{202e}');
    expect(describeError(new Error('peer said \x1b]0;title\x07'))).toBe('peer said \\x1b]0;title\\x07');
    expect(describeError('raw\r')).toBe('raw\\x0d');
  });

  test('a configuration error keeps one problem a line', () => {
    const text = describeError(new ConfigError('/etc/pd.yaml', ['scanners.a: bad \x1b', 'smtp.port: not a number']));
    expect(text.split('\n')).toEqual(['configuration /etc/pd.yaml is invalid:', '  scanners.a: bad \\x1b', '  smtp.port: not a number', '  remedy: fix the listed keys; docs/configuration.md describes each one']);
  });
});
