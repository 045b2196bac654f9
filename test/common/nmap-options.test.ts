import { parseNmapCommandLine, tokenize } from '../../common/nmap-options';

/** Options as 'name=value' (or 'name'), so a table row reads like the command line. */
const read = (line: string) => {
  const cl = parseNmapCommandLine(line);
  return { options: cl.options.map((o) => (o.value === undefined ? o.name : `${o.name}=${o.value}`)), targets: cl.targets };
};

describe('tokenize', () => {
  test.each<[string, string[]]>([
    ['nmap  -sS\t10.0.0.1 ', ['nmap', '-sS', '10.0.0.1']],
    [`nmap --script "http-* and safe" 'a b'c`, ['nmap', '--script', 'http-* and safe', 'a bc']],
    ['nmap --script-args ""', ['nmap', '--script-args', '']],
    ['', []],
  ])('%j', (line, words) => {
    expect(tokenize(line).words).toEqual(words);
  });

  test('an unterminated quote is a warning and the rest one word', () => {
    expect(tokenize('nmap "a b')).toEqual({ words: ['nmap', 'a b'], warnings: ['unterminated " quote in the command line'] });
  });
});

describe('parseNmapCommandLine', () => {
  test.each<[string, string[], string[]]>([
    ['nmap -sSV -Pn -T4 10.0.0.1', ['s=SV', 'P=n', 'T=4'], ['10.0.0.1']],
    ['nmap -T 4 -p - 10.0.0.1', ['T=4', 'p=-'], ['10.0.0.1']],
    ['nmap -p- -p80 -p 1-9', ['p=-', 'p=80', 'p=1-9'], []],
    ['nmap -nF -vv -vvv -d -d3 -A -6', ['n', 'F', 'vv', 'v=vv', 'd', 'd=3', 'A', '6'], []],
    ['nmap -oA out -oX=x.xml -iL list.txt t', ['oA=out', 'oX=x.xml', 'iL=list.txt'], ['t']],
    ['nmap --top-ports=100 -top-ports 10 --top 5 --top_ports 7', ['top-ports=100', 'top-ports=10', 'top-ports=5', 'top-ports=7'], []],
    ['nmap --min-rate 3000 --min-rate=3000 h', ['min-rate=3000', 'min-rate=3000'], ['h']],
    ['nmap --open --reason --privileged h', ['open', 'reason', 'privileged'], ['h']],
    ['nmap --verbose --timing 4 --source-port 53 --debug=2 h', ['v', 'T=4', 'g=53', 'd=2'], ['h']],
    ['nmap -sI zombie:80 -b user@ftp h', ['sI=zombie:80', 'b=user@ftp'], ['h']],
    ['nmap -PS22,80 -PE -P0 h', ['P=S22,80', 'P=E', 'P=0'], ['h']],
    ['nmap -e eth0 -S 10.0.0.9 -D a,b,ME -g 53 -M 10 h', ['e=eth0', 'S=10.0.0.9', 'D=a,b,ME', 'g=53', 'M=10'], ['h']],
    ['nmap -p 80 -- -weird 10.0.0.1', ['p=80'], ['-weird', '10.0.0.1']],
    ['nmap a - b', [], ['a', '-', 'b']],
    ['nmap -p -sS h', ['p=-sS'], ['h']],
  ])('%s', (line, options, targets) => {
    expect(read(line)).toEqual({ options, targets });
  });

  test.each([
    ['nmap 10.0.0.1', 'nmap'],
    ['/usr/local/bin/nmap 10.0.0.1', '/usr/local/bin/nmap'],
    ['sudo nmap 10.0.0.1', 'nmap'],
    ['C:\\Program Files (x86)\\Nmap\\nmap.exe -sS 10.0.0.1', '(x86)\\Nmap\\nmap.exe'],
  ])('%j runs %j', (line, program) => {
    const cl = parseNmapCommandLine(line);
    expect(cl.program).toBe(program);
    expect(cl.targets).toEqual(['10.0.0.1']);
  });

  test('a line of options only has no program; an output name called nmap is no program', () => {
    const cl = parseNmapCommandLine('-sS -oA nmap 10.0.0.1');
    expect(cl.program).toBeNull();
    expect(cl.options.map((o) => o.value)).toEqual(['S', 'nmap']);
    expect(cl.targets).toEqual(['10.0.0.1']);
  });

  test.each([
    ['nmap --bogus h', /unknown option --bogus/, ['h']],
    ['nmap -Z h', /unknown option -Z/, ['h']],
    ['nmap --m 1 h', /option --m is ambiguous/, ['1', 'h']],
    ['nmap --open=yes h', /--open takes no value/, ['h']],
    ['nmap h -p', /-p lacks its value/, ['h']],
    ['masscan -p80 h', /starts with 'masscan', not nmap/, ['h']],
  ])('%s warns %s', (line, warning, targets) => {
    const cl = parseNmapCommandLine(line);
    expect(cl.warnings.join('\n')).toMatch(warning);
    expect(cl.targets).toEqual(targets);
  });
});
