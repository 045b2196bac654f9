import { Command, type Option } from 'commander';
import { COMMANDS } from '../../cli/commands';
import { flagOpt, listOpt, textOpt, type RawOptions } from '../../cli/options';
import { UsageError } from '../../common/errors';
import { collect } from '../../common/query-options';

// Each declared option as commander hands it to the command's run(), built the way cli/main.ts builds it.
function declared(): Array<[string, Option, Command]> {
  const all: Array<[string, Option, Command]> = [];
  for (const spec of COMMANDS) {
    const cmd = new Command(spec.name).exitOverride();
    spec.options(cmd);
    for (const o of cmd.options) all.push([`${spec.name} ${o.long}`, o, cmd]);
  }
  return all;
}

const kind = (o: Option): 'flag' | 'list' | 'text' => (o.isBoolean() ? 'flag' : o.parseArg === collect ? 'list' : 'text');
const READERS = { flag: flagOpt, list: listOpt, text: textOpt } as const;

describe('the typed option readers', () => {
  test.each(declared())('%s, given twice where it may be, reads back as commander parsed it', (_name, o, cmd) => {
    const argv = o.isBoolean() ? [o.long!] : [o.long!, 'a', o.long!, 'b'];
    cmd.parse(argv, { from: 'user' });
    const opts: RawOptions = cmd.opts();
    const name = o.attributeName();
    const expected = { flag: true, list: ['a', 'b'], text: 'b' }[kind(o)];
    expect(READERS[kind(o)](opts, name)).toEqual(expected);
    // Every other reader refuses the value: an option read with the wrong reader fails, never passes silently.
    for (const [k, read] of Object.entries(READERS)) if (k !== kind(o)) expect(() => read(opts, name)).toThrow(UsageError);
  });

  test('an option not given reads as absent (a switch as off)', () => {
    expect(textOpt({}, 'scanner')).toBeUndefined();
    expect(listOpt({}, 'network')).toBeUndefined();
    expect(flagOpt({}, 'dryRun')).toBe(false);
  });

  test.each<[string, () => unknown, string]>([
    ['a number for a value', () => textOpt({ afterId: 5 }, 'afterId'), '--after-id: expected one value, got number'],
    ['a list for a value', () => textOpt({ scanner: ['a'] }, 'scanner'), '--scanner: expected one value, got a list'],
    ['a list holding a number', () => listOpt({ network: ['10.0.0.0/8', 1] }, 'network'), '--network: expected a list of values, got a list'],
    ['text for a list', () => listOpt({ range: '10.0.0.0/8' }, 'range'), '--range: expected a list of values, got string'],
    ['text for a switch', () => flagOpt({ olderThan: 'yes' }, 'olderThan'), '--older-than: expected a switch without a value, got string'],
  ])('%s is a usage error naming the option as typed', (_what, read, message) => {
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });
});
