// What an input agent throws while parsing decides where an inbox file goes: an error of the agent's
// own kind (ScanRejectedError) or any unforeseen one (a TypeError on a value nobody expected) is
// the file's fault (failed/); a system error of reading the file, or the read error itself, is not
// (the file stays and is tried again). And no event may carry a time outside 1990-2099.
import { Readable } from 'node:stream';
import { guardedParse } from '../../delta-reporter/parse-guard';
import { ScanRejectedError } from '../../common/errors';
import type { InputAgent } from '../../input-agents/types';
import type { ScanEvent } from '../../common/types';

/** An agent that yields `events`, then throws `err` (if given). */
function agent(events: ScanEvent[], err?: unknown): InputAgent {
  return {
    name: 'test-format',
    sniff: () => true,
    async *parse() {
      yield* events;
      if (err !== undefined) throw err;
    },
  };
}

async function run(a: InputAgent, readError?: unknown): Promise<{ events: ScanEvent[]; error?: unknown }> {
  const events: ScanEvent[] = [];
  try {
    for await (const ev of guardedParse(a, Readable.from([]), { source: 'scan.file' }, () => readError)) events.push(ev);
    return { events };
  } catch (error) {
    return { events, error };
  }
}

const host = (seenAt?: Date): ScanEvent => ({ kind: 'host', ip: '10.0.0.1', status: 'up', hostnames: [], ports: [], position: 'line 7', ...(seenAt ? { seenAt } : {}) });

describe('guardedParse', () => {
  test('an unforeseen error while parsing becomes a rejection of the file, naming the reader and the message', async () => {
    const { events, error } = await run(agent([host()], new TypeError("Cannot read properties of undefined (reading 'x')")));
    expect(events).toHaveLength(1);
    expect(error).toBeInstanceOf(ScanRejectedError);
    expect((error as ScanRejectedError).message).toBe("the test-format reader failed on this file: Cannot read properties of undefined (reading 'x')");
    expect((error as ScanRejectedError).file).toBe('scan.file');
    expect((error as ScanRejectedError).remedy).toMatch(/portdelta convert/);
  });

  test("the agent's own rejection passes as it is", async () => {
    const own = new ScanRejectedError('unreadable line', { file: 'scan.file', position: 'line 3' });
    expect((await run(agent([], own))).error).toBe(own);
  });

  test('a system error (the disk) and the error reading the file failed with pass as they are: not the file', async () => {
    const eio = Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO', syscall: 'read', errno: -5 });
    expect((await run(agent([], eio))).error).toBe(eio);
    const readFailed = new Error('the upload stream broke');
    expect((await run(agent([], readFailed), readFailed)).error).toBe(readFailed);
  });

  test.each([
    ['a host time in 3000', host(new Date(Date.UTC(3000, 0, 1))), /the time of 10\.0\.0\.1 .*outside 1990-2099/, 'line 7'],
    ['an Invalid Date as start', { kind: 'meta', startedAt: new Date(NaN) } as ScanEvent, /the start time is not a time/, undefined],
    ['an end time in 1970', { kind: 'end', complete: true, finishedAt: new Date(0) } as ScanEvent, /the end time .*outside/, undefined],
  ])('%s rejects the file', async (_what, ev, message, position) => {
    const { error } = await run(agent([ev]));
    expect(error).toBeInstanceOf(ScanRejectedError);
    expect((error as ScanRejectedError).message).toMatch(message);
    expect((error as ScanRejectedError).position).toBe(position);
  });
});
